using Microsoft.Extensions.Logging;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Control.Policies;

/// <summary>The policy editor's services: its store, the recent-flows window and the loader of <c>Control:Backtest:Paths</c>.</summary>
public static class PolicyEditorRegistration
{
    public static IServiceCollection AddPolicyEditor(this IServiceCollection services, ControlOptions options, ControlPaths paths)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        services.AddSingleton(new PolicyStore(paths.PoliciesDirectory, paths.AppliedPoliciesDirectory, options.Policies.MaxPolicies));
        services.AddSingleton(sp =>
        {
            var window = new RecentFlows(options.Backtest.MaxFlows, options.Backtest.MaxWorkloads);
            // The window's fill, as netsec_queue_depth{stage="recent_flows"}: how much history a plan covers.
            sp.GetRequiredService<NetSecMetrics>().TrackQueue(RecentFlowsSink.ComponentId, () => window.Count);
            return window;
        });
        if (options.Backtest.Paths.Count > 0)
        {
            services.AddSingleton(sp => new RecentFlowsLoader(sp.GetRequiredService<RecentFlows>(), options, sp.GetRequiredService<NetSecMetrics>(), sp.GetRequiredService<ILogger<RecentFlowsLoader>>()));
            services.AddHostedService(sp => sp.GetRequiredService<RecentFlowsLoader>());
        }

        return services;
    }
}
