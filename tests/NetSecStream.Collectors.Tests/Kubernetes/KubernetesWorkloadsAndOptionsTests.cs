using System.Net;
using Microsoft.Extensions.Options;
using NetSecStream.Collectors.Kubernetes;

namespace NetSecStream.Collectors.Tests.Kubernetes;

public sealed class KubernetesWorkloadsAndOptionsTests
{
    [Theory]
    [InlineData("ReplicaSet", "reviews-v1-545db77b95", "reviews-v1")]
    [InlineData("DaemonSet", "node-local-dns", "node-local-dns")]
    [InlineData("StatefulSet", "postgres", "postgres")]
    [InlineData("Job", "nightly-backup-29000000", "nightly-backup")]
    [InlineData("Job", "migrate-1", "migrate-1")]
    public void Workload_FromTheControllerOwner(string kind, string owner, string expected)
    {
        var pod = Pods.Make("ns", owner + "-x9z2q", "10.0.0.1", (kind, owner), new Dictionary<string, string> { ["pod-template-hash"] = "545db77b95" });

        Assert.Equal(expected, KubernetesPodInfo.From(pod)!.Workload);
    }

    [Fact]
    public void Workload_ReplicaSetWithoutTheTemplateHash_IsTheReplicaSet()
    {
        var pod = Pods.Make("ns", "legacy-rs-abcde", "10.0.0.1", ("ReplicaSet", "legacy-rs"));

        Assert.Equal("legacy-rs", KubernetesPodInfo.From(pod)!.Workload);
    }

    [Fact]
    public void Workload_MirrorPodOfAStaticManifest_IsTheManifestName()
    {
        var pod = Pods.Make("kube-system", "kube-apiserver-control-1", "10.0.0.1", ("Node", "control-1"), node: "control-1");

        Assert.Equal("kube-apiserver", KubernetesPodInfo.From(pod)!.Workload);
    }

    [Fact]
    public void From_DualStackPod_IndexesBothAddresses()
    {
        var pod = Pods.Make("ns", "web-0", "10.0.0.7");
        pod.Status.PodIPs = [new k8s.Models.V1PodIP { Ip = "10.0.0.7" }, new k8s.Models.V1PodIP { Ip = "fd00::7" }];

        var info = KubernetesPodInfo.From(pod)!;

        Assert.Equal([IPAddress.Parse("10.0.0.7"), IPAddress.Parse("fd00::7")], info.Ips);
    }

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new KubernetesEnrichmentOptionsValidator().Validate(null, new KubernetesEnrichmentOptions()).Succeeded);
    }

    [Fact]
    public void Validate_BadValues_EachFailureStartsWithItsFullKey()
    {
        var options = new KubernetesEnrichmentOptions
        {
            InCluster = true,
            KubeconfigPath = "/root/.kube/config",
            Namespaces = ["Shop_1"],
            MaxPods = 0,
            Resync = TimeSpan.FromSeconds(-1),
            WatchTimeout = TimeSpan.Zero,
            ReconnectInitialBackoff = TimeSpan.Zero,
        };

        var result = new KubernetesEnrichmentOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        string[] keys =
        [
            "Enrichers:Kubernetes:KubeconfigPath ",
            "Enrichers:Kubernetes:Namespaces:0 ",
            "Enrichers:Kubernetes:MaxPods ",
            "Enrichers:Kubernetes:Resync ",
            "Enrichers:Kubernetes:WatchTimeout ",
            "Enrichers:Kubernetes:ReconnectInitialBackoff ",
        ];
        var failures = result.Failures!.ToList();
        Assert.Equal(keys.Length, failures.Count);
        Assert.All(keys, key => Assert.Contains(failures, failure => failure.StartsWith(key, StringComparison.Ordinal)));
        Assert.Throws<OptionsValidationException>(() => new KubernetesEnricher(options));
    }
}
