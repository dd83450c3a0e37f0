using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetSecStream.Behaviour.Features;
using NetSecStream.Policy.Suggest;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec policy suggest --flows FILE</c>: learns the traffic each workload was seen to accept and open, writes
/// least-privilege CiliumNetworkPolicy allow rules for it, and says what those rules would deny in the same flows (or in
/// another capture, <c>--check</c>), per workload and by reason, with examples.
/// </summary>
internal static class PolicySuggestCommand
{
    private const string CommandName = "policy suggest";

    internal static Command Create()
    {
        var flows = new Option<string>("--flows") { Description = "Flows to learn from: Hubble JSON lines, a pcap of packets, or a pcap of NetFlow/IPFIX datagrams.", Required = true };
        var format = new Option<string?>("--format") { Description = "hubble, pcap or netflow; detected from the file's content when omitted." };
        format.AcceptOnlyFromAmong("hubble", "pcap", "netflow");
        var minFlows = new Option<int>("--min-flows") { Description = "A peer and port forwarded fewer times than this is not allowed (and shows as denied).", DefaultValueFactory = _ => 1 };
        var aggregate = new Option<int?>("--aggregate-cidr") { Description = "Allow addresses outside the cluster as IPv4 networks of this prefix (e.g. 24) where two or more share one; IPv6 uses --aggregate-cidr-v6." };
        var aggregateV6 = new Option<int>("--aggregate-cidr-v6") { Description = "IPv6 prefix for --aggregate-cidr.", DefaultValueFactory = _ => 64 };
        var worldAfter = new Option<int>("--world-after") { Description = "Allow ingress on a port from the world entity once this many distinct outside addresses used it (a public service); 0: never.", DefaultValueFactory = _ => 16 };
        var noDns = new Option<bool>("--no-dns") { Description = "Do not add DNS to kube-dns (UDP/TCP 53) to every workload's egress." };
        var output = new Option<string?>("--out", "-o") { Description = "Folder to write one YAML file per namespace (or per workload, --per workload); default: all documents on stdout." };
        var per = new Option<string>("--per") { Description = "With --out: one file per namespace or per workload.", DefaultValueFactory = _ => "namespace" };
        per.AcceptOnlyFromAmong("namespace", "workload");
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object on stdout (needs --out for the YAML)." };
        var check = new Option<string?>("--check") { Description = "Report what the rules deny in this capture instead of the learned flows." };
        var labels = new Option<string?>("--labels") { Description = "Ground truth for the reported flows (a generator .labels.jsonl or triage outcomes): denials are also counted per label." };
        var command = new Command("suggest", "Learn each workload's observed allowed traffic and write least-privilege CiliumNetworkPolicy allow rules, with what they would deny.")
        {
            flows, format, minFlows, aggregate, aggregateV6, worldAfter, noDns, output, per, json, check, labels,
        };
        command.SetAction(parse => Run(new Request(
            parse.GetValue(flows)!, parse.GetValue(format), parse.GetValue(output), parse.GetValue(per)!, parse.GetValue(json), parse.GetValue(check), parse.GetValue(labels),
            new SuggestOptions
            {
                MinFlows = parse.GetValue(minFlows),
                AggregateCidrPrefix = parse.GetValue(aggregate),
                AggregateCidrPrefixV6 = parse.GetValue(aggregateV6),
                AllowDns = !parse.GetValue(noDns),
                WorldAfterAddresses = parse.GetValue(worldAfter),
            })));
        return command;
    }

    private sealed record Request(string Flows, string? Format, string? Out, string Per, bool Json, string? Check, string? Labels, SuggestOptions Options);

