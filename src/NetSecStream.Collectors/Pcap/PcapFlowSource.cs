using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace NetSecStream.Collectors.Pcap;

/// <summary>
/// The <c>pcap</c> source: packets from a pcap/pcapng file (read directly, without libpcap, then the stream ends) or
/// from a live interface (libpcap through SharpPcap, until stopped) go through <see cref="FlowTable"/>, which
/// assembles bidirectional flows, reassembles TCP and extracts DNS, HTTP and TLS facts; each reported flow or L7
/// transaction is one <see cref="SourcedFlow"/> whose origin is the file (or <c>pcap:&lt;interface&gt;</c>) and whose
/// position is the number of the packet that ended it. Malformed packets are counted in
/// <c>netsec_events_rejected{component="pcap",reason}</c> and raised through <see cref="Rejected"/>; packets that are
/// not IP or are later IP fragments are skipped and counted in <see cref="Statistics"/> only.
/// <c>netsec_events_in</c> counts packets, <c>netsec_events_out</c> flow events. The end of a file reports every
/// flow still open; a stop (cancelling the read) does not: flows in progress are not events yet, and a replay reads
/// the file again. A live capture that fails reports what its table holds, then the error.
/// </summary>
public sealed class PcapFlowSource : IFlowEventSource
{
    public const string ComponentId = FlowTable.CollectorId;

    private const int MetricsBatch = 4096;
    private const int MaxDeadLetterBytes = 512;

    private readonly PcapOptions _options;
    private readonly NetSecMetrics? _metrics;
    private readonly ILogger _logger;

