using System.Collections.Frozen;
using NetSecStream.Core.Selectors;
using NetSecStream.Policy.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NetSecStream.Policy.Parsing;

/// <summary>Policies read from one or more files, with every problem found.</summary>
public sealed class PolicyParseResult
{
    public List<PolicyDefinition> Policies { get; } = [];

    public List<PolicyDiagnostic> Diagnostics { get; } = [];

    public int Files { get; set; }

    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);

    public IEnumerable<PolicyDiagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);
}

/// <summary>
/// Reads Kubernetes NetworkPolicy (networking.k8s.io/v1), CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy
/// (cilium.io/v2) from YAML or JSON, several documents per file and <c>kind: List</c> included. Unknown fields, wrong
/// types and invalid values are errors naming the line; a policy with an error is left out, the others load. Parts
/// that are valid but not evaluated from flows (host policies, L7, FQDN peers) are warnings.
/// </summary>
public static class PolicyParser
{
    /// <summary>Policy files larger than this are refused: policies are small, a huge file is a wrong file.</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    private const string NamespaceLabel = "io.kubernetes.pod.namespace";

    private static readonly FrozenSet<string> TopFields = Set("apiVersion", "kind", "metadata", "spec", "specs", "status");
    private static readonly FrozenSet<string> ListFields = Set("apiVersion", "kind", "metadata", "items");
    private static readonly FrozenSet<string> MetadataFields = Set("name", "namespace", "labels", "annotations", "uid", "resourceVersion",
        "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "finalizers", "ownerReferences",
        "generateName", "selfLink");
    private static readonly FrozenSet<string> SelectorFields = Set("matchLabels", "matchExpressions");
    private static readonly FrozenSet<string> ExpressionFields = Set("key", "operator", "values");
    private static readonly FrozenSet<string> NpSpecFields = Set("podSelector", "policyTypes", "ingress", "egress");
    private static readonly FrozenSet<string> NpIngressFields = Set("from", "ports");
    private static readonly FrozenSet<string> NpEgressFields = Set("to", "ports");
    private static readonly FrozenSet<string> NpPeerFields = Set("podSelector", "namespaceSelector", "ipBlock");
    private static readonly FrozenSet<string> IpBlockFields = Set("cidr", "except");
    private static readonly FrozenSet<string> PortFields = Set("protocol", "port", "endPort");
    private static readonly FrozenSet<string> CnpSpecFields = Set("endpointSelector", "nodeSelector", "ingress", "ingressDeny", "egress", "egressDeny",
        "labels", "description", "enableDefaultDeny", "log");
    private static readonly FrozenSet<string> DefaultDenyFields = Set("ingress", "egress");
    private static readonly FrozenSet<string> CnpIngressFields = Set("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromRequires",
        "fromGroups", "fromNodes", "toPorts", "icmps", "authentication");
    private static readonly FrozenSet<string> CnpIngressDenyFields = Set("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromRequires",
        "fromGroups", "fromNodes", "toPorts", "icmps");
    private static readonly FrozenSet<string> CnpEgressFields = Set("toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toRequires", "toServices",
        "toFQDNs", "toGroups", "toNodes", "toPorts", "icmps", "authentication");
    private static readonly FrozenSet<string> CnpEgressDenyFields = Set("toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toRequires", "toServices",
        "toGroups", "toNodes", "toPorts", "icmps");
    private static readonly FrozenSet<string> CidrSetFields = Set("cidr", "except", "cidrGroupRef", "cidrGroupSelector");
    private static readonly FrozenSet<string> ToPortsFields = Set("ports", "rules", "terminatingTLS", "originatingTLS", "serverNames", "listener");
    private static readonly FrozenSet<string> L7Fields = Set("http", "kafka", "dns", "l7proto", "l7");

    /// <summary>Cilium entities (docs: Policy Language, Entities Based).</summary>
    public static readonly FrozenSet<string> Entities = Set("all", "world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node",
        "kube-apiserver", "health", "init", "ingress", "unmanaged", "none");

    public static PolicyParseResult ParseFile(string path, PolicyParseResult? into = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        into ??= new PolicyParseResult();
        into.Files++;
        var info = new FileInfo(path);
        if (info.Exists && info.Length > MaxFileBytes)
        {
            into.Diagnostics.Add(new PolicyDiagnostic(path, 1, DiagnosticSeverity.Error, $"file is larger than {MaxFileBytes / (1024 * 1024)} MiB"));
            return into;
        }

        using var reader = new StreamReader(path);
        return Parse(reader, path, into);
    }

    public static PolicyParseResult ParseText(string yaml, string file = "input", PolicyParseResult? into = null)
    {
        using var reader = new StringReader(yaml);
        return Parse(reader, file, into);
    }

