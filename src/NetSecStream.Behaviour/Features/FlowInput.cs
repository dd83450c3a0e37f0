using System.Text;
using System.Text.Json;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

namespace NetSecStream.Behaviour.Features;

/// <summary>One flow event with its ground truth, when known.</summary>
/// <param name="Flow">The decoded event.</param>
/// <param name="Label">A <c>TrafficLabels</c> name for generated traffic, <c>attack</c>/<c>normal</c> from triage outcomes, or <c>unknown</c>.</param>
/// <param name="Episode">The attack episode id, when the source knows it.</param>
public sealed record LabelledFlow(FlowEvent Flow, string Label, string? Episode);

/// <summary>A line of an input file that could not be used, as <c>file:line: reason</c>.</summary>
public sealed record InputError(string File, long Line, string Reason)
{
    public override string ToString() => $"{File}:{Line}: {Reason}";
}

/// <summary>
/// Reads flow files (one record per line, e.g. Hubble JSON) through a decoder and labels files: triage outcomes
/// (<c>{"community_id": "...", "outcome": "true_positive|false_positive"}</c>) or the generator's ground truth
/// (<c>{"line": N, "label": "...", "episode": ...}</c>). A malformed line is reported with its file and line and
/// counted; reading goes on.
/// </summary>
public static class FlowInput
{
    public const string UnknownLabel = "unknown";
    public const string AttackLabel = "attack";
    public const string NormalLabel = "normal";

    /// <summary>Decodes each non-blank line of <paramref name="reader"/>; bad lines go to <paramref name="onError"/>.</summary>
    public static IEnumerable<LabelledFlow> ReadFlows(TextReader reader, string name, IFlowDecoder decoder, FlowLabels? labels, Action<InputError> onError)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(onError);
        long lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            DecodeResult result = decoder.Decode(Encoding.UTF8.GetBytes(line));
            if (result.Event is not { } flow)
            {
                onError(new InputError(name, lineNo, result.Error ?? "not a flow"));
                continue;
            }

            (string label, string? episode) = labels?.Find(lineNo, flow.CommunityId) ?? (UnknownLabel, null);
            yield return new LabelledFlow(flow, label, episode);
        }
    }

    /// <summary>Reads a labels file; bad lines go to <paramref name="onError"/> and are skipped.</summary>
    public static FlowLabels ReadLabels(TextReader reader, string name, Action<InputError> onError)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(onError);
        var labels = new FlowLabels();
        long lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    onError(new InputError(name, lineNo, "not a JSON object"));
                    continue;
                }

                if (root.TryGetProperty("outcome", out var outcome))
                {
                    string? id = root.TryGetProperty("community_id", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                    string? label = outcome.ValueKind == JsonValueKind.String
                        ? outcome.GetString() switch { "true_positive" => AttackLabel, "false_positive" => NormalLabel, _ => null }
                        : null;
                    if (string.IsNullOrEmpty(id))
                    {
                        onError(new InputError(name, lineNo, "community_id missing or not a string"));
                    }
                    else if (label is null)
                    {
                        onError(new InputError(name, lineNo, "outcome must be \"true_positive\" or \"false_positive\""));
                    }
                    else
                    {
                        labels.ByCommunityId[id] = label;
                    }
                }
                else if (root.TryGetProperty("line", out var n) && n.TryGetInt64(out long at)
                    && root.TryGetProperty("label", out var l) && l.ValueKind == JsonValueKind.String)
                {
                    string? episode = root.TryGetProperty("episode", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                    labels.ByLine[at] = (l.GetString()!, episode);
                }
                else
                {
                    onError(new InputError(name, lineNo, "neither a triage outcome (community_id, outcome) nor a generator label (line, label)"));
                }
            }
            catch (JsonException ex)
            {
                onError(new InputError(name, lineNo, "invalid JSON: " + ex.Message.Split(" LineNumber:", 2)[0]));
            }
        }

        return labels;
    }
}

/// <summary>Labels by community id (triage outcomes) or by line number of the flow file (generator ground truth).</summary>
public sealed class FlowLabels
{
    public Dictionary<string, string> ByCommunityId { get; } = new(StringComparer.Ordinal);

    public Dictionary<long, (string Label, string? Episode)> ByLine { get; } = [];

    public int Count => ByCommunityId.Count + ByLine.Count;

    public (string Label, string? Episode) Find(long line, string? communityId) =>
        ByLine.TryGetValue(line, out var byLine) ? byLine
        : communityId is not null && ByCommunityId.TryGetValue(communityId, out string? label) ? (label, null)
        : (FlowInput.UnknownLabel, null);
}
