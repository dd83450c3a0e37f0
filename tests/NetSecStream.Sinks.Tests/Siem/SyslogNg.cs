using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NetSecStream.Sinks.Tests.Siem;

/// <summary>
/// A fact that needs Debian's syslog-ng (package <c>syslog-ng-core</c>, which test.sh installs). Outside CI, where it
/// is missing the test is skipped with the reason; with <c>CI=true</c> it runs and fails on its absence.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SyslogNgFactAttribute : FactAttribute
{
    public SyslogNgFactAttribute()
    {
        if (!SyslogNg.IsCi && SyslogNg.Find() is null)
        {
            Skip = "syslog-ng not installed (apt-get install syslog-ng-core; test.sh does this); with CI=true this test fails instead";
        }
    }
}

/// <summary>
/// A private syslog-ng in the foreground, as a child process of the test: its own config, pid, persist and control
/// files in a temporary folder, one source on a free loopback port, and a file destination writing
/// <c>PROGRAM TAB HOST TAB MSG</c> per message, so a test sees that the header parsed as well as the payload.
/// Not the system service: nothing outside the folder is touched.
/// </summary>
internal sealed class SyslogNg : IDisposable
{
    private readonly string _dir;
    private readonly string _config;
    private Process? _process;

    /// <param name="driver"><c>syslog</c> (RFC 6587 octet counting) or <c>network</c> (LF framing).</param>
    /// <param name="transport"><c>tcp</c>, <c>udp</c> or <c>tls</c>.</param>
    /// <param name="tlsKeyFile">Server key (PEM) for TLS.</param>
    /// <param name="tlsCertFile">Server certificate (PEM) for TLS.</param>
    /// <param name="parseFlags">Source flags; empty parses RFC 5424 (syslog driver) or RFC 3164 (network driver).</param>
    /// <param name="clientCaFile">TLS: require a client certificate signed by this CA (PEM).</param>
    public SyslogNg(string driver, string transport, string? tlsKeyFile = null, string? tlsCertFile = null, string parseFlags = "", string? clientCaFile = null)
    {
        string binary = Find() ?? throw new InvalidOperationException(
            IsCi ? "CI=true but syslog-ng is missing: test.sh must install syslog-ng-core" : "syslog-ng is not installed");
        Binary = binary;
        _dir = Directory.CreateTempSubdirectory("netsec-syslog-ng-").FullName;
        Port = transport == "udp" ? FreeUdpPort() : FreeTcpPort();
        Transport = transport;
        OutputFile = Path.Combine(_dir, "out.log");
        _config = Path.Combine(_dir, "syslog-ng.conf");
        string peer = clientCaFile is null ? "peer-verify(optional-untrusted)" : $"peer-verify(required-trusted) ca-file(\"{clientCaFile}\")";
        string tls = transport == "tls" ? $" tls(key-file(\"{tlsKeyFile}\") cert-file(\"{tlsCertFile}\") {peer})" : "";
        string flags = parseFlags.Length > 0 ? $" flags({parseFlags})" : "";
        File.WriteAllText(_config, $$"""
            @version: {{ConfigVersion(binary)}}
            options { keep-hostname(yes); chain-hostnames(no); use-dns(no); stats-freq(0); log-msg-size(65536); };
            source s_test { {{driver}}(ip("127.0.0.1") port({{Port}}) transport("{{transport}}"){{tls}}{{flags}} max-connections(100)); };
            destination d_test { file("{{OutputFile}}" template("${PROGRAM}\t${HOST}\t${MSG}\n") flush-lines(1)); };
            log { source(s_test); destination(d_test); };
            """);
        try
        {
            Start();
        }
        catch
        {
            Directory.Delete(_dir, recursive: true);
            throw;
        }
    }

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public string Binary { get; }

    public int Port { get; }

    public string Transport { get; }

    public string OutputFile { get; }

    public static string? Find()
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin"]);
        return folders.Select(folder => Path.Combine(folder, "syslog-ng")).FirstOrDefault(File.Exists);
    }

    public void Start()
    {
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])["-F", "-f", _config, "--pidfile", Path.Combine(_dir, "pid"), "--persist-file", Path.Combine(_dir, "persist"),
                     "--control", Path.Combine(_dir, "ctl")])
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.BeginOutputReadLine();
        var errors = new StringBuilder();
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
        // Ready once the pid file is written (after the sources are bound); a connection test would leave a message-less connection.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.Exists(Path.Combine(_dir, "pid")) || (Transport != "udp" && !Listening()))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                string err;
                lock (errors)
                {
                    err = errors.ToString();
                }

                throw new InvalidOperationException($"syslog-ng did not start (exit {(_process.HasExited ? _process.ExitCode : -1)}): {err}\nconfig:\n{File.ReadAllText(_config)}");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>SIGTERM, as a service stop does: syslog-ng closes its connections and flushes its destination.</summary>
    public void Stop()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        if (!_process.WaitForExit(15_000))
        {
            _process.Kill();
            _process.WaitForExit();
        }

        File.Delete(Path.Combine(_dir, "pid"));
        _process.Dispose();
        _process = null;
    }

    public List<string> Lines() => File.Exists(OutputFile)
        ? [.. File.ReadAllText(OutputFile, Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries)]
        : [];

    /// <summary>Waits until the output holds at least <paramref name="count"/> lines (or the time is up) and returns them.</summary>
    public async Task<List<string>> WaitForLinesAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var lines = Lines();
        while (lines.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            lines = Lines();
        }

        // A little longer, so that duplicates still in flight are counted too.
        await Task.Delay(200);
        return Lines();
    }

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }

    private bool Listening()
    {
        // /proc/net/tcp lists the listening socket once syslog-ng bound it (state 0A), without connecting to it.
        string hexPort = Port.ToString("X4", CultureInfo.InvariantCulture);
        return File.ReadLines("/proc/net/tcp").Any(l => l.Contains($"0100007F:{hexPort} 00000000:0000 0A", StringComparison.Ordinal));
    }

    private static string ConfigVersion(string binary)
    {
        using var p = Process.Start(new ProcessStartInfo(binary, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        // "Installer-Version: 3.38.1" -> "3.38": the config speaks the running version, so no compatibility mode applies.
        string line = output.Split('\n').First(l => l.StartsWith("Installer-Version:", StringComparison.Ordinal));
        string[] parts = line["Installer-Version:".Length..].Trim().Split('.');
        return parts[0] + "." + parts[1];
    }

    // Below Linux's ephemeral range (32768-60999), as real syslog ports are: a client reconnecting to a port inside it
    // while the daemon is down can be handed that very port and connect to itself, keeping the daemon from coming back.
    private static int FreeTcpPort()
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException("no free TCP port between 20000 and 32000 on the loopback interface");
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
