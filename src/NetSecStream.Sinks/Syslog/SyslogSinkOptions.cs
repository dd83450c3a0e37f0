using Microsoft.Extensions.Options;

namespace NetSecStream.Sinks.Syslog;

/// <summary>How syslog messages travel.</summary>
public enum SyslogTransport
{
    /// <summary>One message per datagram (RFC 5426); no delivery guarantee, messages over the size bound are truncated.</summary>
    Udp,

    /// <summary>A TCP stream (RFC 6587), framed by <see cref="SyslogSinkOptions.Framing"/>.</summary>
    Tcp,

    /// <summary>TCP with TLS (RFC 5425), framed by <see cref="SyslogSinkOptions.Framing"/> (RFC 5425 itself uses octet counting).</summary>
    Tls,
}

/// <summary>The syslog header written before the payload.</summary>
public enum SyslogRfc
{
    /// <summary><c>&lt;PRI&gt;1 2026-01-01T00:00:00.000Z host app procid msgid - payload</c>.</summary>
    Rfc5424,

    /// <summary>The BSD format: <c>&lt;PRI&gt;Jan  1 00:00:00 host app: payload</c> (time in UTC).</summary>
    Rfc3164,
}

/// <summary>How messages are delimited on a TCP or TLS stream (RFC 6587).</summary>
public enum SyslogFraming
{
    /// <summary><c>LENGTH SP MESSAGE</c> (RFC 6587 3.4.1): any byte may appear in a message.</summary>
    OctetCounting,

    /// <summary>Each message ends with LF (RFC 6587 3.4.2); payload formatters escape newlines, so none is inside a message.</summary>
    Lf,
}

/// <summary>The SIEM payload inside each syslog message.</summary>
public enum SyslogPayloadFormat
{
    /// <summary>ArcSight Common Event Format.</summary>
    Cef,

    /// <summary>IBM QRadar Log Event Extended Format 2.0.</summary>
    Leef,
}

/// <summary>Options of the <c>syslog</c> sink (configuration section <c>Sinks:Syslog</c>).</summary>
public sealed class SyslogSinkOptions
{
    public const string SectionName = "Sinks:Syslog";

    /// <summary>Receiver host name or address. Required.</summary>
    public string Host { get; set; } = "";

    /// <summary>Receiver port; 0 means the transport's standard port (514 UDP, 601 TCP, 6514 TLS).</summary>
    public int Port { get; set; }

    public SyslogTransport Transport { get; set; } = SyslogTransport.Udp;

    public SyslogRfc Rfc { get; set; } = SyslogRfc.Rfc5424;

    /// <summary>TCP and TLS only.</summary>
    public SyslogFraming Framing { get; set; } = SyslogFraming.OctetCounting;

    public SyslogPayloadFormat Format { get; set; } = SyslogPayloadFormat.Cef;

    /// <summary>Syslog facility, 0-23; default 4 (security/authorization messages).</summary>
    public int Facility { get; set; } = 4;

    /// <summary>APP-NAME (RFC 5424) or TAG (RFC 3164).</summary>
    public string AppName { get; set; } = "netsec";

    /// <summary>HOSTNAME field; empty means this machine's name.</summary>
    public string? Hostname { get; set; }

    /// <summary>
    /// UDP: a message (header included) longer than this many bytes is cut to it, ending with <c>[truncated]</c>, and
    /// counted in <c>netsec_events_truncated</c>. RFC 5426 asks receivers to accept 2048 bytes; most accept more.
    /// </summary>
    public int MaxMessageBytes { get; set; } = 2048;

    /// <summary>
    /// TCP and TLS: a message longer than this many bytes is cut the same way. Receivers refuse larger frames
    /// (syslog-ng's <c>log-msg-size</c> defaults to 64 KiB, and it drops the connection on a larger one), and a refused
    /// message would otherwise be resent after every reconnect.
    /// </summary>
    public int MaxStreamMessageBytes { get; set; } = 65_536;

    /// <summary>TLS: PEM file of the CA that signed the receiver's certificate; empty means the system's trust store.</summary>
    public string? CaFile { get; set; }

