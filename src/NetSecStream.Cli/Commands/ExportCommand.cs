using System.CommandLine;
using NetSecStream.Behaviour.Features;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec export --format csv|parquet --out FILE</c>: behaviour feature rows (schema version, keys, time, label,
/// episode and every feature of <see cref="FeatureSchema"/>) from the generator or from a Hubble JSON flow file.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "csv or parquet.", Required = true };
        format.AcceptOnlyFromAmong("csv", "parquet");
        var output = new Option<string>("--out", "-o") { Description = "File to write.", Required = true };
        var input = new Option<string?>("--input", "-i") { Description = "A capture netsec replay reads: Hubble JSON lines ('-' is stdin), a pcap of packets, or a pcap of NetFlow/IPFIX datagrams. Without it, flows come from the generator." };
        var inputFormat = new Option<string?>("--input-format") { Description = "hubble, pcap or netflow; detected from the file's content when omitted." };
        inputFormat.AcceptOnlyFromAmong("hubble", "pcap", "netflow");
        var labels = new Option<string?>("--labels") { Description = "Labels for --input: triage outcomes ({\"community_id\",\"outcome\": true_positive|false_positive}) or a generator .labels.jsonl." };
        var scenario = new Option<string>("--scenario") { Description = "Generator scenario (demo, quiet, attack-heavy).", DefaultValueFactory = _ => "demo" };
        var events = new Option<long>("--events", "-n") { Description = "Generator events.", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<int>("--seed") { Description = "Generator seed.", DefaultValueFactory = _ => 1 };
        var window = new Option<double>("--window-seconds") { Description = "Sliding window of the windowed features, in event time.", DefaultValueFactory = _ => 60 };
        var command = new Command("export", "Write behaviour feature rows (CSV or Parquet) from generated traffic or a flow file.")
        {
            format, output, input, inputFormat, labels, scenario, events, seed, window,
        };
        command.SetAction((parse, token) => RunAsync(parse.GetValue(format)!, parse.GetValue(output)!, parse.GetValue(input), parse.GetValue(inputFormat), parse.GetValue(labels),
            parse.GetValue(scenario)!, parse.GetValue(events), parse.GetValue(seed), parse.GetValue(window), token));
        return command;
    }

    private static async Task<int> RunAsync(string format, string output, string? input, string? inputFormat, string? labels, string scenario, long events, int seed, double windowSeconds, CancellationToken token)
    {
        if (windowSeconds is <= 0 or > 86_400 || events < 1)
        {
            Console.Error.WriteLine("netsec export: --window-seconds must be in (0, 86400] and --events at least 1");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (input is null && (labels is not null || !FeatureInputs.ValidScenario(scenario, "export")))
        {
            if (labels is not null)
            {
                Console.Error.WriteLine("netsec export: --labels needs --input");
            }

            return NetSecCli.ConfigurationErrorExitCode;
        }

        foreach (string? file in (string?[])[input == "-" ? null : input, labels])
        {
            if (file is not null && !File.Exists(file))
            {
                Console.Error.WriteLine($"netsec export: '{file}' not found");
                return NetSecCli.ConfigurationErrorExitCode;
            }
        }

        var errors = new InputErrorCounter();
        IEnumerable<LabelledFlow> flows;
        try
        {
            flows = input is null ? FeatureInputs.Generated(scenario, events, seed) : FeatureInputs.FromCapture(input, inputFormat, labels, errors, "export");
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException)
        {
            Console.Error.WriteLine($"netsec export: {input}: {ex.Message}");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        var extractor = new FlowFeatureExtractor(new FlowFeatureExtractorOptions { Window = TimeSpan.FromSeconds(windowSeconds) });
        long rows = 0;
        var counted = Count(extractor.ExtractRows(flows), () => rows++);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        try
        {
            if (format == "csv")
            {
                await using var writer = new StreamWriter(output, append: false, new System.Text.UTF8Encoding(false));
                FeatureFiles.WriteCsv(writer, counted);
            }
            else
            {
                await using var stream = new FileStream(output, FileMode.Create, FileAccess.ReadWrite);
                await FeatureFiles.WriteParquetAsync(stream, counted, ct: token).ConfigureAwait(false);
            }
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine("netsec export: " + ex.Message);
            return NetSecCli.RuntimeErrorExitCode;
        }
        catch (InvalidDataException ex)
        {
            Console.Error.WriteLine($"netsec export: {input}: {ex.Message}");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        var evictions = extractor.Evictions;
        Console.WriteLine($"wrote {rows:N0} rows ({FeatureSchema.Count} features, schema version {FeatureSchema.Version}) to {output}; {errors.Count:N0} malformed input lines; {evictions.Total:N0} state evictions");
        return 0;
    }

    private static IEnumerable<FeatureRow> Count(IEnumerable<FeatureRow> rows, Action counted)
    {
        foreach (var row in rows)
        {
            counted();
            yield return row;
        }
    }
}
