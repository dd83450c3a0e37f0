using k8s;
using NetSecStream.Policy.Backtest;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Editor;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Policy.Model;
using NetSecStream.Policy.Parsing;
using NetSecStream.Testing;
using NetSecStream.Testing.Kubernetes;

namespace NetSecStream.Policy.Tests.Editor;

public sealed class PolicyEditorTests
{
    private const string NetworkPolicy = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: web
          namespace: shop
        spec:
          podSelector:
            matchLabels:
              app: web
          policyTypes: [Ingress, Egress]
          ingress:
            - from:
                - podSelector:
                    matchLabels:
                      app: frontend
                - namespaceSelector:
                    matchLabels:
                      kubernetes.io/metadata.name: billing
                  podSelector:
                    matchLabels:
                      app: api
                - ipBlock:
                    cidr: 10.8.0.0/16
              ports:
                - port: 8080
                  protocol: TCP
          egress:
            - to:
                - podSelector:
                    matchLabels:
                      app: db
              ports:
                - port: 5432

        """;

    private const string Cilium = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata:
          name: web
          namespace: shop
        spec:
          endpointSelector:
            matchLabels:
              app: web
          ingress:
            - fromEndpoints:
                - matchLabels:
                    app: frontend
                - matchLabels:
                    k8s:io.kubernetes.pod.namespace: billing
                    app: api
              toPorts:
                - ports:
                    - port: "8080"
                      protocol: TCP

        """;

    private static IReadOnlyList<WorkloadRef> Workloads() =>
    [
        new("shop", "web", new Dictionary<string, string> { ["app"] = "web" }),
        new("shop", "frontend", new Dictionary<string, string> { ["app"] = "frontend" }),
        new("shop", "db", new Dictionary<string, string> { ["app"] = "db" }),
        new("billing", "api", new Dictionary<string, string> { ["app"] = "api" }),
        new("billing", "frontend", new Dictionary<string, string> { ["app"] = "frontend" }),
    ];

    private static List<PolicyDefinition> Parse(string yaml)
    {
        var parsed = PolicyParser.ParseText(yaml);
        Assert.False(parsed.HasErrors, string.Join("; ", parsed.Diagnostics));
        return parsed.Policies;
    }

    [Fact]
    public void Summary_SaysWhatThePolicySelects_AndEachRuleInWords()
    {
        var summary = PolicyInsight.Summarise(Parse(NetworkPolicy)[0]);
        Assert.Equal("pods app=web in namespace shop", summary.EndpointSelector);
        Assert.Equal(
        [
            "ingress (line 12): allow from pods app=frontend in the same namespace or pods app=api in namespaces kubernetes.io/metadata.name=billing or CIDR 10.8.0.0/16 on 8080/TCP",
            "ingress: everything else denied (default deny)",
            "egress (line 28): allow to pods app=db in the same namespace on 5432/TCP",
            "egress: everything else denied (default deny)",
        ], summary.Rules);
    }

    [Theory]
    [InlineData(NetworkPolicy)]
    [InlineData(Cilium)]
    public void Selection_NamesSelectedWorkloads_AndThePeersItsRulesAdmit(string yaml)
    {
        var selection = PolicyInsight.Select(Parse(yaml), Workloads());
        Assert.Equal(["shop/web"], selection.Selected.Select(w => w.Namespace + "/" + w.Name));
        var ingressPeers = selection.Peers.Where(p => p.Direction == "ingress").Select(p => p.Namespace + "/" + p.Workload).Order(StringComparer.Ordinal);
        // frontend of billing is not admitted: the same-namespace selector pins shop.
        Assert.Equal(["billing/api", "shop/frontend"], ingressPeers);
        Assert.All(selection.Peers, p => Assert.False(p.Deny));
    }

    [Fact]
    public void Form_OfANetworkPolicy_HoldsSelectorPeersAndPorts()
    {
        var (form, reason) = PolicyForm.From(Parse(NetworkPolicy));
        Assert.Null(reason);
        Assert.NotNull(form);
        Assert.Equal("NetworkPolicy", form.Kind);
        Assert.Equal("shop", form.Namespace);
        Assert.Equal("web", form.Selector["app"]);
        Assert.True(form.IngressIsolated);
        Assert.True(form.EgressIsolated);
        var peers = form.Ingress[0].Peers;
        Assert.Equal(3, peers.Count);
        Assert.Equal("frontend", peers[0].Labels!["app"]);
        Assert.Null(peers[0].Namespace);
        Assert.Equal("billing", peers[1].Namespace);
        Assert.Equal("10.8.0.0/16", peers[2].Cidr);
        Assert.Equal(new FormPort(8080, "TCP"), form.Ingress[0].Ports[0]);
        Assert.Equal(new FormPort(5432, "TCP"), form.Egress[0].Ports[0]);
    }

