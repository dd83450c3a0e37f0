using NetSecStream.Signatures.Engine;

namespace NetSecStream.Signatures.Tests.Engine;

/// <summary>
/// A fact that needs Hyperscan (Debian's libhyperscan5; test.sh installs it). Where the library or the CPU support is
/// missing the test is reported as skipped with the reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HyperscanFactAttribute : FactAttribute
{
    public HyperscanFactAttribute()
    {
        if (!HyperscanMatcher.IsAvailable(out string reason))
        {
            Skip = $"Hyperscan unavailable: {reason}";
        }
    }
}
