using NetSecStream.Testing;

namespace NetSecStream.Behaviour.Tests;

/// <summary>
/// A fact on the shared test data: skipped, with the reason in the test output, when no data root is found
/// (NETSEC_TESTDATA unset and no ../shared/data beside the clone). A data root without the named folder still runs the
/// test, which then fails naming the missing path: present data must be complete.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute(string relative)
    {
        Relative = relative;
        if (TestData.Root is null)
        {
            Skip = $"shared test data not found (needs {relative}): set NETSEC_TESTDATA to the shared/data folder (default ../shared/data beside the clone)";
        }
    }

    public string Relative { get; }
}
