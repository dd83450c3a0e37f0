using System.CommandLine;
using NetSecStream.Collectors.Generator;

namespace NetSecStream.Cli.Commands;

/// <summary><c>netsec generate</c>: deterministic synthetic cluster traffic with separate ground truth.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var scenario = new Option<string>("--scenario") { Description = "Scenario: " + string.Join(", ", TrafficGenerator.Scenarios), DefaultValueFactory = _ => "demo" };
        var events = new Option<long>("--events", "-n") { Description = "Number of events to write.", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives byte-identical output.", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out", "-o") { Description = "Output file (Hubble JSON lines); labels go to <out>.labels.jsonl.", Required = true };
        var command = new Command("generate", "Write realistic, labelled Kubernetes traffic in Hubble format.") { scenario, events, seed, output };
        command.SetAction(async (parse, token) =>
        {
            string name = parse.GetValue(scenario)!;
            long count = parse.GetValue(events);
            if (!TrafficGenerator.Scenarios.Contains(name))
            {
                Console.Error.WriteLine($"netsec generate: unknown scenario '{name}' (known: {string.Join(", ", TrafficGenerator.Scenarios)})");
                return NetSecCli.ConfigurationErrorExitCode;
            }

            if (count < 1)
            {
                Console.Error.WriteLine("netsec generate: --events must be at least 1");
                return NetSecCli.ConfigurationErrorExitCode;
            }

            string path = parse.GetValue(output)!;
            var progress = new Progress<long>(n =>
            {
                if (!Console.IsErrorRedirected)
                {
                    Console.Error.Write($"\r[netsec] generated {n:N0}/{count:N0} ({100.0 * n / count:F0}%)");
                }
            });
            var summary = await TrafficGenerator.WriteAsync(new GeneratorOptions(name, count, parse.GetValue(seed)), path, progress, token).ConfigureAwait(false);
            if (!Console.IsErrorRedirected)
            {
                Console.Error.WriteLine();
            }

            Console.WriteLine($"wrote {summary.Events:N0} events to {summary.EventsPath} and labels to {summary.LabelsPath}");
            Console.WriteLine($"simulated time {summary.FirstEventTime:u} .. {summary.LastEventTime:u}; {summary.Episodes} attack episodes");
            foreach (var (label, events) in summary.EventsByLabel)
            {
                int episodes = summary.EpisodesByLabel.TryGetValue(label, out int n) ? n : 0;
                Console.WriteLine($"  {label,-18} {events,10:N0} events{(label == "normal" ? "" : $" in {episodes} episodes")}");
            }
            return 0;
        });
        return command;
    }
}
