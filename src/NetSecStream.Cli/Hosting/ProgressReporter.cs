using System.Diagnostics;
using System.Globalization;
using NetSecStream.Pipeline;

namespace NetSecStream.Cli.Hosting;

/// <summary>
/// Prints a live progress line to stderr: rewritten in place on a terminal, one line every ten seconds otherwise
/// (logs, CI). stdout stays free for machine-readable output.
/// </summary>
public sealed class ProgressReporter(PipelineStats stats, long? expected = null) : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private Task? _loop;
    private long _lastRecords;
    private double _lastSeconds;

    public void Start() => _loop = LoopAsync(_cts.Token);

    private async Task LoopAsync(CancellationToken token)
    {
        var interval = _interactive ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10);
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                Write(final: false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private void Write(bool final)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        long records = stats.RecordsIn;
        double rate = (records - _lastRecords) / Math.Max(seconds - _lastSeconds, 1e-3);
        _lastRecords = records;
        _lastSeconds = seconds;
        string of = expected is { } total && total > 0 ? string.Create(CultureInfo.InvariantCulture, $"/{total:N0} ({100.0 * records / total:F0}%)") : "";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"[netsec] {_clock.Elapsed:hh\\:mm\\:ss}  events {records:N0}{of}  {rate:N0}/s  alerts {stats.Alerts:N0}  rejected {stats.Rejected:N0}  in-flight {stats.InFlightEvents:N0}");
        if (_interactive)
        {
            Console.Error.Write("\r" + line.PadRight(110));
            if (final)
            {
                Console.Error.WriteLine();
            }
        }
        else
        {
            Console.Error.WriteLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        Write(final: true);
        _cts.Dispose();
    }
}
