using NetSecStream.Behaviour.Features;
using NetSecStream.Collectors;
using NetSecStream.Collectors.Generator;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

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

    /// <summary>
    /// Flows of any capture <c>netsec replay</c> reads: Hubble JSON lines, a pcap of packets (flows and their totals, as the
    /// pcap source reports them) or a pcap of NetFlow/IPFIX export datagrams; detected from the content when
    /// <paramref name="format"/> is null. Labels apply by community id (triage outcomes) or, for Hubble, by line.
    /// </summary>
    public static IEnumerable<LabelledFlow> FromCapture(string path, string? format, string? labelsPath, InputErrorCounter errors, string command)
    {
        var kind = format switch
        {
            "hubble" => CaptureKind.Hubble,
            "pcap" => CaptureKind.Pcap,
            "netflow" => CaptureKind.NetFlow,
            _ => path == "-" ? CaptureKind.Hubble : CaptureFormat.Detect(path),
        };
        if (kind == CaptureKind.Hubble)
        {
            return FromFile(path, labelsPath, errors, command);
        }

        FlowLabels? labels = null;
        if (labelsPath is not null)
        {
            using var labelReader = new StreamReader(labelsPath);
            labels = FlowInput.ReadLabels(labelReader, Path.GetFileName(labelsPath), e => errors.Report(command, e));
        }

        string name = Path.GetFileName(path);
        void Reject(DeadLetter d) => errors.Report(command, new InputError(name, d.Position, d.Reason));
        IAsyncEnumerable<SourcedFlow> flows;
        if (kind == CaptureKind.NetFlow)
        {
            var source = new NetFlowPcapSource(path, new NetFlowOptions());
            source.Rejected += Reject;
            source.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
            flows = source.ReadAsync();
        }
        else
        {
            var source = new PcapFlowSource(new PcapOptions { File = path }, null);
            source.Rejected += Reject;
            source.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
            flows = source.ReadAsync(CancellationToken.None);
        }

        return Label(flows.ToBlockingEnumerable(), labels);
    }

    private static IEnumerable<LabelledFlow> Label(IEnumerable<SourcedFlow> flows, FlowLabels? labels)
    {
        foreach (var sourced in flows)
        {
            var flow = sourced.Flow;
            if (flow.Kind == FlowEventKind.Packet)
            {
                continue; // packet-inspection events: the flow's own events and totals carry its features
            }

            // The pipeline's community-id stage is not in this path: triage labels are keyed by it.
            flow.CommunityId ??= CommunityId.Compute(flow);
            (string label, string? episode) = labels?.Find(-1, flow.CommunityId) ?? (FlowInput.UnknownLabel, null);
            yield return new LabelledFlow(flow, label, episode);
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
