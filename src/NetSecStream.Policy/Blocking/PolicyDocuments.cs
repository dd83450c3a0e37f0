using System.Text.Json.Serialization;

namespace NetSecStream.Policy.Blocking;

// The subset of the CiliumNetworkPolicy (cilium.io/v2) and Calico (projectcalico.org/v3) schemas that block rules
// use, as they are written to clusters and GitOps directories. Absent fields are left out, never written as null.

public sealed class ObjectMetadata
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("namespace")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Namespace { get; init; }

    [JsonPropertyName("labels")]
    public required SortedDictionary<string, string> Labels { get; init; }

    [JsonPropertyName("annotations")]
    public required SortedDictionary<string, string> Annotations { get; init; }
}

public sealed class CiliumNetworkPolicyDocument
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; init; } = "cilium.io/v2";

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "CiliumNetworkPolicy";

    [JsonPropertyName("metadata")]
    public required ObjectMetadata Metadata { get; init; }

    [JsonPropertyName("spec")]
    public required CiliumPolicySpec Spec { get; init; }
}

public sealed class CiliumPolicySpec
{
    [JsonPropertyName("endpointSelector")]
    public required CiliumSelector EndpointSelector { get; init; }

    /// <summary>Both false: a deny-only policy must not turn on default deny for the workload (Cilium 1.15+), or it cuts it off.</summary>
    [JsonPropertyName("enableDefaultDeny")]
    public CiliumDefaultDeny EnableDefaultDeny { get; init; } = new();

    [JsonPropertyName("ingressDeny")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CiliumDenyRule>? IngressDeny { get; init; }

    [JsonPropertyName("egressDeny")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CiliumDenyRule>? EgressDeny { get; init; }
}

public sealed class CiliumDefaultDeny
{
    [JsonPropertyName("ingress")]
    public bool Ingress { get; init; }

    [JsonPropertyName("egress")]
    public bool Egress { get; init; }
}

public sealed class CiliumSelector
{
    [JsonPropertyName("matchLabels")]
    public required SortedDictionary<string, string> MatchLabels { get; init; }
}

public sealed class CiliumDenyRule
{
    [JsonPropertyName("fromCIDR")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? FromCidr { get; init; }

    [JsonPropertyName("fromEndpoints")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CiliumSelector>? FromEndpoints { get; init; }

    [JsonPropertyName("toCIDR")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? ToCidr { get; init; }

    [JsonPropertyName("toEndpoints")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CiliumSelector>? ToEndpoints { get; init; }
}

public sealed class CalicoGlobalNetworkPolicyDocument
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; init; } = "projectcalico.org/v3";

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "GlobalNetworkPolicy";

    [JsonPropertyName("metadata")]
    public required ObjectMetadata Metadata { get; init; }

    [JsonPropertyName("spec")]
    public required CalicoPolicySpec Spec { get; init; }
}

public sealed class CalicoPolicySpec
{
    [JsonPropertyName("tier")]
    public required string Tier { get; init; }

    [JsonPropertyName("order")]
    public double Order { get; init; }

    [JsonPropertyName("selector")]
    public required string Selector { get; init; }

    [JsonPropertyName("types")]
    public required List<string> Types { get; init; }

    [JsonPropertyName("ingress")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CalicoRule>? Ingress { get; init; }

    [JsonPropertyName("egress")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CalicoRule>? Egress { get; init; }
}

public sealed class CalicoRule
{
    [JsonPropertyName("action")]
    public required string Action { get; init; }

    [JsonPropertyName("source")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CalicoEntity? Source { get; init; }

    [JsonPropertyName("destination")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CalicoEntity? Destination { get; init; }
}

public sealed class CalicoEntity
{
    [JsonPropertyName("nets")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Nets { get; init; }

    [JsonPropertyName("namespaceSelector")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? NamespaceSelector { get; init; }

    [JsonPropertyName("selector")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Selector { get; init; }
}

/// <summary>The Calico tier block rules live in, ahead of the default tier, so their trailing Pass leaves every other policy as it was.</summary>
public sealed class CalicoTierDocument
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; init; } = "projectcalico.org/v3";

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "Tier";

    [JsonPropertyName("metadata")]
    public required ObjectMetadata Metadata { get; init; }

    [JsonPropertyName("spec")]
    public required CalicoTierSpec Spec { get; init; }
}

public sealed class CalicoTierSpec
{
    [JsonPropertyName("order")]
    public double Order { get; init; }
}

[JsonSerializable(typeof(CiliumNetworkPolicyDocument))]
[JsonSerializable(typeof(CalicoGlobalNetworkPolicyDocument))]
[JsonSerializable(typeof(CalicoTierDocument))]
internal sealed partial class PolicyJsonContext : JsonSerializerContext;
