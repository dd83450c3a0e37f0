using System.Text;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Pcap.L7;

/// <summary>
/// The SSH identification strings (RFC 4253 4.2): <c>SSH-protoversion-softwareversion SP comments CR LF</c>, at most
/// 255 bytes. Each side's string becomes one <see cref="L7Transaction"/> (Suricata inspects the client's to_server and
/// the server's to_client); the binary packet protocol that follows is not read. A server may send other lines before
/// its string; they are skipped, within the same bound.
/// </summary>
internal sealed class SshBannerParser
{
    private const int MaxLineBytes = 255;
    private const int MaxLinesBeforeBanner = 16;

    private readonly L7Session _session;
    private readonly Side _client = new();
    private readonly Side _server = new();

    public SshBannerParser(L7Session session) => _session = session;

    public static bool LooksLikeBanner(ReadOnlySpan<byte> data) => data.StartsWith("SSH-"u8);

    public int Parse(ReadOnlySpan<byte> data, bool toServer, long ticks)
    {
        var side = toServer ? _client : _server;
        int consumed = 0;
        while (!side.Done && consumed < data.Length)
        {
            var rest = data[consumed..];
            int newline = rest[..Math.Min(rest.Length, MaxLineBytes)].IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (rest.Length >= MaxLineBytes)
                {
                    side.Done = true;
                }

                break;
            }

            consumed += newline + 1;
            var line = rest[..newline];
            if (line.Length > 0 && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (!LooksLikeBanner(line))
            {
                side.Done = ++side.Lines > MaxLinesBeforeBanner;
                continue;
            }

            side.Done = true;
            Report(line, toServer, ticks);
        }

        return side.Done ? data.Length : consumed;
    }

    public void OnGap(bool toServer) => (toServer ? _client : _server).Done = true;

    internal static (string Proto, string Software)? ReadBanner(ReadOnlySpan<byte> line)
    {
        if (!LooksLikeBanner(line))
        {
            return null;
        }

        var rest = line[4..];
        int dash = rest.IndexOf((byte)'-');
        if (dash <= 0)
        {
            return null;
        }

        var software = rest[(dash + 1)..];
        int space = software.IndexOf((byte)' ');
        if (space >= 0)
        {
            software = software[..space];
        }

        return (Encoding.UTF8.GetString(rest[..dash]), Encoding.UTF8.GetString(software));
    }

    private void Report(ReadOnlySpan<byte> line, bool toServer, long ticks)
    {
        if (ReadBanner(line) is not { } banner)
        {
            return;
        }

        _session.AddTransaction(new L7Transaction
        {
            Ticks = ticks,
            Ssh = toServer
                ? new SshFacts { ClientProto = banner.Proto, ClientSoftware = banner.Software }
                : new SshFacts { ServerProto = banner.Proto, ServerSoftware = banner.Software },
        });
    }

    private sealed class Side
    {
        public int Lines { get; set; }

        public bool Done { get; set; }
    }
}
