using System.Diagnostics;

namespace NetSecStream.Collectors.Tests.Pcap;

/// <summary>Runs tshark (Wireshark's command line) as the reference decoder.</summary>
internal static class Tshark
{
    public static string? Path { get; } = Find();

    /// <summary>Runs tshark with the arguments; returns its standard output lines. Fails the test when it fails.</summary>
    public static List<string> Run(params string[] arguments)
    {
        string tshark = Path ?? throw new InvalidOperationException("tshark is not installed; test.sh installs it (apt-get install tshark)");
        var start = new ProcessStartInfo(tshark)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tshark {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr.Result}");
        }

        return lines;
    }

    private static string? Find()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string candidate = System.IO.Path.Combine(dir, "tshark");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
