using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NetSecStream.Collectors.Files;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Control.Policies;

/// <summary>
/// Loads <c>Control:Backtest:Paths</c> (Hubble JSON lines) into the window after start, in the background: a large file
/// must not delay the API. A bad line is logged as <c>file:line: reason</c> (the first few per file) and counted.
/// </summary>
public sealed partial class RecentFlowsLoader(RecentFlows window, ControlOptions options, NetSecMetrics metrics, ILogger<RecentFlowsLoader> logger) : BackgroundService
{
    private const int BatchSize = 4096;
    private const int LoggedErrorsPerFile = 5;

    /// <summary>Whether every file has been read (or failed); the plan says so while it is false.</summary>
    public bool Done { get; private set; }

    public long Rejected { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            foreach (string path in options.Backtest.Paths)
            {
                await LoadAsync(path, stoppingToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Done = true;
        }
    }

    private async Task LoadAsync(string path, CancellationToken token)
    {
        string name = Path.GetFileName(path);
        long loaded = 0;
        long rejected = 0;
        void Reject(long line, string reason)
        {
            rejected++;
            metrics.EventRejected(RecentFlowsSink.ComponentId, "bad_line");
            if (rejected <= LoggedErrorsPerFile)
            {
                LogBadLine(name, line, reason);
            }
        }

        try
        {
            var source = new JsonLinesFileSource(new HubbleFileSourceOptions { Path = path }) { OnRejected = Reject };
            var decoder = new HubbleFlowDecoder();
            var batch = new List<FlowEvent>(BatchSize);
            await foreach (var record in source.ReadAsync(token).ConfigureAwait(false))
            {
                var result = decoder.Decode(record.Payload.Span);
                if (result.Event is { } flow)
                {
                    batch.Add(flow);
                    loaded++;
                }
                else
                {
                    Reject(record.Position, result.Error ?? "not a flow");
                }

                if (batch.Count == BatchSize)
                {
                    window.Add(batch);
                    batch.Clear();
                }
            }

            window.Add(batch);
            metrics.EventsIn(RecentFlowsSink.ComponentId, loaded);
            LogLoaded(name, loaded, rejected);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogUnreadable(path, ex.Message);
        }
        finally
        {
            Rejected += rejected;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Backtest flows loaded from {File}: {Loaded} flows, {Rejected} lines rejected")]
    private partial void LogLoaded(string file, long loaded, long rejected);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{File}:{Line}: {Reason}")]
    private partial void LogBadLine(string file, long line, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Backtest flows file {Path} could not be read: {Reason}")]
    private partial void LogUnreadable(string path, string reason);
}
