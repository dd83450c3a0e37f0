using System.Diagnostics;
using NetSecStream.Cli.Configuration;
using NetSecStream.Collectors.Generator;
using NetSecStream.Core.Components;
using NetSecStream.Pipeline.InProcess;

namespace NetSecStream.Cli.Hosting;

/// <summary>
/// Feeds the embedded <c>netsec run</c> with the generator's traffic at a steady rate through the in-process
/// transport, so a new user sees the whole product work with no servers. Stops by completing the transport,
/// which lets the pipeline drain everything already published.
/// </summary>
public sealed class DemoTrafficPublisher(DemoSourceOptions options, InProcessRecordSource transport)
{
    public const string Origin = "demo";

    public long Published { get; private set; }

    public async Task RunAsync(CancellationToken stopToken)
    {
        try
        {
            var clock = Stopwatch.StartNew();
            var tick = TimeSpan.FromMilliseconds(50);
            using var timer = new PeriodicTimer(tick);
            var generator = new TrafficGenerator();
            var stream = generator.Generate(new GeneratorOptions(options.Scenario, long.MaxValue, options.Seed, DateTimeOffset.UtcNow, options.EventsPerSecond)).GetEnumerator();
            using (stream)
            {
                while (!stopToken.IsCancellationRequested)
                {
                    long due = (long)(clock.Elapsed.TotalSeconds * options.EventsPerSecond);
                    while (Published < due && stream.MoveNext())
                    {
                        var generated = stream.Current;
                        await transport.PublishAsync(new RawRecord(generated.Json, Origin, generated.Line), stopToken).ConfigureAwait(false);
                        Published++;
                    }

                    await timer.WaitForNextTickAsync(stopToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // Ctrl-C: fall through to completing the transport.
        }
        finally
        {
            transport.Complete();
        }
    }
}
