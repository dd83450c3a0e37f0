namespace NetSecStream.Policy;

/// <summary>
/// NetSecStream.Policy: the policy model (Kubernetes NetworkPolicy, CiliumNetworkPolicy,
/// CiliumClusterwideNetworkPolicy), audit evaluation of flows against it, block rules generated from alerts,
/// their sync to clusters, backtests and suggestions.
/// </summary>
internal static class PolicyAssembly
{
    internal const string Name = "NetSecStream.Policy";
}