    public PcapFlowSource(PcapOptions options, NetSecMetrics? metrics, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new PcapOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(PcapOptions), typeof(PcapOptions), validation.Failures);
        }

        _options = options;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Source;

    /// <summary>The origin of every event: the file path, or <c>pcap:&lt;interface&gt;</c>.</summary>
    public string Origin => IsFile ? _options.File! : "pcap:" + _options.Interface;

    /// <summary>Counters of the current (or last) read; null before the first.</summary>
    public PcapStatistics? Statistics { get; private set; }

    public event Action<DeadLetter>? Rejected;

    private bool IsFile => !string.IsNullOrWhiteSpace(_options.File);

    /// <summary>Fails fast when the file does not exist, the interface is unknown to libpcap or the filter does not compile.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(_options.Filter))
        {
            using var program = BpfProgram.TryCreate(LinkLayers.Ethernet, _options.Filter);
            if (program is null)
            {
                throw new InvalidOperationException($"{PcapOptions.SectionName}:Filter '{_options.Filter}' is not a valid BPF expression");
            }
        }

        if (IsFile)
        {
            if (!File.Exists(_options.File))
            {
                throw new FileNotFoundException($"{PcapOptions.SectionName}:File '{_options.File}' does not exist", _options.File);
            }
        }
        else if (FindDevice(_options.Interface!) is null)
        {
            throw new InvalidOperationException($"{PcapOptions.SectionName}:Interface '{_options.Interface}' is not a capture device libpcap knows");
        }

        return Task.CompletedTask;
    }

    /// <summary>Nothing to release: a read owns its file or capture handle and closes it when it ends or is cancelled.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public IAsyncEnumerable<SourcedFlow> ReadAsync(CancellationToken cancellationToken) =>
        IsFile ? ReadFileAsync(cancellationToken) : ReadLiveAsync(cancellationToken);

    private async IAsyncEnumerable<SourcedFlow> ReadFileAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string origin = Origin;
        var table = new FlowTable(_options, origin);
        Statistics = table.Statistics;
        await using var stream = new FileStream(_options.File!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        var reader = new CaptureFileReader(stream);
        if (!reader.TryReadHeader(out string error))
        {
            throw new InvalidDataException($"{PcapOptions.SectionName}:File '{origin}': {error}");
        }

        PcapLog.FileOpened(_logger, ComponentId, origin, reader.IsPcapng ? "pcapng" : "pcap");
        using var filter = new PacketFilter(_options.Filter);
        long position = 0;
        long unreported = 0;
        var status = CaptureReadStatus.Packet;
        while (!cancellationToken.IsCancellationRequested)
        {
            status = reader.ReadNext(out var frame);
            if (status != CaptureReadStatus.Packet)
            {
                break;
            }

            position++;
            unreported++;
            if (filter.Matches(reader.LinkType, frame))
            {
                var outcome = table.Process(reader.LinkType, reader.TimestampTicks, frame, position);
                if (PacketOutcomes.IsRejection(outcome))
                {
                    Reject(origin, position, PacketOutcomes.Reason(outcome), frame);
                }
            }

            if (unreported >= MetricsBatch)
            {
                _metrics?.EventsIn(ComponentId, unreported);
                unreported = 0;
            }

            if (table.Output.Count > 0)
            {
                foreach (var item in Drain(table))
                {
                    yield return item;
                }
            }
        }

        _metrics?.EventsIn(ComponentId, unreported);
        if (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the flows still open are not reported half-done; a replay reads the file again.
            yield break;
        }

        if (status == CaptureReadStatus.Truncated)
        {
            PcapLog.FileTruncated(_logger, ComponentId, origin, position);
            Reject(origin, position + 1, "truncated_file", default);
        }
        else if (status == CaptureReadStatus.Corrupt)
        {
            PcapLog.FileCorrupt(_logger, ComponentId, origin, position);
            Reject(origin, position + 1, "corrupt_file", default);
        }

        table.FlushAll(position);
        foreach (var item in Drain(table))
        {
            yield return item;
        }

        var stats = table.Statistics;
        PcapLog.InputFinished(_logger, ComponentId, origin, stats.Packets, stats.FlowsCreated, stats.EventsEmitted, stats.PacketsRejected, stats.FlowsEvicted);
    }

    private async IAsyncEnumerable<SourcedFlow> ReadLiveAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<SourcedFlow>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var capture = Task.Factory.StartNew(
            () => CaptureLoop(channel.Writer, stop.Token),
            stop.Token,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await capture.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private void CaptureLoop(ChannelWriter<SourcedFlow> writer, CancellationToken cancellationToken)
    {
        string origin = Origin;
        var table = new FlowTable(_options, origin);
        Statistics = table.Statistics;
        long position = 0;
        long unreported = 0;
        Exception? failure = null;
        LibPcapLiveDevice? device = null;
        try
        {
            device = FindDevice(_options.Interface!)
                ?? throw new InvalidOperationException($"{PcapOptions.SectionName}:Interface '{_options.Interface}' is not a capture device libpcap knows");
            device.Open(new DeviceConfiguration
            {
                Mode = _options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
                Snaplen = _options.Snaplen,
                ReadTimeout = 200,
            });
            if (!string.IsNullOrWhiteSpace(_options.Filter))
            {
                device.Filter = _options.Filter;
            }

            int linkType = (int)device.LinkType;
            PcapLog.CaptureStarted(_logger, ComponentId, device.Name, _options.Filter ?? "", linkType);
            while (!cancellationToken.IsCancellationRequested)
            {
                var status = device.GetNextPacket(out var capture);
                if (status == GetPacketStatus.PacketRead)
                {
                    position++;
                    unreported++;
                    var time = capture.Header.Timeval;
                    long ticks = CaptureFileReader.UnixEpochTicks + ((long)time.Seconds * TimeSpan.TicksPerSecond) + ((long)time.MicroSeconds * 10);
                    var outcome = table.Process(linkType, ticks, capture.Data, position);
                    if (PacketOutcomes.IsRejection(outcome))
                    {
                        Reject(origin, position, PacketOutcomes.Reason(outcome), capture.Data);
                    }
                }
                else if (status == GetPacketStatus.ReadTimeout)
                {
                    table.AdvanceTime(DateTime.UtcNow.Ticks, position);
                }
                else
                {
                    throw new InvalidOperationException($"{PcapOptions.SectionName}:Interface '{device.Name}': capture stopped ({status}): {device.LastError}");
                }

                if (unreported >= MetricsBatch || (unreported > 0 && status == GetPacketStatus.ReadTimeout))
                {
                    _metrics?.EventsIn(ComponentId, unreported);
                    unreported = 0;
                }

                Publish(table, writer, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
#pragma warning disable CA1031 // Reported to the reader through the channel, which rethrows it.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            PcapLog.CaptureFailed(_logger, ComponentId, _options.Interface!, exception);
            failure = exception;
        }
        finally
        {
            device?.Close();
        }

        _metrics?.EventsIn(ComponentId, unreported);
        if (failure is not null)
        {
            // The capture broke: what the table holds is reported before the error. A stop reports nothing more.
            table.FlushAll(position);
            Publish(table, writer, CancellationToken.None, bestEffort: true);
        }

        var stats = table.Statistics;
        PcapLog.InputFinished(_logger, ComponentId, origin, stats.Packets, stats.FlowsCreated, stats.EventsEmitted, stats.PacketsRejected, stats.FlowsEvicted);
        writer.TryComplete(failure);
    }

    private void Publish(FlowTable table, ChannelWriter<SourcedFlow> writer, CancellationToken cancellationToken, bool bestEffort = false)
    {
        foreach (var item in Drain(table))
        {
            while (!writer.TryWrite(item))
            {
                if (bestEffort)
                {
                    // Failing: the queue is full; what does not fit is counted, not waited for.
                    _metrics?.EventRejected(ComponentId, "queue_full_on_failure");
                    break;
                }

                // The pipeline is behind: wait (libpcap's buffer absorbs, then drops, what arrives meanwhile).
                writer.WaitToWriteAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
            }
        }
    }

    private List<SourcedFlow> Drain(FlowTable table)
    {
        var items = new List<SourcedFlow>(table.Output);
        table.Output.Clear();
        _metrics?.EventsOut(ComponentId, items.Count);
        return items;
    }

    private void Reject(string origin, long position, string reason, ReadOnlySpan<byte> frame)
    {
        _metrics?.EventRejected(ComponentId, reason);
        var handler = Rejected;
        if (handler is not null)
        {
            var payload = frame[..Math.Min(frame.Length, MaxDeadLetterBytes)].ToArray();
            handler(new DeadLetter(ComponentId, origin, position, reason, payload, DateTimeOffset.UtcNow));
        }
    }

    private static LibPcapLiveDevice? FindDevice(string name)
    {
        foreach (var device in LibPcapLiveDeviceList.Instance)
        {
            if (string.Equals(device.Name, name, StringComparison.Ordinal))
            {
                return device;
            }
        }

        return null;
    }

    /// <summary>A BPF filter applied to file packets through libpcap's compiler, one program per link type.</summary>
    private sealed class PacketFilter(string? expression) : IDisposable
    {
        private readonly string? _expression = string.IsNullOrWhiteSpace(expression) ? null : expression;
        private readonly Dictionary<int, BpfProgram> _programs = [];

        public bool Matches(int linkType, ReadOnlySpan<byte> frame)
        {
            if (_expression is null)
            {
                return true;
            }

            if (!_programs.TryGetValue(linkType, out var program))
            {
                program = BpfProgram.Create((LinkLayers)linkType, _expression);
                _programs[linkType] = program;
            }

            return program.Matches(frame);
        }

        public void Dispose()
        {
            foreach (var program in _programs.Values)
            {
                program.Dispose();
            }
        }
    }
}
