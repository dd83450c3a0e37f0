namespace NetSecStream.Collectors.Tests.Pcap;

/// <summary>
/// A fact that compares with tshark. Where tshark is not installed it is skipped with the reason, except in CI
/// (<c>CI=true</c>), where test.sh installs it and its absence must fail the run rather than pass it silently.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TsharkFactAttribute : FactAttribute
{
    public TsharkFactAttribute()
    {
        if (Tshark.Path is null && !IsCi)
        {
            Skip = "tshark is not installed (apt-get install tshark; test.sh installs it): the agreement test needs it as the reference";
        }
    }

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
