using System.Buffers.Text;
using System.Diagnostics;
using System.Text;

namespace NetSecStream.Collectors.Generator;

/// <summary>
/// Deterministic synthetic traffic of a Kubernetes cluster in Cilium Hubble's exporter format, with labelled
/// attack episodes mixed in: the input for demos, benchmarks and detector evaluation (<c>netsec generate</c>).
/// The same options give byte-identical output (on the same runtime and processor architecture: the shapes of
/// latencies and gaps come from floating-point maths the platform computes).
/// </summary>
public sealed class TrafficGenerator
{
    /// <summary>Where simulated time starts when <see cref="GeneratorOptions.Start"/> is not set: a Monday morning.</summary>
    private static readonly ReadOnlyMemory<byte> Newline = new[] { (byte)'\n' };

    public static readonly DateTimeOffset DefaultStart = new(2025, 6, 2, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The scenario names: <c>demo</c>, <c>quiet</c> (no attacks) and <c>attack-heavy</c>.</summary>
    public static IReadOnlyList<string> Scenarios { get; } = ScenarioProfile.All.Select(p => p.Name).ToArray();

    /// <summary>
    /// Generates the events lazily, one Hubble JSON line at a time. With <see cref="GeneratorOptions.EventsPerSecond"/>
    /// above zero the enumeration blocks to keep that pace.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static",
        Justification = "Instance API by contract: the CLI, the benchmark and the embedded demo hold a generator.")]
    public IEnumerable<GeneratedEvent> Generate(GeneratorOptions options)
    {
        var profile = Validate(options);
        return Enumerate(options, profile);
    }

    /// <summary>
    /// Writes the events to <paramref name="outPath"/> (JSON lines) and their ground truth to
    /// <c>&lt;outPath&gt;.labels.jsonl</c>, line i of one describing line i of the other.
    /// </summary>
    public static async Task<GeneratorSummary> WriteAsync(GeneratorOptions options, string outPath, IProgress<long>? progress, CancellationToken ct)
    {
        var profile = Validate(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(outPath);
        string labelsPath = outPath + ".labels.jsonl";
        string? directory = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var byLabel = TrafficLabels.All.ToDictionary(l => l, _ => 0L, StringComparer.Ordinal);
        var episodes = new HashSet<string>(StringComparer.Ordinal);
        var episodesByLabel = TrafficLabels.Attacks.ToDictionary(l => l, _ => 0, StringComparer.Ordinal);
        DateTimeOffset? first = null;
        DateTimeOffset? last = null;
        byte[] labelLine = new byte[256];
        var pacer = Pacer.Create(options.EventsPerSecond);

        var run = new GeneratorRun(options, profile);
        await using (var events = new FileStream(outPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.Asynchronous))
        await using (var labels = new FileStream(labelsPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.Asynchronous))
        {
            // Lines are gathered into large chunks: one awaited write per line costs more than generating it.
            var eventsOut = new ChunkedWriter(events, 1 << 20);
            var labelsOut = new ChunkedWriter(labels, 1 << 18);
            byte[]? lastJson = null;
            while (run.TryNext(out var generated))
            {
                ct.ThrowIfCancellationRequested();
                await eventsOut.WriteAsync(generated.Json, ct);
                await eventsOut.WriteAsync(Newline, ct);
                int length = FormatLabelLine(generated, ref labelLine);
                await labelsOut.WriteAsync(labelLine.AsMemory(0, length), ct);

                byLabel[generated.Label]++;
                if (generated.Episode is { } episode && episodes.Add(episode))
                {
                    episodesByLabel[generated.Label]++;
                }

                lastJson = generated.Json;
                first ??= ReadTime(generated.Json);
                if (generated.Line % 10_000 == 0)
                {
                    progress?.Report(generated.Line);
                }

                if (pacer is not null && pacer.Delay(generated.Line) is { } wait)
                {
                    await eventsOut.FlushAsync(ct);
                    await labelsOut.FlushAsync(ct);
                    await Task.Delay(wait, ct);
                }
            }

            last = lastJson is null ? null : ReadTime(lastJson);
            await eventsOut.FlushAsync(ct);
            await labelsOut.FlushAsync(ct);
        }

        progress?.Report(run.Line);
        return new GeneratorSummary
        {
            Events = run.Line,
            EventsByLabel = byLabel,
            Episodes = episodes.Count,
            EpisodesByLabel = episodesByLabel,
            FirstEventTime = first,
            LastEventTime = last,
            EventsPath = outPath,
            LabelsPath = labelsPath,
        };
    }

    internal static long ToUnixNanos(DateTimeOffset instant) => (instant.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;

    private static IEnumerable<GeneratedEvent> Enumerate(GeneratorOptions options, ScenarioProfile profile)
    {
        var run = new GeneratorRun(options, profile);
        var pacer = Pacer.Create(options.EventsPerSecond);
        while (run.TryNext(out var generated))
        {
            yield return generated;
            if (pacer is not null && pacer.Delay(generated.Line) is { } wait)
            {
                Thread.Sleep(wait);
            }
        }
    }

    private static ScenarioProfile Validate(GeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Events);
        if (double.IsNaN(options.EventsPerSecond) || options.EventsPerSecond < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.EventsPerSecond, "EventsPerSecond must be 0 (unpaced) or positive.");
        }

        return ScenarioProfile.Find(options.Scenario ?? "") ?? throw new ArgumentException(
            "Unknown scenario '" + options.Scenario + "'; expected one of: " + string.Join(", ", Scenarios) + ".", nameof(options));
    }

    /// <summary>Renders <c>{"line":N,"label":"...","episode":"..."|null,"community_id":"..."}\n</c>.</summary>
    private static int FormatLabelLine(in GeneratedEvent generated, ref byte[] buffer)
    {
        int needed = 96 + generated.Label.Length + (generated.Episode?.Length ?? 4) + generated.CommunityId.Length;
        if (buffer.Length < needed)
        {
            buffer = new byte[needed * 2];
        }

        var span = buffer.AsSpan();
        int n = 0;
        n += Write(span[n..], "{\"line\":"u8);
        Utf8Formatter.TryFormat(generated.Line, span[n..], out int written);
        n += written;
        n += Write(span[n..], ",\"label\":\""u8);
        n += Encoding.UTF8.GetBytes(generated.Label, span[n..]);
        if (generated.Episode is null)
        {
            n += Write(span[n..], "\",\"episode\":null,\"community_id\":\""u8);
        }
        else
        {
            n += Write(span[n..], "\",\"episode\":\""u8);
            n += Encoding.UTF8.GetBytes(generated.Episode, span[n..]);
            n += Write(span[n..], "\",\"community_id\":\""u8);
        }

        // Community ids are base64: no character needs escaping.
        n += Encoding.UTF8.GetBytes(generated.CommunityId, span[n..]);
        n += Write(span[n..], "\"}\n"u8);
        return n;
    }

    private static int Write(Span<byte> destination, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    /// <summary>The flow time of a generated line (it starts <c>{"flow":{"time":"</c>).</summary>
    private static DateTimeOffset? ReadTime(byte[] json)
    {
        ReadOnlySpan<byte> prefix = "{\"flow\":{\"time\":\""u8;
        if (!json.AsSpan().StartsWith(prefix))
        {
            return null;
        }

        var rest = json.AsSpan(prefix.Length);
        int end = rest.IndexOf((byte)'"');
        return end > 0 && DateTimeOffset.TryParse(Encoding.ASCII.GetString(rest[..end]), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : null;
    }

    /// <summary>Collects small writes into one buffer and hands the stream full chunks.</summary>
    private sealed class ChunkedWriter
    {
        private readonly Stream _stream;
        private readonly byte[] _buffer;
        private int _length;

        public ChunkedWriter(Stream stream, int size)
        {
            _stream = stream;
            _buffer = new byte[size];
        }

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            if (_length + data.Length > _buffer.Length)
            {
                await FlushAsync(ct);
                if (data.Length > _buffer.Length)
                {
                    await _stream.WriteAsync(data, ct);
                    return;
                }
            }

            data.Span.CopyTo(_buffer.AsSpan(_length));
            _length += data.Length;
        }

        public async ValueTask FlushAsync(CancellationToken ct)
        {
            if (_length > 0)
            {
                await _stream.WriteAsync(_buffer.AsMemory(0, _length), ct);
                _length = 0;
            }

            await _stream.FlushAsync(ct);
        }
    }

    /// <summary>Wall-clock pacing: how long to wait so that line N is not written before N / rate seconds.</summary>
    private sealed class Pacer
    {
        private readonly double _eventsPerSecond;
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        private Pacer(double eventsPerSecond) => _eventsPerSecond = eventsPerSecond;

        public static Pacer? Create(double eventsPerSecond) => eventsPerSecond > 0 ? new Pacer(eventsPerSecond) : null;

        public TimeSpan? Delay(long line)
        {
            var due = TimeSpan.FromSeconds(line / _eventsPerSecond);
            var ahead = due - _clock.Elapsed;
            return ahead >= TimeSpan.FromMilliseconds(1) ? ahead : null;
        }
    }
}
