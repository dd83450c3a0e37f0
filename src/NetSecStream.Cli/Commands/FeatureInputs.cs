using NetSecStream.Behaviour.Features;
using NetSecStream.Collectors.Generator;
using NetSecStream.Collectors.Hubble;

namespace NetSecStream.Cli.Commands;

/// <summary>Labelled flows for <c>netsec export</c>, <c>train</c> and <c>evaluate</c>: from the generator or from a Hubble JSON file.</summary>
internal static class FeatureInputs
{
    /// <summary>The generator's events decoded as the Hubble file source decodes them, with their ground truth.</summary>
    public static IEnumerable<LabelledFlow> Generated(string scenario, long events, int seed)
    {
        var decoder = new HubbleFlowDecoder();
        foreach (var generated in new TrafficGenerator().Generate(new GeneratorOptions(scenario, events, seed)))
        {
            if (decoder.Decode(generated.Json).Event is { } flow)
            {
                yield return new LabelledFlow(flow, generated.Label, generated.Episode);
            }
        }
    }

    /// <summary>
    /// Flows of a Hubble JSON lines file, labelled from <paramref name="labelsPath"/> when given (triage outcomes by
    /// community id, or the generator's <c>.labels.jsonl</c> by line). Bad lines are printed as <c>file:line: reason</c>
    /// and counted in <paramref name="errors"/>.
    /// </summary>
    public static IEnumerable<LabelledFlow> FromFile(string path, string? labelsPath, InputErrorCounter errors, string command)
    {
        FlowLabels? labels = null;
        if (labelsPath is not null)
        {
            using var labelReader = new StreamReader(labelsPath);
            labels = FlowInput.ReadLabels(labelReader, Path.GetFileName(labelsPath), e => errors.Report(command, e));
        }

        using var reader = path == "-" ? new StreamReader(Console.OpenStandardInput()) : new StreamReader(path);
        foreach (var flow in FlowInput.ReadFlows(reader, path == "-" ? "stdin" : Path.GetFileName(path), new HubbleFlowDecoder(), labels, e => errors.Report(command, e)))
        {
            yield return flow;
        }
    }

    public static bool ValidScenario(string scenario, string command)
    {
        if (TrafficGenerator.Scenarios.Contains(scenario))
        {
            return true;
        }

        Console.Error.WriteLine($"netsec {command}: unknown scenario '{scenario}' (known: {string.Join(", ", TrafficGenerator.Scenarios)})");
        return false;
    }
}

/// <summary>Counts malformed input lines and prints the first few.</summary>
internal sealed class InputErrorCounter(int maxPrinted = 20)
{
    public long Count { get; private set; }

    public void Report(string command, InputError error)
    {
        Count++;
        if (Count <= maxPrinted)
        {
            Console.Error.WriteLine($"netsec {command}: {error}");
        }
        else if (Count == maxPrinted + 1)
        {
            Console.Error.WriteLine($"netsec {command}: more malformed lines; only the count is reported from here on");
        }
    }
}