    public static PolicyParseResult Parse(TextReader reader, string file, PolicyParseResult? into = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        into ??= new PolicyParseResult();
        var nodes = new YamlNodes(file, into.Diagnostics);
        var stream = new YamlStream();
        try
        {
            // The tree is built recursively: a hostile nesting depth must be refused before it overflows the stack.
            string text = reader.ReadToEnd();
            if (TooDeep(text, out int deepLine))
            {
                nodes.Error(deepLine, $"nesting deeper than {MaxDepth} levels");
                return into;
            }

            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            nodes.Error((int)Math.Min(ex.Start.Line, int.MaxValue), "invalid YAML: " + FirstLine(ex.Message));
            return into;
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's scanner throws this (without a position) on some malformed flow collections.
            nodes.Error(1, "invalid YAML: " + FirstLine(ex.Message));
            return into;
        }

        foreach (var document in stream.Documents)
        {
            if (YamlNodes.IsNull(document.RootNode))
            {
                continue;
            }

            ReadObject(document.RootNode, nodes, into.Policies);
        }

        return into;
    }

    /// <summary>Deepest nesting of mappings and sequences accepted; real policies stay below 15.</summary>
    public const int MaxDepth = 64;

    private static bool TooDeep(string text, out int line)
    {
        line = 0;
        var parser = new Parser(new StringReader(text));
        int depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart:
                    if (++depth > MaxDepth)
                    {
                        line = (int)Math.Min(parser.Current.Start.Line, int.MaxValue);
                        return true;
                    }

                    break;
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    depth--;
                    break;
            }
        }

        return false;
    }

    private static void ReadObject(YamlNode root, YamlNodes nodes, List<PolicyDefinition> policies)
    {
        if (root is not YamlMappingNode map)
        {
            nodes.Error(root, "expected a Kubernetes object (a mapping with apiVersion and kind)");
            return;
        }

        string? kind = map.Children.TryGetValue(new YamlScalarNode("kind"), out var kindNode) ? nodes.String(kindNode, "kind") : null;
        if (kind is "List" or "NetworkPolicyList" or "CiliumNetworkPolicyList" or "CiliumClusterwideNetworkPolicyList")
        {
            var list = nodes.Fields(map, kind, ListFields);
            if (list is not null && list.TryGetValue("items", out var items))
            {
                foreach (var item in nodes.Sequence(items, "items"))
                {
                    ReadObject(item, nodes, policies);
                }
            }

            return;
        }

        int errorsBefore = nodes.ErrorCount;
        var fields = nodes.Fields(map, kind ?? "object", TopFields);
        if (fields is null)
        {
            return;
        }

        string? apiVersion = fields.TryGetValue("apiVersion", out var apiNode) ? nodes.String(apiNode, "apiVersion") : null;
        switch (kind)
        {
            case null:
                nodes.Error(map, "missing 'kind' (NetworkPolicy, CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy)");
                return;
            case "NetworkPolicy":
                ExpectApiVersion(nodes, map, apiVersion, kind, "networking.k8s.io/v1");
                break;
            case "CiliumNetworkPolicy" or "CiliumClusterwideNetworkPolicy":
                ExpectApiVersion(nodes, map, apiVersion, kind, "cilium.io/v2");
                break;
            default:
                nodes.Error(kindNode!, $"unsupported kind '{kind}' (NetworkPolicy, CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy)");
                return;
        }

        var (name, ns) = ReadMetadata(fields, nodes, map, kind);
        var read = new List<PolicyDefinition>();
        if (kind == "NetworkPolicy")
        {
            if (fields.TryGetValue("specs", out var specsNode))
            {
                nodes.Error(specsNode, "NetworkPolicy has no 'specs' field");
            }

            if (!fields.TryGetValue("spec", out var spec))
            {
                nodes.Error(map, "NetworkPolicy without 'spec'");
            }
            else if (name is not null)
            {
                var policy = ReadNetworkPolicy(spec, nodes, name, ns ?? "default", map);
                if (policy is not null)
                {
                    read.Add(policy);
                }
            }
        }
        else
        {
            var clusterwide = kind == "CiliumClusterwideNetworkPolicy";
            var policyKind = clusterwide ? PolicyKind.CiliumClusterwideNetworkPolicy : PolicyKind.CiliumNetworkPolicy;
            if (clusterwide && ns is not null)
            {
                nodes.Warning(map, $"{kind} is cluster-wide: metadata.namespace '{ns}' is ignored");
            }

            var specs = new List<YamlNode>();
            if (fields.TryGetValue("spec", out var spec))
            {
                specs.Add(spec);
            }

            if (fields.TryGetValue("specs", out var many))
            {
                specs.AddRange(nodes.Sequence(many, "specs"));
            }

            if (specs.Count == 0)
            {
                nodes.Error(map, $"{kind} needs 'spec' or 'specs'");
            }

            foreach (var one in specs)
            {
                if (name is not null)
                {
                    var policy = ReadCiliumSpec(one, nodes, policyKind, name, clusterwide ? null : ns ?? "default", map);
                    if (policy is not null)
                    {
                        read.Add(policy);
                    }
                }
            }
        }

        if (nodes.ErrorCount == errorsBefore)
        {
            policies.AddRange(read);
        }
    }

    private static void ExpectApiVersion(YamlNodes nodes, YamlNode at, string? apiVersion, string kind, string expected)
    {
        if (apiVersion is null)
        {
            nodes.Error(at, $"{kind} without apiVersion (expected {expected})");
        }
        else if (!string.Equals(apiVersion, expected, StringComparison.Ordinal))
        {
            nodes.Error(at, $"{kind}: apiVersion '{apiVersion}' is not supported (expected {expected})");
        }
    }

    private static (string? Name, string? Namespace) ReadMetadata(Dictionary<string, YamlNode> fields, YamlNodes nodes, YamlNode at, string kind)
    {
        if (!fields.TryGetValue("metadata", out var metaNode))
        {
            nodes.Error(at, $"{kind} without metadata.name");
            return (null, null);
        }

        var meta = nodes.Fields(metaNode, "metadata", MetadataFields);
        if (meta is null)
        {
            return (null, null);
        }

        string? name = meta.TryGetValue("name", out var n) ? nodes.String(n, "metadata.name") : null;
        string? ns = meta.TryGetValue("namespace", out var s) ? nodes.String(s, "metadata.namespace") : null;
        if (string.IsNullOrEmpty(name))
        {
            nodes.Error(metaNode, $"{kind} without metadata.name");
            name = null;
        }

        return (name, string.IsNullOrEmpty(ns) ? null : ns);
    }

    private static PolicyDefinition? ReadNetworkPolicy(YamlNode specNode, YamlNodes nodes, string name, string ns, YamlNode at)
    {
        var spec = nodes.Fields(specNode, "NetworkPolicy spec", NpSpecFields);
        if (spec is null)
        {
            return null;
        }

        LabelSelector subject = LabelSelector.Everything;
        if (!spec.TryGetValue("podSelector", out var podSelector))
        {
            nodes.Error(specNode, "NetworkPolicy spec.podSelector is required (use {} to select every pod of the namespace)");
        }
        else
        {
            subject = ReadSelector(podSelector, nodes, "spec.podSelector", cilium: false).Selector;
        }

        var ingress = new List<PolicyRule>();
        var egress = new List<PolicyRule>();
        if (spec.TryGetValue("ingress", out var ingressNode))
        {
            foreach (var rule in nodes.Sequence(ingressNode, "spec.ingress"))
            {
                ingress.Add(ReadNpRule(rule, nodes, ns, PolicyDirection.Ingress));
            }
        }

        if (spec.TryGetValue("egress", out var egressNode))
        {
            foreach (var rule in nodes.Sequence(egressNode, "spec.egress"))
            {
                egress.Add(ReadNpRule(rule, nodes, ns, PolicyDirection.Egress));
            }
        }

        bool isolatesIngress = true;
        bool isolatesEgress = egress.Count > 0;
        if (spec.TryGetValue("policyTypes", out var typesNode))
        {
            isolatesIngress = false;
            isolatesEgress = false;
            foreach (var typeNode in nodes.Sequence(typesNode, "spec.policyTypes"))
            {
                switch (nodes.String(typeNode, "spec.policyTypes"))
                {
                    case "Ingress":
                        isolatesIngress = true;
                        break;
                    case "Egress":
                        isolatesEgress = true;
                        break;
                    case var other:
                        nodes.Error(typeNode, $"spec.policyTypes: '{other}' is not Ingress or Egress");
                        break;
                }
            }

            if (!isolatesIngress && ingress.Count > 0)
            {
                nodes.Warning(ingressNode!, "spec.ingress is ignored: spec.policyTypes does not list Ingress");
                ingress.Clear();
            }

            if (!isolatesEgress && egress.Count > 0)
            {
                nodes.Warning(egressNode!, "spec.egress is ignored: spec.policyTypes does not list Egress");
                egress.Clear();
            }
        }

        return new PolicyDefinition
        {
            Kind = PolicyKind.NetworkPolicy,
            Name = name,
            Namespace = ns,
            Subject = subject,
            IsolatesIngress = isolatesIngress,
            IsolatesEgress = isolatesEgress,
            Ingress = ingress,
            Egress = egress,
            Location = new SourceLocation(nodes.File, YamlNodes.LineOf(at)),
        };
    }

    private static PolicyRule ReadNpRule(YamlNode ruleNode, YamlNodes nodes, string ns, PolicyDirection direction)
    {
        string peersField = direction == PolicyDirection.Ingress ? "from" : "to";
        string context = direction == PolicyDirection.Ingress ? "ingress rule" : "egress rule";
        var location = new SourceLocation(nodes.File, YamlNodes.LineOf(ruleNode));
        if (YamlNodes.IsNull(ruleNode) || ruleNode is YamlMappingNode { Children.Count: 0 })
        {
            return new PolicyRule { AnyPeer = true, Location = location };
        }

        var rule = nodes.Fields(ruleNode, context, direction == PolicyDirection.Ingress ? NpIngressFields : NpEgressFields);
        var peers = new List<PolicyPeer>();
        var ports = new List<PortRule>();
        if (rule is null)
        {
            return new PolicyRule { Location = location };
        }

        if (rule.TryGetValue(peersField, out var peersNode))
        {
            foreach (var peerNode in nodes.Sequence(peersNode, $"{context}.{peersField}"))
            {
                if (ReadNpPeer(peerNode, nodes, ns, $"{context}.{peersField}") is { } peer)
                {
                    peers.Add(peer);
                }
            }
        }

        if (rule.TryGetValue("ports", out var portsNode))
        {
            foreach (var portNode in nodes.Sequence(portsNode, $"{context}.ports"))
            {
                if (ReadPort(portNode, nodes, $"{context}.ports", PortProtocol.Tcp, allowAny: false) is { } port)
                {
                    ports.Add(port);
                }
            }
        }

        // An absent or empty from/to admits every peer; an empty ports list admits every port.
        return new PolicyRule { AnyPeer = peers.Count == 0, Peers = peers, Ports = ports, Location = location };
    }

    private static SelectorPeer? ReadNpPeerSelectors(Dictionary<string, YamlNode> peer, YamlNodes nodes, string ns, string context)
    {
        LabelSelector? pods = peer.TryGetValue("podSelector", out var p) ? ReadSelector(p, nodes, context + ".podSelector", cilium: false).Selector : null;
        LabelSelector? namespaces = peer.TryGetValue("namespaceSelector", out var n) ? ReadSelector(n, nodes, context + ".namespaceSelector", cilium: false).Selector : null;
        if (pods is null && namespaces is null)
        {
            return null;
        }

        return new SelectorPeer
        {
            Pods = pods ?? LabelSelector.Everything,
            NamespaceSelector = namespaces,
            Namespace = namespaces is null ? ns : null,
        };
    }

    private static PolicyPeer? ReadNpPeer(YamlNode peerNode, YamlNodes nodes, string ns, string context)
    {
        var peer = nodes.Fields(peerNode, context + " peer", NpPeerFields);
        if (peer is null)
        {
            return null;
        }

        var location = new SourceLocation(nodes.File, YamlNodes.LineOf(peerNode));
        if (peer.TryGetValue("ipBlock", out var ipBlock))
        {
            if (peer.Count > 1)
            {
                nodes.Error(peerNode, $"{context}: ipBlock cannot be combined with podSelector or namespaceSelector in one peer");
                return null;
            }

            var block = nodes.Fields(ipBlock, "ipBlock", IpBlockFields);
            if (block is null)
            {
                return null;
            }

            if (!block.TryGetValue("cidr", out var cidrNode))
            {
                nodes.Error(ipBlock, "ipBlock.cidr is required");
                return null;
            }

            return ReadCidr(cidrNode, block.GetValueOrDefault("except"), nodes, "ipBlock", location);
        }

        if (ReadNpPeerSelectors(peer, nodes, ns, context) is { } selectorPeer)
        {
            return new SelectorPeer
            {
                Pods = selectorPeer.Pods,
                NamespaceSelector = selectorPeer.NamespaceSelector,
                Namespace = selectorPeer.Namespace,
                Location = location,
            };
        }

        nodes.Error(peerNode, $"{context}: a peer needs podSelector, namespaceSelector or ipBlock");
        return null;
    }

    private static CidrPeer? ReadCidr(YamlNode cidrNode, YamlNode? exceptNode, YamlNodes nodes, string context, SourceLocation location)
    {
        string? text = nodes.String(cidrNode, context + ".cidr");
        if (!IpNetwork.TryParse(text, out var network, out string? error))
        {
            nodes.Error(cidrNode, $"{context}.cidr: {error}");
            return null;
        }

        var except = new List<IpNetwork>();
        if (exceptNode is not null)
        {
            foreach (var item in nodes.Sequence(exceptNode, context + ".except"))
            {
                string? exceptText = nodes.String(item, context + ".except");
                if (!IpNetwork.TryParse(exceptText, out var excepted, out error))
                {
                    nodes.Error(item, $"{context}.except: {error}");
                }
                else if (!network.Covers(excepted))
                {
                    nodes.Error(item, $"{context}.except: {excepted} is not inside {network}");
                }
                else
                {
                    except.Add(excepted);
                }
            }
        }

        return new CidrPeer { Network = network, Except = except, Location = location };
    }

    private static PortRule? ReadPort(YamlNode portNode, YamlNodes nodes, string context, PortProtocol defaultProtocol, bool allowAny)
    {
        var port = nodes.Fields(portNode, context + " entry", PortFields);
        if (port is null)
        {
            return null;
        }

        var protocol = defaultProtocol;
        if (port.TryGetValue("protocol", out var protocolNode) && nodes.String(protocolNode, context + ".protocol") is { } protocolText)
        {
            switch (protocolText.ToUpperInvariant())
            {
                case "TCP":
                    protocol = PortProtocol.Tcp;
                    break;
                case "UDP":
                    protocol = PortProtocol.Udp;
                    break;
                case "SCTP":
                    protocol = PortProtocol.Sctp;
                    break;
                case "ANY" when allowAny:
                    protocol = PortProtocol.Any;
                    break;
                default:
                    nodes.Error(protocolNode, $"{context}.protocol: '{protocolText}' is not {(allowAny ? "TCP, UDP, SCTP or ANY" : "TCP, UDP or SCTP")}");
                    return null;
            }
        }

        int number = 0;
        string? named = null;
        if (port.TryGetValue("port", out var numberNode))
        {
            var (value, name) = nodes.IntOrString(numberNode, context + ".port", allowName: true);
            if (name is not null)
            {
                if (!IsValidPortName(name))
                {
                    nodes.Error(numberNode, $"{context}.port: '{name}' is neither a port number nor a valid port name");
                    return null;
                }

                named = name;
            }
            else if (value is { } v)
            {
                // Cilium reads port 0 as "every port"; Kubernetes requires 1-65535.
                if (v > 65535 || (v == 0 && !allowAny))
                {
                    nodes.Error(numberNode, $"{context}.port: {v} is not a port (1-65535)");
                    return null;
                }

                number = v;
            }
        }

        int end = number;
        if (port.TryGetValue("endPort", out var endNode))
        {
            var (value, _) = nodes.IntOrString(endNode, context + ".endPort", allowName: false);
            if (value is { } e)
            {
                if (named is not null || number == 0)
                {
                    nodes.Error(endNode, $"{context}.endPort needs a numeric port");
                    return null;
                }

                if (e < number || e > 65535)
                {
                    nodes.Error(endNode, $"{context}.endPort {e} must be between port {number} and 65535");
                    return null;
                }

                end = e;
            }
        }

        return new PortRule { Protocol = protocol, Port = number, EndPort = end, NamedPort = named };
    }

    private static bool IsValidPortName(string name) =>
        name.Length is > 0 and <= 15 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && name.Any(char.IsAsciiLetterLower) && name[0] != '-' && name[^1] != '-';

    private static PolicyDefinition? ReadCiliumSpec(YamlNode specNode, YamlNodes nodes, PolicyKind kind, string name, string? ns, YamlNode at)
    {
        string kindName = kind.ToString();
        var spec = nodes.Fields(specNode, kindName + " spec", CnpSpecFields);
        if (spec is null)
        {
            return null;
        }

        bool hostPolicy = false;
        if (spec.TryGetValue("nodeSelector", out var nodeSelector))
        {
            hostPolicy = true;
            if (kind == PolicyKind.CiliumNetworkPolicy)
            {
                nodes.Error(nodeSelector, "nodeSelector (host policies) is only valid in a CiliumClusterwideNetworkPolicy");
            }
            else if (spec.ContainsKey("endpointSelector"))
            {
                nodes.Error(nodeSelector, "a spec has either endpointSelector or nodeSelector, not both");
            }
            else
            {
                ReadSelector(nodeSelector, nodes, "spec.nodeSelector", cilium: true);
                nodes.Warning(nodeSelector, $"host policy (nodeSelector) of {name} is not supported: it is skipped in evaluation");
            }
        }
        else if (!spec.ContainsKey("endpointSelector"))
        {
            nodes.Error(specNode, $"{kindName} spec needs endpointSelector (use {{}} to select every endpoint{(ns is null ? "" : " of the namespace")})");
        }

        var subject = spec.TryGetValue("endpointSelector", out var endpointSelector)
            ? ReadSelector(endpointSelector, nodes, "spec.endpointSelector", cilium: true).Selector
            : LabelSelector.Everything;
        string context = ns is null ? name : ns + "/" + name;
        var ingress = ReadCiliumRules(spec, "ingress", nodes, ns, PolicyDirection.Ingress, deny: false, context);
        var ingressDeny = ReadCiliumRules(spec, "ingressDeny", nodes, ns, PolicyDirection.Ingress, deny: true, context);
        var egress = ReadCiliumRules(spec, "egress", nodes, ns, PolicyDirection.Egress, deny: false, context);
        var egressDeny = ReadCiliumRules(spec, "egressDeny", nodes, ns, PolicyDirection.Egress, deny: true, context);

        bool? defaultDenyIngress = null;
        bool? defaultDenyEgress = null;
        if (spec.TryGetValue("enableDefaultDeny", out var defaultDenyNode) && nodes.Fields(defaultDenyNode, "enableDefaultDeny", DefaultDenyFields) is { } defaultDeny)
        {
            defaultDenyIngress = defaultDeny.TryGetValue("ingress", out var i) ? nodes.Bool(i, "enableDefaultDeny.ingress") : null;
            defaultDenyEgress = defaultDeny.TryGetValue("egress", out var e) ? nodes.Bool(e, "enableDefaultDeny.egress") : null;
        }

        if (spec.TryGetValue("labels", out var labels))
        {
            nodes.Sequence(labels, "spec.labels");
        }

        if (hostPolicy || !spec.ContainsKey("endpointSelector"))
        {
            // Read through for its diagnostics; host policies are not evaluated.
            return null;
        }

        return new PolicyDefinition
        {
            Kind = kind,
            Name = name,
            Namespace = ns,
            Subject = subject,
            // Cilium: a direction with rules makes the selected endpoints default-deny unless the policy opts out.
            IsolatesIngress = (ingress.Count > 0 || ingressDeny.Count > 0) && defaultDenyIngress != false,
            IsolatesEgress = (egress.Count > 0 || egressDeny.Count > 0) && defaultDenyEgress != false,
            Ingress = ingress,
            IngressDeny = ingressDeny,
            Egress = egress,
            EgressDeny = egressDeny,
            Location = new SourceLocation(nodes.File, YamlNodes.LineOf(at)),
        };
    }

    private static List<PolicyRule> ReadCiliumRules(Dictionary<string, YamlNode> spec, string field, YamlNodes nodes, string? ns,
        PolicyDirection direction, bool deny, string policyName)
    {
        var rules = new List<PolicyRule>();
        if (!spec.TryGetValue(field, out var node))
        {
            return rules;
        }

        var known = direction == PolicyDirection.Ingress
            ? deny ? CnpIngressDenyFields : CnpIngressFields
            : deny ? CnpEgressDenyFields : CnpEgressFields;
        foreach (var ruleNode in nodes.Sequence(node, "spec." + field))
        {
            var location = new SourceLocation(nodes.File, YamlNodes.LineOf(ruleNode));
            if (YamlNodes.IsNull(ruleNode))
            {
                rules.Add(new PolicyRule { Location = location });
                continue;
            }

            var rule = nodes.Fields(ruleNode, field + " rule", known);
            if (rule is null)
            {
                continue;
            }

            rules.Add(ReadCiliumRule(rule, ruleNode, nodes, ns, direction, deny, field, policyName, location));
        }

        return rules;
    }

    private static PolicyRule ReadCiliumRule(Dictionary<string, YamlNode> rule, YamlNode ruleNode, YamlNodes nodes, string? ns, PolicyDirection direction,
        bool deny, string field, string policyName, SourceLocation location)
    {
        string prefix = direction == PolicyDirection.Ingress ? "from" : "to";
        var peers = new List<PolicyPeer>();
        var unevaluated = new List<string>();
        bool hasL3 = false;
        if (rule.TryGetValue(prefix + "Endpoints", out var endpoints))
        {
            hasL3 = true;
            foreach (var selectorNode in nodes.Sequence(endpoints, $"{field}.{prefix}Endpoints"))
            {
                var (selector, namesNamespace, namesReserved) = ReadSelector(selectorNode, nodes, $"{field}.{prefix}Endpoints", cilium: true);
                peers.Add(new SelectorPeer
                {
                    Pods = selector,
                    // A CiliumNetworkPolicy peer without a namespace label is in the policy's namespace; cluster-wide: any.
                    Namespace = namesNamespace ? null : ns,
                    SelectsReserved = namesReserved,
                    Location = new SourceLocation(nodes.File, YamlNodes.LineOf(selectorNode)),
                });
            }
        }

        if (rule.TryGetValue(prefix + "CIDR", out var cidrs))
        {
            hasL3 = true;
            foreach (var cidrNode in nodes.Sequence(cidrs, $"{field}.{prefix}CIDR"))
            {
                if (ReadCidr(cidrNode, null, nodes, $"{field}.{prefix}CIDR", new SourceLocation(nodes.File, YamlNodes.LineOf(cidrNode))) is { } peer)
                {
                    peers.Add(peer);
                }
            }
        }

        if (rule.TryGetValue(prefix + "CIDRSet", out var cidrSets))
        {
            hasL3 = true;
            foreach (var setNode in nodes.Sequence(cidrSets, $"{field}.{prefix}CIDRSet"))
            {
                var set = nodes.Fields(setNode, $"{prefix}CIDRSet entry", CidrSetFields);
                if (set is null)
                {
                    continue;
                }

                if (set.TryGetValue("cidr", out var cidrNode))
                {
                    if (ReadCidr(cidrNode, set.GetValueOrDefault("except"), nodes, $"{prefix}CIDRSet", new SourceLocation(nodes.File, YamlNodes.LineOf(setNode))) is { } peer)
                    {
                        peers.Add(peer);
                    }
                }
                else if (set.ContainsKey("cidrGroupRef") || set.ContainsKey("cidrGroupSelector"))
                {
                    unevaluated.Add("CIDR groups");
                    nodes.Warning(setNode, $"{policyName}: CiliumCIDRGroup references are not evaluated; flows they could match are reported as not evaluated");
                }
                else
                {
                    nodes.Error(setNode, $"{prefix}CIDRSet entry needs cidr, cidrGroupRef or cidrGroupSelector");
                }
            }
        }

        if (rule.TryGetValue(prefix + "Entities", out var entities))
        {
            hasL3 = true;
            foreach (var entityNode in nodes.Sequence(entities, $"{field}.{prefix}Entities"))
            {
                string? entity = nodes.String(entityNode, $"{field}.{prefix}Entities");
                if (entity is null)
                {
                    continue;
                }

                if (!Entities.Contains(entity))
                {
                    nodes.Error(entityNode, $"{prefix}Entities: unknown entity '{entity}' (known: {string.Join(", ", Entities.Order(StringComparer.Ordinal))})");
                    continue;
                }

                peers.Add(new EntityPeer { Entity = entity, Location = new SourceLocation(nodes.File, YamlNodes.LineOf(entityNode)) });
            }
        }

        foreach (string other in (string[])[prefix + "Requires", prefix + "Groups", prefix + "Nodes", "toServices", "toFQDNs"])
        {
            if (rule.TryGetValue(other, out var otherNode))
            {
                hasL3 = true;
                unevaluated.Add(other);
                nodes.Warning(otherNode, $"{policyName}: {other} is not evaluated from flows; flows this rule could match are reported as not evaluated");
            }
        }

        if (rule.TryGetValue("authentication", out var authentication))
        {
            nodes.Warning(authentication, $"{policyName}: authentication (mutual auth) is not evaluated; the rule is judged on L3/L4 only");
        }

        var ports = new List<PortRule>();
        if (rule.TryGetValue("toPorts", out var toPorts))
        {
            foreach (var entryNode in nodes.Sequence(toPorts, $"{field}.toPorts"))
            {
                ReadToPorts(entryNode, nodes, field, deny, policyName, ports);
            }
        }

        if (rule.TryGetValue("icmps", out var icmps) && !YamlNodes.IsNull(icmps))
        {
            nodes.Sequence(icmps, $"{field}.icmps");
            ports.Add(new PortRule { Protocol = PortProtocol.Any, Icmp = true });
            nodes.Warning(icmps, $"{policyName}: icmps are not evaluated; ICMP flows this rule could match are reported as not evaluated");
        }

        _ = ruleNode;
        // Cilium: a rule with only toPorts admits every peer on those ports; a rule with neither peers nor ports ({})
        // admits nothing (it only puts the endpoint into default deny).
        return new PolicyRule
        {
            AnyPeer = !hasL3 && ports.Count > 0,
            Peers = peers,
            Ports = ports,
            UnevaluatedPeers = unevaluated.Count == 0 ? null : string.Join(", ", unevaluated.Distinct(StringComparer.Ordinal)),
            Location = location,
        };
    }

    private static void ReadToPorts(YamlNode entryNode, YamlNodes nodes, string field, bool deny, string policyName, List<PortRule> ports)
    {
        var entry = nodes.Fields(entryNode, "toPorts entry", ToPortsFields);
        if (entry is null)
        {
            return;
        }

        string? l7 = null;
        if (entry.TryGetValue("rules", out var rulesNode) && !YamlNodes.IsNull(rulesNode))
        {
            if (deny)
            {
                nodes.Error(rulesNode, $"{field}: deny rules cannot carry L7 rules");
                return;
            }

            var l7Fields = nodes.Fields(rulesNode, "toPorts.rules", L7Fields);
            l7 = l7Fields is null || l7Fields.Count == 0 ? "L7 rules" : "L7 " + string.Join("/", l7Fields.Keys.Order(StringComparer.Ordinal)) + " rules";
        }

        foreach (string tls in (string[])["terminatingTLS", "originatingTLS", "serverNames", "listener"])
        {
            if (entry.ContainsKey(tls))
            {
                if (deny)
                {
                    nodes.Error(entry[tls], $"{field}: deny rules cannot carry {tls}");
                    return;
                }

                l7 ??= tls;
            }
        }

        var entryPorts = new List<PortRule>();
        if (entry.TryGetValue("ports", out var portsNode))
        {
            foreach (var portNode in nodes.Sequence(portsNode, "toPorts.ports"))
            {
                if (ReadPort(portNode, nodes, "toPorts.ports", PortProtocol.Any, allowAny: true) is { } port)
                {
                    entryPorts.Add(port);
                }
            }
        }

        if (entryPorts.Count == 0)
        {
            entryPorts.Add(new PortRule { Protocol = PortProtocol.Any });
        }

        if (l7 is not null)
        {
            nodes.Warning(entryNode, $"{policyName}: {l7} are not evaluated; flows on {string.Join(", ", entryPorts)} this rule could allow are reported as not evaluated");
        }

        foreach (var port in entryPorts)
        {
            ports.Add(l7 is null ? port : new PortRule { Protocol = port.Protocol, Port = port.Port, EndPort = port.EndPort, NamedPort = port.NamedPort, L7 = l7 });
        }
    }

    /// <summary>
    /// A label selector. Cilium keys lose their <c>k8s:</c> / <c>any:</c> source prefix (flows carry Kubernetes labels
    /// without it); <c>reserved:</c> keys stay, they name reserved identities.
    /// </summary>
    internal static (LabelSelector Selector, bool NamesNamespace, bool NamesReserved) ReadSelector(YamlNode node, YamlNodes nodes, string context, bool cilium)
    {
        if (YamlNodes.IsNull(node))
        {
            return (LabelSelector.Everything, false, false);
        }

        var fields = nodes.Fields(node, context, SelectorFields);
        if (fields is null)
        {
            return (LabelSelector.Everything, false, false);
        }

        var requirements = new List<SelectorRequirement>();
        if (fields.TryGetValue("matchLabels", out var labelsNode) && nodes.StringMap(labelsNode, context + ".matchLabels") is { } labels)
        {
            foreach (var (key, value) in labels.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                string normalised = cilium ? NormaliseKey(key) : key;
                if (!LabelSelector.IsValidKey(normalised))
                {
                    nodes.Error(labelsNode, $"{context}.matchLabels: '{key}' is not a valid label key");
                }
                else if (!LabelSelector.IsValidValue(value))
                {
                    nodes.Error(labelsNode, $"{context}.matchLabels: '{value}' (for '{key}') is not a valid label value");
                }
                else
                {
                    requirements.Add(new SelectorRequirement(normalised, SelectorOperator.In, [value]));
                }
            }
        }

        if (fields.TryGetValue("matchExpressions", out var expressionsNode))
        {
            foreach (var expressionNode in nodes.Sequence(expressionsNode, context + ".matchExpressions"))
            {
                if (ReadExpression(expressionNode, nodes, context + ".matchExpressions", cilium) is { } requirement)
                {
                    requirements.Add(requirement);
                }
            }
        }

        bool namesNamespace = requirements.Any(r => r.Key == NamespaceLabel);
        bool namesReserved = requirements.Any(r => r.Key.StartsWith("reserved:", StringComparison.Ordinal));
        return (new LabelSelector(requirements), namesNamespace, namesReserved);
    }

    private static SelectorRequirement? ReadExpression(YamlNode node, YamlNodes nodes, string context, bool cilium)
    {
        var fields = nodes.Fields(node, context + " entry", ExpressionFields);
        if (fields is null)
        {
            return null;
        }

        string? key = fields.TryGetValue("key", out var k) ? nodes.String(k, context + ".key") : null;
        string? op = fields.TryGetValue("operator", out var o) ? nodes.String(o, context + ".operator") : null;
        var values = new List<string>();
        if (fields.TryGetValue("values", out var v))
        {
            foreach (var item in nodes.Sequence(v, context + ".values"))
            {
                values.Add(nodes.String(item, context + ".values") ?? "");
            }
        }

        if (key is null)
        {
            nodes.Error(node, $"{context}: key is required");
            return null;
        }

        key = cilium ? NormaliseKey(key) : key;
        if (!LabelSelector.IsValidKey(key))
        {
            nodes.Error(node, $"{context}: '{key}' is not a valid label key");
            return null;
        }

        SelectorOperator parsed;
        switch (op)
        {
            case "In":
                parsed = SelectorOperator.In;
                break;
            case "NotIn":
                parsed = SelectorOperator.NotIn;
                break;
            case "Exists":
                parsed = SelectorOperator.Exists;
                break;
            case "DoesNotExist":
                parsed = SelectorOperator.DoesNotExist;
                break;
            default:
                nodes.Error(node, $"{context}: operator '{op}' is not In, NotIn, Exists or DoesNotExist");
                return null;
        }

        if (parsed is SelectorOperator.In or SelectorOperator.NotIn && values.Count == 0)
        {
            nodes.Error(node, $"{context}: operator {op} needs at least one value");
            return null;
        }

        if (parsed is SelectorOperator.Exists or SelectorOperator.DoesNotExist && values.Count > 0)
        {
            nodes.Error(node, $"{context}: operator {op} takes no values");
            return null;
        }

        foreach (string value in values)
        {
            if (!LabelSelector.IsValidValue(value))
            {
                nodes.Error(node, $"{context}: '{value}' is not a valid label value");
                return null;
            }
        }

        return new SelectorRequirement(key, parsed, values);
    }

    /// <summary>Removes Cilium's label source prefixes that flows do not carry.</summary>
    public static string NormaliseKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith("k8s:", StringComparison.Ordinal))
        {
            return key[4..];
        }

        return key.StartsWith("any:", StringComparison.Ordinal) ? key[4..] : key;
    }

    private static string FirstLine(string message)
    {
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? message : message[..newline];
    }

    private static FrozenSet<string> Set(params string[] values) => values.ToFrozenSet(StringComparer.Ordinal);
}