    private static int Run(Request request)
    {
        var problems = new List<string>(request.Options.Validate());
        foreach (string? path in new[] { request.Flows, request.Check, request.Labels })
        {
            if (path is not null && !File.Exists(path))
            {
                problems.Add($"file '{path}' not found");
            }
        }

        if (request.Json && request.Out is null)
        {
            problems.Add("--json prints the summary on stdout: give --out for the policies");
        }

        if (problems.Count > 0)
        {
            foreach (string problem in problems)
            {
                Console.Error.WriteLine($"netsec {CommandName}: {problem}");
            }

            return NetSecCli.ConfigurationErrorExitCode;
        }

        var errors = new InputErrorCounter();
        var learner = new TrafficLearner(request.Options);
        try
        {
            foreach (var flow in FeatureInputs.FromCapture(request.Flows, request.Format, null, errors, CommandName))
            {
                learner.Observe(flow.Flow);
            }

            long learnErrors = errors.Count;
            var suggestions = learner.Suggest();
            string reported = request.Check ?? request.Flows;
            var report = SuggestionReport.Evaluate(suggestions,
                FeatureInputs.FromCapture(reported, request.Check is null ? request.Format : null, request.Labels, errors, CommandName)
                    .Select(f => (f.Flow, request.Labels is null || f.Label == FlowInput.UnknownLabel ? null : f.Label)));
            var header = Header(request, learner, learnErrors);
            WritePolicies(request, suggestions, report, header);
            if (request.Json)
            {
                Console.WriteLine(JsonSummary(request, learner, suggestions, report, learnErrors, errors.Count - (request.Check is null ? learnErrors : 0)));
            }
            else
            {
                var summary = request.Out is null ? Console.Error : Console.Out;
                summary.Write(TextSummary(request, learner, suggestions, report, errors.Count));
            }

            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Console.Error.WriteLine($"netsec {CommandName}: {ex.Message}");
            return NetSecCli.ConfigurationErrorExitCode;
        }
    }

    private static List<string> Header(Request request, TrafficLearner learner, long malformed)
    {
        var options = request.Options;
        var lines = new List<string>
        {
            "Suggested by netsec policy suggest: least-privilege allow rules learned from observed traffic. Review before applying:",
            "traffic not in the capture (rare jobs, failover, new clients) is denied once this is in force.",
            string.Create(CultureInfo.InvariantCulture,
                $"Learned from {Path.GetFileName(request.Flows)}: {learner.FlowsRead:N0} flows ({malformed:N0} malformed lines skipped), {learner.ConnectionsLearned:N0} connection attempts, {learner.First:O} to {learner.Last:O}."),
            string.Create(CultureInfo.InvariantCulture, $"Only forwarded flows count as allowed; --min-flows {options.MinFlows}")
                + (options.AggregateCidrPrefix is { } p ? string.Create(CultureInfo.InvariantCulture, $"; --aggregate-cidr {p} (IPv6 /{options.AggregateCidrPrefixV6})") : "")
                + string.Create(CultureInfo.InvariantCulture, $"; --world-after {options.WorldAfterAddresses}")
                + (options.AllowDns ? "; DNS to kube-dns allowed for every workload." : "; no DNS rule added."),
        };
        return lines;
    }

    private static void WritePolicies(Request request, SuggestionSet suggestions, SuggestionReport report, List<string> header)
    {
        if (request.Out is null)
        {
            var stdout = Console.Out;
            foreach (var policy in suggestions.Policies)
            {
                stdout.WriteLine("---");
                CiliumPolicyWriter.Write(stdout, policy, [.. header, WorkloadLine(policy, report)]);
            }

            return;
        }

        Directory.CreateDirectory(request.Out);
        var groups = suggestions.Policies.GroupBy(p => request.Per == "workload" ? p.Workload.Namespace + "_" + p.PolicyName : p.Workload.Namespace);
        foreach (var group in groups)
        {
            string file = Path.Combine(request.Out, TrafficLearnerNames.FileName(group.Key) + ".yaml");
            using var writer = new StreamWriter(file, append: false, new UTF8Encoding(false));
            foreach (var policy in group)
            {
                writer.WriteLine("---");
                CiliumPolicyWriter.Write(writer, policy, [.. header, WorkloadLine(policy, report)]);
            }
        }
    }

    private static string WorkloadLine(SuggestedPolicy policy, SuggestionReport report) =>
        report.Workloads.TryGetValue(policy.DisplayName, out var tally)
            ? string.Create(CultureInfo.InvariantCulture,
                $"{policy.DisplayName}: {tally.Seen:N0} connections in the reported flows, {tally.Allowed:N0} allowed, {tally.Denied:N0} denied")
                + (tally.Denied > 0 ? Reasons(tally) + "." : ".")
            : $"{policy.DisplayName}: no connections in the reported flows.";

