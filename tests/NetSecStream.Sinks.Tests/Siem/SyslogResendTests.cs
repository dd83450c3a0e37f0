using System.Net;
using System.Net.Sockets;
using System.Text;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Syslog;

namespace NetSecStream.Sinks.Tests.Siem;

/// <summary>
/// The case syslog over TCP cannot see: a receiver that goes away with messages it had been sent but not read. A
/// scripted receiver reads three messages of a batch and closes; the sink notices at its next write, reconnects and
/// sends the last messages again, so nothing is lost (the three read ones arrive twice).
/// </summary>
public sealed class SyslogResendTests
{
    [Fact]
    public async Task ReceiverClosesWithUnreadMessages_NextWriteResendsThem_NothingLost()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var received = new List<string>();
        var firstClosed = new TaskCompletionSource();

        var receiver = Task.Run(async () =>
        {
            using (var first = await listener.AcceptTcpClientAsync())
            {
                var stream = first.GetStream();
                for (int i = 0; i < 3; i++)
                {
                    received.Add(await ReadFrameAsync(stream));
                }

                // Seven messages stay unread in the socket: closing now drops them, as a crashing receiver would.
                first.Client.LingerState = new LingerOption(true, 0);
            }

            firstClosed.SetResult();
            using var second = await listener.AcceptTcpClientAsync();
            var again = second.GetStream();
            while (received.Count < 23)
            {
                received.Add(await ReadFrameAsync(again));
            }
        });

        using var metrics = new NetSecMetrics();
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Transport = SyslogTransport.Tcp,
            ResendOnReconnect = 10,
            InitialBackoff = TimeSpan.FromMilliseconds(20),
            MaxBackoff = TimeSpan.FromMilliseconds(100),
        }, metrics);
        var alerts = Enumerable.Range(0, 20).Select(i => SiemTestKit.Alert(i)).ToList();

        await sink.WriteAsync(alerts[..10], CancellationToken.None);
        await firstClosed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(100);
        await sink.WriteAsync(alerts[10..], CancellationToken.None);
        await receiver.WaitAsync(TimeSpan.FromSeconds(10));

        var ids = received.Select(m => SiemTestKit.ParseCef(m).Extension["externalId"]).ToList();
        Assert.Equal(alerts.Select(a => a.Id).Order(StringComparer.Ordinal), ids.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(10, sink.Resent);
        Assert.Equal(3, ids.Count - ids.Distinct().Count());
    }

    /// <summary>One RFC 6587 octet-counted frame, read byte-exactly so that what follows stays unread.</summary>
    private static async Task<string> ReadFrameAsync(NetworkStream stream)
    {
        var length = new StringBuilder();
        byte[] one = new byte[1];
        while (true)
        {
            await stream.ReadExactlyAsync(one);
            if (one[0] == (byte)' ')
            {
                break;
            }

            length.Append((char)one[0]);
        }

        byte[] message = new byte[int.Parse(length.ToString(), System.Globalization.CultureInfo.InvariantCulture)];
        await stream.ReadExactlyAsync(message);
        return Encoding.UTF8.GetString(message);
    }
}