    [Fact]
    public void Form_OfACiliumPolicy_ReadsTheNamespaceLabelAsTheNamespace()
    {
        var (form, reason) = PolicyForm.From(Parse(Cilium));
        Assert.Null(reason);
        Assert.Equal("CiliumNetworkPolicy", form!.Kind);
        Assert.Equal("billing", form.Ingress[0].Peers[1].Namespace);
        Assert.False(form.Ingress[0].Peers[1].Labels!.ContainsKey("io.kubernetes.pod.namespace"));
        Assert.True(form.IngressIsolated);
        Assert.False(form.EgressIsolated);
    }

    [Theory]
    [InlineData("- port: 8080", "- port: http", "named port")]
    [InlineData("      app: web\n", "      app: web\n    matchExpressions:\n      - {key: tier, operator: In, values: [a, b]}\n", "expressions")]
    public void Form_RefusesWhatItCannotWriteBack_SayingWhy(string find, string replace, string why)
    {
        var (form, reason) = PolicyForm.From(Parse(NetworkPolicy.Replace(find, replace, StringComparison.Ordinal)));
        Assert.Null(form);
        Assert.NotNull(reason);
        Assert.True(reason.Contains(why, StringComparison.Ordinal) || reason.Contains("http", StringComparison.Ordinal), reason);
    }

    [Fact]
    public void Impact_CountsWhatTheChangeDeniesAndAllows_AgainstTheBaseline()
    {
        var old = Parse(NetworkPolicy);
        var changed = Parse(NetworkPolicy.Replace("- port: 8080", "- port: 9090", StringComparison.Ordinal));
        var impact = new PolicyImpact(old, changed, examples: 2);
        for (int i = 0; i < 5; i++)
        {
            impact.Add(LabelledFlows.Pods("shop", "frontend", "shop", "web", 8080, i));
        }

        for (int i = 0; i < 3; i++)
        {
            impact.Add(LabelledFlows.Pods("shop", "frontend", "shop", "web", 9090, i));
        }

        impact.Add(LabelledFlows.Pods("shop", "db", "shop", "frontend", 80));
        var report = impact.Finish();
        Assert.Equal(9, report.Plan.Flows);
        Assert.Equal(3, report.Plan.Allowed);
        Assert.Equal(5, report.Plan.Denied);
        Assert.Equal(1, report.Plan.NotSelected);
        Assert.Equal(5, report.NewlyDenied);
        Assert.Equal(3, report.NewlyAllowed);
        Assert.InRange(report.NewlyDeniedExamples.Count, 1, 2);
        Assert.All(report.NewlyDeniedExamples, e => Assert.Equal(8080, e.Port));
    }

    [Fact]
    public async Task Documents_AreAppliedAndDeleted_OnAGitOpsDirectory_AndAKubernetesApi()
    {
        var json = PolicyYaml.ToJson(NetworkPolicy)!.ToJsonString();
        var document = new PolicyDocument(PolicyResource.For(PolicyKind.NetworkPolicy), "shop", "web", json);
        Assert.Equal("NetworkPolicy/shop/web", document.Reference);

        string dir = Path.Combine(Path.GetTempPath(), "netsec-doc-" + Guid.NewGuid().ToString("N"));
        try
        {
            var gitops = new GitOpsPolicyTarget(dir, PolicyFlavor.Cilium, "netsec");
            await gitops.ApplyDocumentAsync(document, CancellationToken.None);
            string file = Path.Combine(dir, "networkpolicy_shop_web.yaml");
            var reread = PolicyParser.ParseFile(file);
            Assert.False(reread.HasErrors);
            Assert.Equal(8080, reread.Policies[0].Ingress[0].Ports[0].Port);
            // Not labelled as a block: reconciliation never lists (or expires) it.
            Assert.Empty(await gitops.ListManagedAsync(CancellationToken.None));
            await gitops.DeleteAsync(document.Resource, "shop", "web", CancellationToken.None);
            Assert.False(File.Exists(file));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = api.Url });
        var target = new KubernetesPolicyTarget("c1", PolicyFlavor.Cilium, client, "netsec");
        await target.ApplyDocumentAsync(document, CancellationToken.None);
        var patch = Assert.Single(api.Requests);
        Assert.Equal("PATCH", patch.Method);
        Assert.Equal("/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/web", patch.Path);
        Assert.StartsWith(FakeKubernetesApi.ApplyPatchContentType, patch.ContentType, StringComparison.Ordinal);
        Assert.NotNull(api.Get("networking.k8s.io", "v1", "networkpolicies", "shop", "web"));

        var clusterwide = new PolicyDocument(PolicyResource.For(PolicyKind.CiliumClusterwideNetworkPolicy), null, "all", """{"apiVersion":"cilium.io/v2","kind":"CiliumClusterwideNetworkPolicy","metadata":{"name":"all"},"spec":{}}""");
        await target.ApplyDocumentAsync(clusterwide, CancellationToken.None);
        Assert.Equal("/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies/all", api.Requests.Last().Path);
    }
}
