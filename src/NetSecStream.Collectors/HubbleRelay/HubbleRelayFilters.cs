using NetSecStream.Collectors.HubbleRelay.Protocol;

namespace NetSecStream.Collectors.HubbleRelay;

/// <summary>
/// Turns an allow or deny list into Hubble flow filters. Hubble ANDs the fields of one filter and ORs the filters
/// of a list, so "either endpoint" criteria become two filters: one on the source side, one on the destination side,
/// each carrying the criteria that are not about an endpoint.
/// </summary>
internal static class HubbleRelayFilters
{
    public static IReadOnlyList<FlowFilter> Build(HubbleRelayFlowFilterOptions? options)
    {
        if (options is null || options.IsEmpty)
        {
            return [];
        }

        if (!options.HasEndpointCriteria)
        {
            var filter = new FlowFilter();
            AddCommon(filter, options);
            return [filter];
        }

        var source = new FlowFilter();
        source.SourcePod.AddRange(Pods(options));
        source.SourceLabel.AddRange(Clean(options.Labels));
        source.SourceIp.AddRange(Clean(options.Ips));
        AddCommon(source, options);

        var destination = new FlowFilter();
        destination.DestinationPod.AddRange(Pods(options));
        destination.DestinationLabel.AddRange(Clean(options.Labels));
        destination.DestinationIp.AddRange(Clean(options.Ips));
        AddCommon(destination, options);
        return [source, destination];
    }

    /// <summary>Hubble's pod filter takes <c>namespace/</c> for a whole namespace and <c>[namespace/]prefix</c> for pods.</summary>
    private static IEnumerable<string> Pods(HubbleRelayFlowFilterOptions options) =>
        Clean(options.Namespaces).Select(ns => ns + "/").Concat(Clean(options.PodPrefixes));

    private static void AddCommon(FlowFilter filter, HubbleRelayFlowFilterOptions options)
    {
        filter.Verdict.AddRange(Clean(options.Verdicts).Select(ParseVerdict));
        filter.Protocol.AddRange(Clean(options.Protocols).Select(p => p.ToLowerInvariant()));
        filter.NodeName.AddRange(Clean(options.NodeNames));
    }

    private static IEnumerable<string> Clean(IEnumerable<string>? values) =>
        values?.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()) ?? [];

    private static Verdict ParseVerdict(string name) => name.ToUpperInvariant() switch
    {
        "FORWARDED" => Verdict.Forwarded,
        "DROPPED" => Verdict.Dropped,
        "ERROR" => Verdict.Error,
        "AUDIT" => Verdict.Audit,
        "REDIRECTED" => Verdict.Redirected,
        "TRACED" => Verdict.Traced,
        "TRANSLATED" => Verdict.Translated,
        _ => throw new ArgumentException($"unknown verdict '{name}'", nameof(name)),
    };
}
