using System.Globalization;
using System.Text;
using NetSecStream.Core.Events;

namespace NetSecStream.Sinks.Syslog;

/// <summary>
/// Turns an alert into the bytes of one syslog message: RFC 5424 or RFC 3164 header, CEF or LEEF payload, and (for
/// streams) RFC 6587 framing. UDP messages over <see cref="SyslogSinkOptions.MaxMessageBytes"/> are cut on a UTF-8
/// character boundary and end with <see cref="TruncationMarker"/>.
/// </summary>
internal sealed class SyslogEncoder
{
    public const string TruncationMarker = "[truncated]";

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    private static readonly byte[] TruncationMarkerBytes = Encoding.UTF8.GetBytes(TruncationMarker);

    private readonly SyslogSinkOptions _options;
    private readonly string _hostname;
    private readonly string _procId = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public SyslogEncoder(SyslogSinkOptions options)
    {
        _options = options;
        _hostname = string.IsNullOrEmpty(options.Hostname) ? SafeHostname(Environment.MachineName) : options.Hostname;
    }

    /// <summary>Syslog severity (RFC 5424 6.2.1) of an alert severity 1 (highest) to 4: critical, error, warning, notice.</summary>
    public static int SyslogSeverity(int alertSeverity) => alertSeverity switch
    {
        <= 1 => 2,
        2 => 3,
        3 => 4,
        _ => 5,
    };

    /// <summary>The payload alone (CEF or LEEF), as a SIEM parses it.</summary>
    public string Payload(Alert alert) => _options.Format == SyslogPayloadFormat.Leef ? LeefFormatter.Format(alert) : CefFormatter.Format(alert);

    /// <summary>The framed message, ready for the wire; <paramref name="truncated"/> says whether a size bound (UDP or stream) cut it.</summary>
    public byte[] Encode(Alert alert, out bool truncated)
    {
        ArgumentNullException.ThrowIfNull(alert);
        string message = Header(alert) + Payload(alert);
        byte[] body = Encoding.UTF8.GetBytes(message);
        truncated = false;
        if (_options.Transport == SyslogTransport.Udp)
        {
            if (body.Length > _options.MaxMessageBytes)
            {
                truncated = true;
                body = Truncate(body, _options.MaxMessageBytes);
            }

            return body;
        }

        if (body.Length > _options.MaxStreamMessageBytes)
        {
            truncated = true;
            body = Truncate(body, _options.MaxStreamMessageBytes);
        }

        if (_options.Framing == SyslogFraming.Lf)
        {
            return [.. body, (byte)'\n'];
        }

        byte[] prefix = Encoding.ASCII.GetBytes(body.Length.ToString(CultureInfo.InvariantCulture) + " ");
        return [.. prefix, .. body];
    }

    internal static byte[] Truncate(byte[] body, int limit)
    {
        int cut = limit - TruncationMarkerBytes.Length;
        // Step back over UTF-8 continuation bytes so no character is split.
        while (cut > 0 && (body[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        return [.. body.AsSpan(0, cut), .. TruncationMarkerBytes];
    }

    private string Header(Alert alert)
    {
        int pri = (_options.Facility * 8) + SyslogSeverity(alert.Severity);
        var time = alert.Timestamp.ToUniversalTime();
        if (_options.Rfc == SyslogRfc.Rfc3164)
        {
            // RFC 3164 4.1.2: "Mmm dd hh:mm:ss", the day padded with a space; no year and no zone, so UTC is used.
            return string.Create(CultureInfo.InvariantCulture,
                $"<{pri}>{Months[time.Month - 1]} {time.Day,2} {time:HH:mm:ss} {_hostname} {_options.AppName}[{_procId}]: ");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"<{pri}>1 {time:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'} {_hostname} {_options.AppName} {_procId} alert - ");
    }

    private static string SafeHostname(string name)
    {
        string cleaned = new([.. name.Where(c => c is > ' ' and <= '~')]);
        return cleaned.Length == 0 ? "-" : cleaned[..Math.Min(cleaned.Length, 255)];
    }
}
