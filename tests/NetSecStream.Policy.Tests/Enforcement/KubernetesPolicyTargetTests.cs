using System.Text.Json.Nodes;
using k8s;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Testing.Kubernetes;

namespace NetSecStream.Policy.Tests.Enforcement;

public sealed class KubernetesPolicyTargetTests
{
    private static JsonObject Managed(string name, string ns, bool ours) => new()
    {
        ["apiVersion"] = "cilium.io/v2",
        ["kind"] = "CiliumNetworkPolicy",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["labels"] = ours ? new JsonObject { [BlockPolicyWriter.ManagedByLabel] = BlockPolicyWriter.ManagedByValue } : new JsonObject { ["owner"] = "team" },
            ["annotations"] = new JsonObject { [BlockPolicyWriter.ExpiresAnnotation] = "2026-11-27T11:00:00Z" },
        },
        ["spec"] = new JsonObject(),
    };

    [Fact]
    public async Task ListManaged_SelectsByLabel_InEveryNamespace_PageByPage()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        for (int i = 0; i < 7; i++)
        {
            string ns = i % 2 == 0 ? "shop" : "payments";
            api.Put("cilium.io", "v2", "ciliumnetworkpolicies", ns, Managed($"netsec-block-{i}", ns, ours: true));
        }

        api.Put("cilium.io", "v2", "ciliumnetworkpolicies", "shop", Managed("team-policy", "shop", ours: false));
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = api.Url });
        var target = new KubernetesPolicyTarget("c1", PolicyFlavor.Cilium, client, "netsec") { ListPageSize = 3 };

        var objects = await target.ListManagedAsync(CancellationToken.None);

        Assert.Equal(7, objects.Count);
        Assert.DoesNotContain(objects, o => o.Name == "team-policy");
        Assert.Equal(4, objects.Count(o => o.Namespace == "shop"));
        Assert.All(objects, o => Assert.Equal("2026-11-27T11:00:00Z", o.Annotations[BlockPolicyWriter.ExpiresAnnotation]));
        var lists = api.Requests.Where(r => r.Method == "GET").ToList();
        Assert.Equal(3, lists.Count);
        Assert.All(lists, r => Assert.Equal("/apis/cilium.io/v2/ciliumnetworkpolicies", r.Path));
        Assert.All(lists, r => Assert.Contains("labelSelector=app.kubernetes.io%2Fmanaged-by%3Dnetsec", r.Query, StringComparison.Ordinal));
        Assert.Contains("continue=6", lists[2].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_OfAnObjectAlreadyGone_IsNotAnError()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = api.Url });
        var target = new KubernetesPolicyTarget("c1", PolicyFlavor.Cilium, client, "netsec");

        await target.DeleteAsync(PolicyResource.CiliumNetworkPolicy, "shop", "netsec-block-gone", CancellationToken.None);

        Assert.Equal(404, Assert.Single(api.Requests).Status);
    }
}
