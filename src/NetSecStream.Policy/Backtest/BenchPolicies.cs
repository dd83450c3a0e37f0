using System.Globalization;
using System.Text;

namespace NetSecStream.Policy.Backtest;

/// <summary>
/// Writes a realistic policy set over the workloads of <c>netsec generate</c>'s simulated cluster (its namespaces,
/// labels and ports mirror Collectors/Generator/Cluster.cs), for benchmarking <c>netsec policy plan</c>:
/// per-namespace NetworkPolicies admitting the namespace itself, monitoring and the ingress controller; per-workload
/// CiliumNetworkPolicies for ingress (callers, metrics scrapes) and egress (DNS through the DNS proxy, the namespace,
/// the API server, external services by FQDN); two cluster-wide deny policies; and block rules (egressDeny of single
/// addresses with default deny off, as the product's block mode writes them) up to the count asked for. The set
/// selects the generator's workloads and denies part of its traffic.
/// </summary>
public static class BenchPolicies
{
    private sealed record Workload(string Namespace, string Name, string LabelKey, string LabelValue, int Port, int MetricsPort, string Protocol = "TCP");

    private static readonly Workload[] Workloads =
    [
        new("ingress-nginx", "ingress-nginx-controller", "app.kubernetes.io/name", "ingress-nginx", 443, 10254),
        new("shop", "frontend", "app", "frontend", 8080, 8080),
        new("shop", "catalog", "app", "catalog", 8080, 8080),
        new("shop", "cart", "app", "cart", 8080, 8080),
        new("shop", "checkout", "app", "checkout", 8080, 8080),
        new("shop", "payments", "app", "payments", 8080, 8080),
        new("shop", "redis-master", "app", "redis", 6379, 9121),
        new("data", "postgres", "app", "postgres", 5432, 9187),
        new("data", "kafka", "app", "kafka", 9092, 9308),
        new("monitoring", "prometheus-k8s", "prometheus", "k8s", 9090, 9090),
        new("monitoring", "grafana", "app.kubernetes.io/name", "grafana", 3000, 3000),
        new("kube-system", "coredns", "k8s-app", "kube-dns", 53, 9153, "ANY"),
        new("default", "notifier", "app", "notifier", 8080, 8080),
        new("default", "sftp-gateway", "app", "sftp-gateway", 22, 0),
        new("argocd", "argocd-repo-server", "app.kubernetes.io/name", "argocd-repo-server", 8081, 8084),
    ];

    private static readonly Dictionary<string, string[]> ExternalNames = new(StringComparer.Ordinal)
    {
        ["payments"] = ["api.stripe.com"],
        ["frontend"] = ["shop-assets-prod.s3.eu-west-1.amazonaws.com"],
        ["notifier"] = ["api.sendgrid.com"],
        ["argocd-repo-server"] = ["github.com"],
        ["grafana"] = ["grafana.com"],
    };

    /// <summary>Writes <paramref name="count"/> policies, one file each, into <paramref name="directory"/>; returns the files.</summary>
    public static List<string> Write(string directory, int count, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        foreach (var (name, yaml) in Generate(seed).Take(count))
        {
            string path = Path.Combine(directory, name + ".yaml");
            File.WriteAllText(path, yaml);
            files.Add(path);
        }

        return files;
    }

