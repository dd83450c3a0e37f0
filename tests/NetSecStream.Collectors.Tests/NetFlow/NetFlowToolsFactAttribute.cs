namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>
/// A fact that needs the Debian packages softflowd and nfdump (test.sh installs them). Outside CI, where they are
/// missing the test is reported as skipped with the reason; with <c>CI=true</c> it runs and fails on their absence.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetFlowToolsFactAttribute : FactAttribute
{
    public static readonly string[] Tools = ["softflowd", "nfcapd", "nfdump"];

    public NetFlowToolsFactAttribute()
    {
        if (!IsCi && MissingTools() is { Count: > 0 } missing)
        {
            Skip = $"{string.Join(", ", missing)} not installed (apt-get install softflowd nfdump; test.sh does this); with CI=true this test fails instead";
        }
    }

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static List<string> MissingTools() => [.. Tools.Where(tool => Find(tool) is null)];

    /// <summary>The tool's full path from PATH (and the sbin folders, where softflowd lives), or null.</summary>
    public static string? Find(string tool)
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"]);
        return folders.Select(folder => Path.Combine(folder, tool)).FirstOrDefault(File.Exists);
    }
}
