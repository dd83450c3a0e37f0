using System.Globalization;
using System.Text;

namespace NetSecStream.Policy.Suggest;

/// <summary>
/// Writes suggested policies as CiliumNetworkPolicy (<c>cilium.io/v2</c>) YAML. Written by hand rather than through a
/// serializer so each document can carry a comment header saying what it was learned from, and every string is
/// double-quoted so no label value (<c>"true"</c>, <c>"0755"</c>, <c>"yes"</c>) changes type on the way to the API server.
/// Default deny is spelled out (<c>enableDefaultDeny</c>): a direction with nothing allowed has no rules, and without it
/// Cilium would leave that direction open.
/// </summary>
public static class CiliumPolicyWriter
{
    /// <summary>Cilium's label for a pod's namespace, needed in a selector for peers in another namespace.</summary>
    public const string NamespaceLabel = "k8s:io.kubernetes.pod.namespace";

    public static void Write(TextWriter writer, SuggestedPolicy policy, IReadOnlyList<string> header)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(header);
        var y = new StringBuilder();
        foreach (string line in header)
        {
            y.Append("# ").AppendLine(line.ReplaceLineEndings(" "));
        }

        y.AppendLine("apiVersion: cilium.io/v2");
        y.AppendLine("kind: CiliumNetworkPolicy");
        y.AppendLine("metadata:");
        y.Append("  name: ").AppendLine(Quote(policy.PolicyName));
        y.Append("  namespace: ").AppendLine(Quote(policy.Workload.Namespace));
        y.AppendLine("  labels:");
        y.AppendLine("    \"app.kubernetes.io/managed-by\": \"netsec\"");
        y.AppendLine("  annotations:");
        y.Append("    \"netsec.io/suggested-for\": ").AppendLine(Quote(policy.Workload.ToString()));
        y.AppendLine("spec:");
        y.AppendLine("  endpointSelector:");
        y.AppendLine("    matchLabels:");
        foreach (var (key, value) in policy.Workload.Labels.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            y.Append("      ").Append(Quote(key)).Append(": ").AppendLine(Quote(value));
        }

        y.AppendLine("  enableDefaultDeny:");
        y.AppendLine("    ingress: true");
        y.AppendLine("    egress: true");
        Section(y, "ingress", "from", policy.Ingress, policy.Workload.Namespace);
        Section(y, "egress", "to", policy.Egress, policy.Workload.Namespace);
        writer.Write(y.ToString());
    }

    private static void Section(StringBuilder y, string name, string prefix, IReadOnlyList<SuggestedRule> rules, string ownNamespace)
    {
        if (rules.Count == 0)
        {
            y.Append("  # ").Append(name).AppendLine(": nothing allowed (none seen, or none often enough)");
            return;
        }

        y.Append("  ").Append(name).AppendLine(":");
        foreach (var rule in rules)
        {
            var kind = rule.Peers[0].Kind;
            string field = prefix + kind switch
            {
                PeerKind.Endpoint => "Endpoints",
                PeerKind.Entity => "Entities",
                _ => "CIDR",
            };
            y.Append("  - ").Append(field).AppendLine(":");
            foreach (var peer in rule.Peers)
            {
                switch (kind)
                {
                    case PeerKind.Endpoint:
                        var endpoint = peer.Endpoint!;
                        y.AppendLine("    - matchLabels:");
                        var labels = endpoint.Labels.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                        if (!string.Equals(endpoint.Namespace, ownNamespace, StringComparison.Ordinal) || labels.Count == 0)
                        {
                            // Without it Cilium reads the selector in the policy's own namespace.
                            labels.Insert(0, new KeyValuePair<string, string>(NamespaceLabel, endpoint.Namespace));
                        }

                        foreach (var (key, value) in labels)
                        {
                            y.Append("        ").Append(Quote(key)).Append(": ").AppendLine(Quote(value));
                        }

                        break;
                    case PeerKind.Entity:
                        y.Append("    - ").AppendLine(Quote(peer.Entity!));
                        break;
                    default:
                        y.Append("    - ").AppendLine(Quote(peer.Cidr!.Value.ToString()));
                        break;
                }
            }

            if (rule.Ports.All(p => p.IsIcmp))
            {
                y.AppendLine("    icmps:");
                y.AppendLine("    - fields:");
                foreach (var port in rule.Ports)
                {
                    y.Append("      - type: ").AppendLine(port.Port.ToString(CultureInfo.InvariantCulture));
                    y.Append("        family: ").AppendLine(port.Protocol == "ICMPv6" ? "IPv6" : "IPv4");
                }
            }
            else
            {
                y.AppendLine("    toPorts:");
                y.AppendLine("    - ports:");
                foreach (var port in rule.Ports)
                {
                    y.Append("      - port: ").AppendLine(Quote(port.Port.ToString(CultureInfo.InvariantCulture)));
                    y.Append("        protocol: ").AppendLine(port.Protocol);
                }
            }
        }
    }

    /// <summary>A YAML double-quoted scalar.</summary>
    internal static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            _ = c switch
            {
                '"' => builder.Append("\\\""),
                '\\' => builder.Append("\\\\"),
                // YAML's non-printable characters (C0, DEL, C1, the non-characters) must be escaped, and so must the
                // characters YAML 1.1 reads as line breaks (NEL, LS, PS) and the byte order mark: inside a quoted
                // scalar a raw one folds the line.
                < ' ' or (>= '\u007f' and <= '\u009f') or '\u2028' or '\u2029' or '\ufeff' or '\ufffe' or '\uffff' => builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.Append('"').ToString();
    }
}
