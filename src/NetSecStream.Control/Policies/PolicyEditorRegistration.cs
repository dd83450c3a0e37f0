using Microsoft.Extensions.Logging;

namespace NetSecStream.Control.Policies;

/// <summary>The policy editor's services: its store, the recent-flows window and the loader of <c>Control:Backtest:Paths</c>.</summary>
public static class PolicyEditorRegistration
{
    public static IServiceCollection AddPolicyEditor(this IServiceCollection services, ControlOptions options, ControlPaths paths)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        services.AddSingleton(new PolicyStore(paths.PoliciesDirectory, paths.AppliedPoliciesDirectory, options.Policies.MaxPolicies));
        services.AddSingleton(new RecentFlows(options.Backtest.MaxFlows, options.Backtest.MaxWorkloads));
        if (options.Backtest.Paths.Count > 0)
        {
            services.AddSingleton(sp => new RecentFlowsLoader(sp.GetRequiredService<RecentFlows>(), options, sp.GetRequiredService<ILogger<RecentFlowsLoader>>()));
            services.AddHostedService(sp => sp.GetRequiredService<RecentFlowsLoader>());
        }

        return services;
    }
}