    private static string TextSummary(Request request, TrafficLearner learner, SuggestionSet suggestions, SuggestionReport report, long malformed)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(string.Create(inv,
            $"{suggestions.Policies.Count} policies from {learner.ConnectionsLearned:N0} connection attempts with a workload at one end ({learner.WithoutWorkload:N0} without) in {learner.FlowsRead:N0} flows ({malformed:N0} malformed lines)"));
        if (learner.ConnectionsLearned == 0 && learner.WithoutWorkload > 0)
        {
            text.AppendLine("no flow carried Kubernetes identity (namespace and labels), so there is no workload to write a policy for: "
                + "pcap and NetFlow carry addresses only; learn from Hubble flows");
        }

        text.AppendLine(string.Create(inv, $"reported on {Path.GetFileName(request.Check ?? request.Flows)}: {report.Connections:N0} connection attempts, {report.Total.Allowed:N0} allowed, {report.Total.Denied:N0} denied")
            + Reasons(report.Total));
        foreach (var (label, tally) in report.Labels)
        {
            text.AppendLine(string.Create(inv, $"  label {label}: {tally.Seen:N0} seen, {tally.Denied:N0} denied ({Percent(tally.Denied, tally.Seen)})"));
        }

        foreach (var (workload, tally) in report.Workloads)
        {
            text.AppendLine(string.Create(inv, $"  {workload}: {tally.Seen:N0} seen, {tally.Allowed:N0} allowed, {tally.Denied:N0} denied{Reasons(tally)}"));
            foreach (string example in tally.Examples)
            {
                text.AppendLine("      e.g. " + example);
            }
        }

        if (learner.Unselectable.Count > 0)
        {
            text.AppendLine("no policy (no labels to select them by): " + string.Join(", ", learner.Unselectable.Keys.Take(10)));
        }

        if (learner.NotLearned > 0)
        {
            text.AppendLine(string.Create(inv, $"{learner.NotLearned:N0} observations not learned: over the workload or peer bounds"));
        }

        return text.ToString();
    }

    private static string Reasons(DenyTally tally) =>
        tally.Denied == 0 ? "" : " (" + string.Join(", ", tally.DeniedByReason.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key} {r.Value:N0}"))) + ")";

    private static string Percent(long part, long whole) =>
        whole == 0 ? "-" : (100.0 * part / whole).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string JsonSummary(Request request, TrafficLearner learner, SuggestionSet suggestions, SuggestionReport report, long learnMalformed, long reportMalformed)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteString("learned_from", request.Flows);
            json.WriteNumber("flows_read", learner.FlowsRead);
            json.WriteNumber("malformed", learnMalformed);
            json.WriteNumber("connections_learned", learner.ConnectionsLearned);
            json.WriteNumber("connections_without_workload", learner.WithoutWorkload);
            json.WriteNumber("not_learned", learner.NotLearned);
            json.WriteNumber("min_flows", request.Options.MinFlows);
            if (request.Options.AggregateCidrPrefix is { } prefix)
            {
                json.WriteNumber("aggregate_cidr", prefix);
            }

            json.WriteNumber("policies", suggestions.Policies.Count);
            json.WriteString("reported_on", request.Check ?? request.Flows);
            json.WriteNumber("reported_malformed", reportMalformed);
            json.WriteNumber("connections", report.Connections);
            WriteTally(json, "total", report.Total);
            json.WriteStartObject("labels");
            foreach (var (label, tally) in report.Labels)
            {
                WriteTally(json, label, tally);
            }

            json.WriteEndObject();
            json.WriteStartObject("workloads");
            foreach (var (workload, tally) in report.Workloads)
            {
                WriteTally(json, workload, tally);
            }

            json.WriteEndObject();
            json.WriteStartArray("unselectable");
            foreach (string workload in learner.Unselectable.Keys)
            {
                json.WriteStringValue(workload);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteTally(Utf8JsonWriter json, string name, DenyTally tally)
    {
        json.WriteStartObject(name);
        json.WriteNumber("seen", tally.Seen);
        json.WriteNumber("allowed", tally.Allowed);
        json.WriteNumber("denied", tally.Denied);
        json.WriteStartObject("denied_by_reason");
        foreach (var (reason, count) in tally.DeniedByReason)
        {
            json.WriteNumber(reason, count);
        }

        json.WriteEndObject();
        json.WriteStartArray("examples");
        foreach (string example in tally.Examples)
        {
            json.WriteStringValue(example);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static class TrafficLearnerNames
    {
        public static string FileName(string key)
        {
            var builder = new StringBuilder(key.Length);
            foreach (char c in key)
            {
                builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
            }

            return builder.ToString();
        }
    }
}