    public static IEnumerable<(string Name, string Yaml)> Generate(int seed = 1)
    {
        foreach (string ns in Workloads.Select(w => w.Namespace).Distinct(StringComparer.Ordinal))
        {
            yield return ($"np-{ns}-same-namespace", $"""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: allow-same-namespace
                  namespace: {ns}
                spec:
                  podSelector: {"{}"}
                  policyTypes: [Ingress]
                  ingress:
                    - from:
                        - podSelector: {"{}"}
                        - namespaceSelector:
                            matchLabels:
                              kubernetes.io/metadata.name: monitoring
                        - namespaceSelector:
                            matchLabels:
                              kubernetes.io/metadata.name: ingress-nginx

                """);
        }

        foreach (var w in Workloads)
        {
            yield return ($"cnp-{w.Namespace}-{w.Name}-ingress", Ingress(w));
        }

        foreach (var w in Workloads)
        {
            yield return ($"cnp-{w.Namespace}-{w.Name}-egress", Egress(w));
        }

        yield return ("ccnp-deny-metadata", """
            apiVersion: cilium.io/v2
            kind: CiliumClusterwideNetworkPolicy
            metadata:
              name: deny-cloud-metadata
            spec:
              endpointSelector:
                matchExpressions:
                  - key: io.kubernetes.pod.namespace
                    operator: NotIn
                    values: [kube-system]
              enableDefaultDeny: {ingress: false, egress: false}
              egressDeny:
                - toCIDR: [169.254.169.254/32]

            """);
        yield return ("ccnp-deny-tor-exits", """
            apiVersion: cilium.io/v2
            kind: CiliumClusterwideNetworkPolicy
            metadata:
              name: deny-known-bad
            spec:
              endpointSelector: {}
              enableDefaultDeny: {ingress: false, egress: false}
              egressDeny:
                - toCIDRSet:
                    - cidr: 185.220.100.0/22
                    - cidr: 45.155.205.0/24
                  toPorts:
                    - ports:
                        - port: "0"
                          protocol: ANY

            """);

        // Block rules, as block mode writes them: one address each, default deny off so nothing else is cut.
        var random = new Random(seed);
        for (int i = 0; ; i++)
        {
            var w = Workloads[1 + (i % (Workloads.Length - 1))];
            string address = string.Create(CultureInfo.InvariantCulture, $"{random.Next(11, 223)}.{random.Next(0, 256)}.{random.Next(0, 256)}.{random.Next(1, 255)}");
            if (i % 7 == 0)
            {
                // Some blocks hit addresses the generator's workloads really call (their external services).
                (w, address) = (i / 7 % 3) switch
                {
                    0 => (Workloads[5], "54.187.174.169"),
                    1 => (Workloads[12], "167.89.118.35"),
                    _ => (Workloads[14], "140.82.121.4"),
                };
            }

            yield return ($"block-{i:D3}", string.Create(CultureInfo.InvariantCulture, $"""
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata:
                  name: netsec-block-{i:D3}
                  namespace: {w.Namespace}
                  annotations:
                    netsec.io/reason: "bench: block rule {i}"
                spec:
                  endpointSelector:
                    matchLabels:
                      {w.LabelKey}: {w.LabelValue}
                  enableDefaultDeny: {"{ingress: false, egress: false}"}
                  egressDeny:
                    - toCIDR: [{address}/32]

                """));
        }
    }

    private static string Ingress(Workload w)
    {
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata:
              name: {w.Name}-ingress
              namespace: {w.Namespace}
            spec:
              endpointSelector:
                matchLabels:
                  {w.LabelKey}: {w.LabelValue}
              ingress:
                - fromEndpoints:
                    - {"{}"}
                  toPorts:
                    - ports:
                        - port: "{w.Port}"
                          protocol: {w.Protocol}

            """);
        if (w.MetricsPort > 0)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                    - fromEndpoints:
                        - matchLabels:
                            k8s:io.kubernetes.pod.namespace: monitoring
                            prometheus: k8s
                      toPorts:
                        - ports:
                            - port: "{w.MetricsPort}"
                              protocol: TCP

                """);
        }

        string? from = w.Name switch
        {
            "ingress-nginx-controller" => "fromEntities: [world]",
            "sftp-gateway" => "fromCIDR: [52.19.113.40/32, 3.250.64.12/32]",
            "coredns" => "fromEntities: [cluster]",
            "frontend" => "fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: ingress-nginx}}]",
            "catalog" or "cart" or "checkout" => "fromEndpoints: [{matchLabels: {app: frontend}}]",
            "postgres" or "kafka" => "fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: shop}}]",
            "grafana" => "fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: ingress-nginx}}]",
            _ => null,
        };
        if (from is not null)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                    - {from}
                      toPorts:
                        - ports:
                            - port: "{w.Port}"
                              protocol: {w.Protocol}

                """);
        }

        return yaml.ToString();
    }

    private static string Egress(Workload w)
    {
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata:
              name: {w.Name}-egress
              namespace: {w.Namespace}
            spec:
              endpointSelector:
                matchLabels:
                  {w.LabelKey}: {w.LabelValue}
              egress:
                - toEndpoints:
                    - matchLabels:
                        k8s:io.kubernetes.pod.namespace: kube-system
                        k8s:k8s-app: kube-dns
                  toPorts:
                    - ports:
                        - port: "53"
                          protocol: ANY
                      rules:
                        dns:
                          - matchPattern: "*"
                - toEndpoints:
                    - {"{}"}

            """);
        if (w.Namespace == "shop")
        {
            yaml.Append("""
                    - toEndpoints:
                        - matchLabels:
                            k8s:io.kubernetes.pod.namespace: data
                      toPorts:
                        - ports:
                            - port: "5432"
                              protocol: TCP
                            - port: "9092"
                              protocol: TCP

                """);
        }

        if (w.Namespace is "monitoring" or "argocd" or "ingress-nginx")
        {
            yaml.Append("""
                    - toEntities: [kube-apiserver, cluster]

                """);
        }

        if (ExternalNames.TryGetValue(w.Name, out var names))
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                    - toFQDNs:
                        - matchName: {names[0]}
                      toPorts:
                        - ports:
                            - port: "443"
                              protocol: TCP

                """);
        }

        return yaml.ToString();
    }
}
