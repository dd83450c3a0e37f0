using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// Listens for NetFlow v5/v9/IPFIX export datagrams on a UDP endpoint (<see cref="NetFlowOptions"/>, section
/// <c>Collectors:NetFlow</c>) and decodes them into flow events (collector id <c>netflow</c>). A receive loop copies
/// each datagram into a pooled buffer and a bounded queue (<see cref="NetFlowOptions.QueueDatagrams"/>); when the
/// queue is full it waits and the kernel's receive buffer absorbs (then drops) the burst. The reader decodes in
/// arrival order with the wall clock as the decoder's clock. Origin is the exporter's address, position the 1-based
/// datagram number. <c>netsec_events_in</c> counts datagrams, <c>netsec_events_out</c> flows; rejected datagrams are
/// counted by reason and raised through <see cref="Rejected"/>. UDP cannot be replayed, so commits are no-ops.
/// </summary>
public sealed class NetFlowUdpSource : IFlowEventSource, IAsyncDisposable
{
    public const string ComponentId = "netflow";

    private readonly NetFlowOptions _options;
    private readonly NetSecMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Channel<Datagram> _queue;
    private readonly Lock _lock = new();
    private Socket? _socket;
    private CancellationTokenSource? _stopReceiving;
    private Task? _receiveLoop;
    private long _received;
    private bool _stopped;

    public NetFlowUdpSource(NetFlowOptions options, NetSecMetrics? metrics = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        NetFlowOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<Datagram>(new BoundedChannelOptions(options.QueueDatagrams)
        {
            SingleReader = false, // StopAsync drains what the reader left
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Ingest = new NetFlowIngest(ComponentId, options, metrics);
        metrics?.TrackQueue(ComponentId, () => _queue.Reader.Count);
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Source;

    public event Action<DeadLetter>? Rejected;

    /// <summary>The bound endpoint once started.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The decoder, for its telemetry and options state (interface names, sampling rates).</summary>
    public NetFlowDecoder Decoder => Ingest.Decoder;

    /// <summary>Datagrams decoded so far.</summary>
    public long Datagrams { get; private set; }

    internal NetFlowIngest Ingest { get; }

    private string Endpoint => LocalEndPoint?.ToString() ?? $"{_options.Listen}:{_options.Port}";

    /// <summary>Binds the socket and starts receiving; throws when the endpoint cannot be bound.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_socket is not null || _stopped)
            {
                return Task.CompletedTask;
            }

            var address = IPAddress.Parse(_options.Listen);
            var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                if (address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = address.Equals(IPAddress.IPv6Any);
                }

                socket.ReceiveBufferSize = _options.ReceiveBufferBytes;
                socket.Bind(new IPEndPoint(address, _options.Port));
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                throw new InvalidOperationException($"{NetFlowOptions.SectionName}: cannot listen on udp {_options.Listen}:{_options.Port}: {ex.Message}", ex);
            }

            _socket = socket;
            LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
            _stopReceiving = new CancellationTokenSource();
            var stop = _stopReceiving.Token;
            _receiveLoop = Task.Run(() => ReceiveLoopAsync(socket, stop), CancellationToken.None);
        }

        NetFlowLog.Listening(_logger, ComponentId, Endpoint);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<SourcedFlow> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken);
        var flows = new List<FlowEvent>(64);
        while (true)
        {
            var datagram = await NextAsync(cancellationToken);
            if (datagram is not { } d)
            {
                yield break;
            }

            flows.Clear();
            long position = ++Datagrams;
            string origin = Decode(d, position, flows);
            foreach (var flow in flows)
            {
                yield return new SourcedFlow(flow, origin, position);
            }
        }
    }

    private async ValueTask<Datagram?> NextAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_queue.Reader.TryRead(out var ready))
            {
                return ready;
            }

            if (await _queue.Reader.WaitToReadAsync(cancellationToken) && _queue.Reader.TryRead(out ready))
            {
                return ready;
            }

            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private string Decode(Datagram d, long position, List<FlowEvent> flows)
    {
        try
        {
            var payload = d.Buffer.AsSpan(0, d.Length);
            Ingest.CountIn(1);
            var result = Ingest.Ingest(payload, d.Exporter, d.ReceivedMs, flows);
            Ingest.CountOut(flows.Count);
            string origin = flows.Count > 0 ? flows[0].NodeName! : d.Exporter.ToString();
            if (!result.IsClean)
            {
                string reason = NetFlowRejectReasons.Name(result.FirstFailure);
                NetFlowLog.DatagramRejected(_logger, ComponentId, origin, position, reason);
                Rejected?.Invoke(Ingest.DeadLetter(origin, position, reason, payload));
            }

            return origin;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(d.Buffer);
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, CancellationToken stop)
    {
        // One datagram more than the limit, so an oversized one is seen as such rather than silently cut.
        byte[] buffer = GC.AllocateUninitializedArray<byte>(_options.MaxDatagramBytes + 1, pinned: true);
        var from = new SocketAddress(socket.AddressFamily);
        while (!stop.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, stop);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                // ICMP port-unreachable echoes and the like surface here on some platforms; keep receiving, without
                // spinning if the error persists.
                NetFlowLog.ReceiveFailed(_logger, ComponentId, Endpoint, ex);
                try
                {
                    await Task.Delay(10, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            _received++;
            var copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            buffer.AsSpan(0, length).CopyTo(copy);
            var datagram = new Datagram(copy, length, ExporterOf(from), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            try
            {
                await _queue.Writer.WriteAsync(datagram, stop);
            }
            catch (OperationCanceledException)
            {
                ArrayPool<byte>.Shared.Return(copy);
                break;
            }
        }
    }

    /// <summary>The sender's address from the raw socket address (no <see cref="IPEndPoint"/> allocated per datagram).</summary>
    private static NetFlowAddress ExporterOf(SocketAddress address)
    {
        var bytes = address.Buffer.Span;
        if (address.Family == AddressFamily.InterNetworkV6 && bytes.Length >= 24)
        {
            var v6 = bytes.Slice(8, 16);
            // IPv4-mapped (::ffff:a.b.c.d) on a dual-mode socket: the exporter is an IPv4 host.
            bool mapped = BinaryPrimitives.ReadUInt64BigEndian(v6) == 0 && BinaryPrimitives.ReadUInt32BigEndian(v6[8..]) == 0xFFFF;
            return mapped ? NetFlowAddress.FromIPv4(v6[12..]) : NetFlowAddress.FromIPv6(v6);
        }

        return bytes.Length >= 8 ? NetFlowAddress.FromIPv4(bytes.Slice(4, 4)) : default;
    }

    /// <summary>
    /// Stops receiving and releases the socket; datagrams still queued are dropped (UDP cannot be replayed) and a
    /// running <see cref="ReadAsync"/> ends. The source does not start again.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task? loop;
        lock (_lock)
        {
            _stopped = true;
            loop = _receiveLoop;
            _receiveLoop = null;
            _stopReceiving?.Cancel();
        }

        if (loop is not null)
        {
            try
            {
                await loop.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The loop ended by cancellation: what we asked for.
            }

            NetFlowLog.StoppedListening(_logger, ComponentId, Endpoint, _received);
        }

        lock (_lock)
        {
            _socket?.Dispose();
            _stopReceiving?.Dispose();
            _stopReceiving = null;
        }

        // A reader still waiting ends; what was queued but not decoded is dropped.
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var left))
        {
            ArrayPool<byte>.Shared.Return(left.Buffer);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private readonly record struct Datagram(byte[] Buffer, int Length, NetFlowAddress Exporter, long ReceivedMs);
}
