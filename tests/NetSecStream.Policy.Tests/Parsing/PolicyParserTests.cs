using NetSecStream.Core.Selectors;
using NetSecStream.Policy.Model;
using NetSecStream.Policy.Parsing;

namespace NetSecStream.Policy.Tests.Parsing;

public sealed class PolicyParserTests
{
    private static PolicyParseResult Parse(string yaml) => PolicyParser.ParseText(yaml, "p.yaml");

    private static void AssertError(PolicyParseResult result, int line, string fragment) =>
        Assert.True(result.Errors.Any(d => d.Line == line && d.Message.Contains(fragment, StringComparison.Ordinal)),
            $"expected an error at line {line} containing '{fragment}'; got:\n{string.Join("\n", result.Diagnostics)}");

    [Fact]
    public void NetworkPolicy_DefaultsAndPeers_MapOntoTheModel()
    {
        var result = Parse("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: api
              namespace: shop
            spec:
              podSelector:
                matchLabels: {app: api}
                matchExpressions:
                  - {key: tier, operator: NotIn, values: [legacy]}
              ingress:
                - from:
                    - namespaceSelector: {matchLabels: {team: ops}}
                      podSelector: {matchLabels: {app: prom}}
                    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
                  ports:
                    - {port: 8000, endPort: 8010}
                    - {protocol: UDP, port: dns}
              egress:
                - {}
            """);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var policy = Assert.Single(result.Policies);
        Assert.Equal("shop/api", policy.FullName);
        Assert.True(policy.IsolatesIngress);
        Assert.True(policy.IsolatesEgress); // policyTypes default: Egress too, as there are egress rules
        Assert.Equal("app=api,tier!=legacy", policy.Subject.ToString());
        var rule = Assert.Single(policy.Ingress);
        Assert.False(rule.AnyPeer);
        var selector = Assert.IsType<SelectorPeer>(rule.Peers[0]);
        Assert.Null(selector.Namespace);
        Assert.Equal("team=ops", selector.NamespaceSelector!.ToString());
        var cidr = Assert.IsType<CidrPeer>(rule.Peers[1]);
        Assert.Equal("10.0.0.0/8 except 10.1.0.0/16", cidr.ToString());
        Assert.Equal(8010, rule.Ports[0].EndPort);
        Assert.Equal(PortProtocol.Tcp, rule.Ports[0].Protocol);
        Assert.Equal("dns", rule.Ports[1].NamedPort);
        Assert.True(Assert.Single(policy.Egress).AnyPeer);
        Assert.Equal(new SourceLocation("p.yaml", 1), policy.Location);
    }

    [Fact]
    public void NetworkPolicy_WithoutEgressRules_IsNotIsolatedForEgress_AndNamespaceDefaultsToDefault()
    {
        var policy = Assert.Single(Parse("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: a}
            spec: {podSelector: {}}
            """).Policies);
        Assert.Equal("default", policy.Namespace);
        Assert.True(policy.IsolatesIngress);
        Assert.False(policy.IsolatesEgress);
        Assert.True(policy.Subject.IsEmpty);
    }

    [Fact]
    public void Errors_NameTheLine_AndThePolicyIsLeftOut()
    {
        var result = Parse("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: bad, namespace: shop}
            spec:
              podSelector:
                matchExpressions:
                  - {key: app, operator: Like, values: [x]}
              ingress:
                - from:
                    - ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}
                    - {}
                  ports:
                    - {port: 70000}
                    - {port: 80, endPort: 79}
                    - {protocol: ICMP}
                  frm: []
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: good, namespace: shop}
            spec: {podSelector: {}}
            """);
        AssertError(result, 7, "operator 'Like'");
        AssertError(result, 10, "192.168.0.0/16 is not inside 10.0.0.0/8");
        AssertError(result, 11, "a peer needs podSelector, namespaceSelector or ipBlock");
        AssertError(result, 13, "70000 is not a port");
        AssertError(result, 14, "endPort 79");
        AssertError(result, 15, "'ICMP' is not TCP, UDP or SCTP");
        AssertError(result, 16, "unknown field 'frm'");
        Assert.Equal("shop/good", Assert.Single(result.Policies).FullName);
    }

    [Fact]
    public void Cilium_UnknownFields_BadEntities_L7InDeny_AreErrors()
    {
        var result = Parse("""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: c, namespace: shop}
            spec:
              endpointSelector: {matchLabels: {app: a}}
              ingress:
                - fromEntities: [wrld]
              ingressDeny:
                - toPorts:
                    - ports: [{port: "80"}]
                      rules: {http: [{method: GET}]}
              egress:
                - toCIDR: [not-a-cidr]
                  toPort: []
              nodeSelector: {}
            """);
        AssertError(result, 7, "unknown entity 'wrld'");
        AssertError(result, 11, "deny rules cannot carry L7 rules");
        AssertError(result, 13, "'not-a-cidr' is not a CIDR");
        AssertError(result, 14, "unknown field 'toPort'");
        AssertError(result, 15, "only valid in a CiliumClusterwideNetworkPolicy");
        Assert.Empty(result.Policies);
    }

    [Fact]
    public void Cilium_Semantics_NamespaceScoping_KeysPrefixes_DefaultDeny()
    {
        var result = Parse("""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: c, namespace: shop}
            specs:
              - endpointSelector: {matchLabels: {"k8s:app": a}}
                ingress:
                  - fromEndpoints:
                      - matchLabels: {"any:app": b}
                      - matchLabels: {"k8s:io.kubernetes.pod.namespace": ops}
                      - matchLabels: {"reserved:host": ""}
                  - {}
                  - toPorts: [{ports: [{port: "443", protocol: TCP}], rules: {http: [{}]}}]
              - endpointSelector: {}
                enableDefaultDeny: {egress: false}
                egressDeny:
                  - toGroups: [{aws: {securityGroupsIds: [sg-1]}}]
                egress:
                  - toCIDRSet: [{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}]
            ---
            apiVersion: cilium.io/v2
            kind: CiliumClusterwideNetworkPolicy
            metadata: {name: cw}
            spec:
              endpointSelector: {}
              ingress:
                - fromEndpoints: [{matchLabels: {app: z}}]
            ---
            apiVersion: cilium.io/v2
            kind: CiliumClusterwideNetworkPolicy
            metadata: {name: host}
            spec:
              nodeSelector: {}
              ingress: [{fromEntities: [cluster]}]
            """);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        Assert.Equal(3, result.Policies.Count);
        var first = result.Policies[0];
        Assert.Equal("app=a", first.Subject.ToString());
        Assert.True(first.IsolatesIngress);
        Assert.False(first.IsolatesEgress);
        var peers = first.Ingress[0].Peers.Cast<SelectorPeer>().ToList();
        Assert.Equal(("shop", "app=b"), (peers[0].Namespace, peers[0].Pods.ToString()));
        Assert.Equal((null, "io.kubernetes.pod.namespace=ops"), (peers[1].Namespace, peers[1].Pods.ToString()));
        Assert.True(peers[2].SelectsReserved);
        Assert.False(first.Ingress[1].AnyPeer); // {} admits nothing in Cilium
        Assert.Empty(first.Ingress[1].Peers);
        Assert.True(first.Ingress[2].AnyPeer); // toPorts alone: any peer
        Assert.Contains("http", first.Ingress[2].Ports[0].L7, StringComparison.Ordinal);

        var second = result.Policies[1];
        Assert.False(second.IsolatesEgress);
        Assert.Equal("toGroups", second.EgressDeny[0].UnevaluatedPeers);
        Assert.Null(result.Policies[2].Namespace);
        Assert.Null(Assert.IsType<SelectorPeer>(result.Policies[2].Ingress[0].Peers[0]).Namespace);

        Assert.Contains(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning && d.Line == 32 && d.Message.Contains("host policy", StringComparison.Ordinal));
        Assert.Contains(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Warning && d.Message.Contains("toGroups", StringComparison.Ordinal));
    }

    [Fact]
    public void Documents_SyntaxErrorsKindsAndLists()
    {
        AssertError(Parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 2, "unsupported kind 'ConfigMap'");
        AssertError(Parse("apiVersion: networking.k8s.io/v1beta1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}}\n"), 1, "apiVersion 'networking.k8s.io/v1beta1'");
        AssertError(Parse("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: x}\nspec:\n  podSelector: {}\n   ingress: []\n"), 6, "invalid YAML");
        AssertError(Parse("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: x}\nspec:\n  podSelector: {\n  ingress: [\n"), 1, "invalid YAML");
        AssertError(Parse("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {ingress: []}\n"), 4, "podSelector is required");

        var list = Parse("""
            apiVersion: v1
            kind: List
            items:
              - apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: a, namespace: n}
                spec: {podSelector: {}}
              - apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: b, namespace: n}
                spec: {endpointSelector: {}, ingress: [{fromEntities: [world]}]}
            """);
        Assert.False(list.HasErrors, string.Join("\n", list.Diagnostics));
        Assert.Equal(["n/a", "n/b"], list.Policies.Select(p => p.FullName));
        Assert.Equal(8, list.Policies[1].Location.Line);
    }

    [Fact]
    public void Loader_DuplicatePolicyAcrossFiles_IsAnErrorAtTheSecond_AndMissingPathThrows()
    {
        string dir = Directory.CreateTempSubdirectory("netsec-policy-load-").FullName;
        try
        {
            const string Policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: n}\nspec: {podSelector: {}}\n";
            File.WriteAllText(Path.Combine(dir, "1.yaml"), Policy);
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            File.WriteAllText(Path.Combine(dir, "sub", "2.yml"), Policy);
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a policy");
            var result = PolicyLoader.Load([dir]);
            Assert.Equal(2, result.Files);
            Assert.Single(result.Policies);
            var error = Assert.Single(result.Errors);
            Assert.EndsWith("2.yml", error.File, StringComparison.Ordinal);
            Assert.Contains("declared twice (first at ", error.Message, StringComparison.Ordinal);
            Assert.Throws<FileNotFoundException>(() => PolicyLoader.Load([Path.Combine(dir, "missing")]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void HostileNesting_IsAnError_NotAStackOverflow()
    {
        var result = Parse("kind: NetworkPolicy\nspec: " + new string('[', 100_000) + new string(']', 100_000) + "\n");
        AssertError(result, 2, "nesting deeper than 64 levels");
        Assert.Empty(result.Policies);
    }

    [Fact]
    public void SelectorKeys_AreValidatedLikeKubernetes()
    {
        var result = Parse("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: a, namespace: n}
            spec:
              podSelector:
                matchLabels: {"-bad": x, good: "has space"}
            """);
        Assert.Equal(2, result.Errors.Count(d => d.Line == 6));
        Assert.True(LabelSelector.IsValidKey(PolicyParser.NormaliseKey("k8s:app.kubernetes.io/name")));
    }
}