    /// <summary>TLS: PEM certificate this sink presents to receivers that ask for one (with <see cref="ClientKeyFile"/>).</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>TLS: PEM private key of <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>TLS: the name the receiver's certificate must carry; empty means <see cref="Host"/>.</summary>
    public string? ServerName { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// TLS: after the handshake, how long to wait for the receiver to reject the connection (as one that requires a
    /// client certificate does, after a TLS 1.3 handshake the client already considers done) before writing to it.
    /// </summary>
    public TimeSpan TlsAcceptanceWait { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>A batch not handed to the stream within this time counts as a broken connection (a receiver that stopped reading).</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before reconnecting after a failed connection or write; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one write keeps reconnecting before it fails (and the pipeline's own retry takes over).</summary>
    public TimeSpan RetryTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// TCP and TLS: after a broken connection, this many of the messages last written on it are sent again on the new
    /// one, because a stream's peer may close with them unread. Duplicates around a break are the price of no loss.
    /// </summary>
    public int ResendOnReconnect { get; set; } = 1000;
}

/// <summary>Rejects <see cref="SyslogSinkOptions"/> at start-up with messages naming the configuration key.</summary>
public sealed class SyslogSinkOptionsValidator : IValidateOptions<SyslogSinkOptions>
{
    public ValidateOptionsResult Validate(string? name, SyslogSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string s = SyslogSinkOptions.SectionName;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            failures.Add($"{s}:Host is required");
        }

        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"{s}:Port must be 0 (the transport's standard port) or 1-65535 (was {options.Port})");
        }

        CheckDefined(failures, "Transport", options.Transport);
        CheckDefined(failures, "Rfc", options.Rfc);
        CheckDefined(failures, "Framing", options.Framing);
        CheckDefined(failures, "Format", options.Format);
        if (options.Facility is < 0 or > 23)
        {
            failures.Add($"{s}:Facility must be 0-23 (was {options.Facility})");
        }

        if (string.IsNullOrWhiteSpace(options.AppName) || options.AppName.Length > 48 || options.AppName.Any(c => c is <= ' ' or > '~'))
        {
            failures.Add($"{s}:AppName must be 1-48 printable ASCII characters without spaces (was '{options.AppName}')");
        }

        if (options.Hostname is { Length: > 0 } host && (host.Length > 255 || host.Any(c => c is <= ' ' or > '~')))
        {
            failures.Add($"{s}:Hostname must be at most 255 printable ASCII characters without spaces (was '{host}')");
        }

        if (options.MaxStreamMessageBytes < 480)
        {
            failures.Add($"{s}:MaxStreamMessageBytes must be at least 480 (was {options.MaxStreamMessageBytes})");
        }

        if (options.MaxMessageBytes < 480)
        {
            failures.Add($"{s}:MaxMessageBytes must be at least 480, the size every syslog receiver accepts (was {options.MaxMessageBytes})");
        }

        if (options.Transport == SyslogTransport.Tls)
        {
            CheckFile(failures, "CaFile", options.CaFile);
            CheckFile(failures, "ClientCertificateFile", options.ClientCertificateFile);
            CheckFile(failures, "ClientKeyFile", options.ClientKeyFile);
            if (string.IsNullOrEmpty(options.ClientCertificateFile) != string.IsNullOrEmpty(options.ClientKeyFile))
            {
                failures.Add($"{s}:ClientCertificateFile and {s}:ClientKeyFile must be given together");
            }
        }
        else if (!string.IsNullOrEmpty(options.CaFile) || !string.IsNullOrEmpty(options.ClientCertificateFile) || !string.IsNullOrEmpty(options.ClientKeyFile))
        {
            failures.Add($"{s}:CaFile, ClientCertificateFile and ClientKeyFile apply only when {s}:Transport is Tls");
        }

        CheckPositive(failures, "ConnectTimeout", options.ConnectTimeout);
        CheckPositive(failures, "WriteTimeout", options.WriteTimeout);
        if (options.TlsAcceptanceWait < TimeSpan.Zero)
        {
            failures.Add($"{s}:TlsAcceptanceWait must be >= 0 (was {options.TlsAcceptanceWait})");
        }

        CheckPositive(failures, "InitialBackoff", options.InitialBackoff);
        CheckPositive(failures, "RetryTimeout", options.RetryTimeout);
        if (options.MaxBackoff < options.InitialBackoff)
        {
            failures.Add($"{s}:MaxBackoff must be at least InitialBackoff (was {options.MaxBackoff})");
        }

        if (options.ResendOnReconnect < 0)
        {
            failures.Add($"{s}:ResendOnReconnect must be >= 0 (was {options.ResendOnReconnect})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckDefined<T>(List<string> failures, string key, T value)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            failures.Add($"{SyslogSinkOptions.SectionName}:{key} '{value}' is not one of {string.Join(", ", Enum.GetNames<T>())}");
        }
    }

    private static void CheckFile(List<string> failures, string key, string? path)
    {
        if (!string.IsNullOrEmpty(path) && !File.Exists(path))
        {
            failures.Add($"{SyslogSinkOptions.SectionName}:{key} '{path}' does not exist");
        }
    }

    private static void CheckPositive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{SyslogSinkOptions.SectionName}:{key} must be > 0 (was {value})");
        }
    }
}
