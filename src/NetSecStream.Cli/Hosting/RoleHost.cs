using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NetSecStream.Cli.Configuration;
using NetSecStream.Core.Telemetry;
using OpenTelemetry.Metrics;

namespace NetSecStream.Cli.Hosting;

/// <summary>
/// The Generic Host every long-running role (<c>run</c>, <c>collect</c>, <c>process</c>) runs in: configuration,
/// console logging to stderr, the shared <see cref="NetSecMetrics"/>, and when enabled the Prometheus endpoint
/// (<c>/metrics</c>) and health checks (<c>/healthz</c> live, <c>/readyz</c> ready) on <c>Metrics:Listen</c>.
/// </summary>
public static class RoleHost
{
    public static WebApplication Build(AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(settings.Configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(settings.Configuration.GetSection("Logging"));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.WebHost.UseUrls(settings.Metrics.Listen);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<NetSecMetrics>();
        builder.Services.AddSingleton<ReadinessCheck>();
        if (settings.Metrics.Enabled)
        {
            // Prometheus exposition of the NetSecStream meter via OpenTelemetry.
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(NetSecMetrics.MeterName)
                .AddPrometheusExporter());
        }

        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
        return builder.Build();
    }

    /// <summary>Maps and starts the endpoints when <c>Metrics:Enabled</c>; the role runs without them otherwise.</summary>
    public static async Task StartEndpointsAsync(WebApplication app, AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.Metrics.Enabled)
        {
            return;
        }

        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapGet("/", () => Results.Text("NetSecStream: /metrics (Prometheus), /healthz (live), /readyz (ready)\n"));
        await app.StartAsync(CancellationToken.None).ConfigureAwait(false);
        Console.Error.WriteLine($"[netsec] metrics and health on {settings.Metrics.Listen} (/metrics, /healthz, /readyz)");
    }

    public static async Task StopEndpointsAsync(WebApplication app, AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Metrics.Enabled)
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}

/// <summary>Ready while the role's main loop runs; the role sets the probe.</summary>
public sealed class ReadinessCheck : IHealthCheck
{
    public Func<(bool Ready, string Detail)>? Probe { get; set; }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (ready, detail) = Probe?.Invoke() ?? (false, "starting");
        return Task.FromResult(ready ? HealthCheckResult.Healthy(detail) : HealthCheckResult.Unhealthy(detail));
    }
}
