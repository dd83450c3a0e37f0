using NetSecStream.Policy.Enforcement;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NetSecStream.Control.Api;
using NetSecStream.Control.Ingest;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;
using NetSecStream.Core.Telemetry;
using NetSecStream.Kafka;

namespace NetSecStream.Control;

/// <summary>Where the control plane keeps its files, resolved from <c>Control</c> and <c>Storage:DataDirectory</c>.</summary>
public sealed record ControlPaths(string Database, string RulesDirectory, string ModesFile, string ModelsFile)
{
    /// <summary>The policy editor's drafts (<c>Control:Policies:Directory</c>).</summary>
    public string PoliciesDirectory { get; init; } = Path.Combine(Path.GetDirectoryName(Database) ?? ".", "policies");

    /// <summary>Applied policies, one YAML file each (<c>Control:Policies:AppliedDirectory</c>), for <c>Detectors:Policy:Paths</c>.</summary>
    public string AppliedPoliciesDirectory { get; init; } = Path.Combine(Path.GetDirectoryName(Database) ?? ".", "applied-policies");

    public static ControlPaths Resolve(ControlOptions options, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        string control = Path.Combine(Path.GetFullPath(dataDirectory), "control");
        return new ControlPaths(
            string.IsNullOrWhiteSpace(options.Database) ? Path.Combine(control, "triage.db") : Path.GetFullPath(options.Database),
            string.IsNullOrWhiteSpace(options.RulesDirectory) ? Path.Combine(control, "rules") : Path.GetFullPath(options.RulesDirectory),
            string.IsNullOrWhiteSpace(options.ModesFile) ? Path.Combine(control, "modes.json") : Path.GetFullPath(options.ModesFile),
            string.IsNullOrWhiteSpace(options.ModelsFile) ? Path.Combine(control, "models.json") : Path.GetFullPath(options.ModelsFile))
        {
            PoliciesDirectory = string.IsNullOrWhiteSpace(options.Policies.Directory) ? Path.Combine(control, "policies") : Path.GetFullPath(options.Policies.Directory),
            AppliedPoliciesDirectory = string.IsNullOrWhiteSpace(options.Policies.AppliedDirectory)
                ? Path.Combine(control, "applied-policies") : Path.GetFullPath(options.Policies.AppliedDirectory),
        };
    }
}

/// <summary>
/// The control plane as a web application: the triage store and its writer, the optional Kafka consumer of the alerts
/// topic, authentication (bearer tokens, session cookie + CSRF), the JSON API under <c>/api</c>, <c>/healthz</c>,
/// <c>/readyz</c> and the OpenAPI document at <c>/openapi/v1.json</c>.
/// </summary>
public static class ControlServer
{
    /// <summary>
    /// Builds (does not start) the application. <paramref name="kafka"/>, when given, adds the alerts-topic consumer;
    /// <paramref name="configureBuilder"/> lets tests swap the server (test host) or logging. <paramref name="enforcement"/>,
    /// when given, is hosted here (started and stopped with the server): block-mode alerts from the alerts topic are handed
    /// to it after they are stored, and <c>GET /api/blocks</c> lists the blocks it holds.
    /// </summary>
    public static WebApplication Build(ControlOptions options, ControlPaths paths, IConfiguration configuration, NetSecMetrics metrics,
        KafkaOptions? kafka = null, Action<WebApplicationBuilder>? configureBuilder = null, ILoggerProvider? logging = null,
        EnforcementService? enforcement = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        builder.Configuration.Sources.Clear();
        // A copy, not the caller's configuration chained in: the web host writes its own keys (urls) into its
        // configuration, and through a chain they would reach every other host sharing it (the metrics endpoint).
        builder.Configuration.AddInMemoryCollection(configuration.AsEnumerable().Where(p => p.Value is not null));
        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        if (logging is not null)
        {
            builder.Logging.AddProvider(logging);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }

        // Kestrel's own request logs would drown the product's at Information.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // A failed start (a busy port) is rethrown and reported by the caller naming Control:Urls; the host's own
        // log line would only repeat it as a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = Math.Max(options.MaxRulesUploadBytes, 1024 * 1024) + 4096);

        var store = new TriageStore(paths.Database);
        store.Open();
        // Processors follow the disabled-rules file (Detectors:Signatures:ControlDirectory), so it must say what the store says.
        RuleOverrideFile.Sync(paths.RulesDirectory, store.RuleOverrides());
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(paths);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(sp => new TriageIngest(store, options, metrics, sp.GetService<ILogger<TriageIngest>>()));
        builder.Services.AddSingleton(sp => new RuleCatalog(configuration, options, paths.RulesDirectory));
        builder.Services.AddSingleton(sp => new ModesFile(paths.ModesFile, configuration));
        builder.Services.AddSingleton(sp => new ModelSelection(paths.ModelsFile, configuration));
        Policies.PolicyEditorRegistration.AddPolicyEditor(builder.Services, options, paths);
        if (enforcement is not null)
        {
            builder.Services.AddSingleton(enforcement);
            builder.Services.AddSingleton<IBlockSubmitter>(enforcement);
            builder.Services.AddHostedService(_ => enforcement);
        }

        if (kafka is not null)
        {
            builder.Services.AddSingleton(sp => new KafkaAlertIngest(kafka, options, sp.GetRequiredService<TriageIngest>(), metrics, sp.GetRequiredService<ILoggerFactory>(),
                sp.GetService<IBlockSubmitter>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<KafkaAlertIngest>());
        }

        builder.Services.AddProblemDetails();
        builder.Services.AddControlAuthentication(options);
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "NetSecStream control plane";
            document.Info.Description = "Triage store and control API. Authenticate with 'Authorization: Bearer <token>' (netsec control token create), or log in with POST /api/session and send X-CSRF-TOKEN on changes.";
            return Task.CompletedTask;
        }));
        configureBuilder?.Invoke(builder);

        var app = builder.Build();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.Use(RequireCsrfForCookieChanges);
        app.MapGet("/healthz", () => Results.Text("Healthy")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/readyz", (TriageStore s) => s.Ping() ? Results.Text("Healthy") : Results.Text("Unhealthy: triage store does not answer", statusCode: 503))
            .RequireAuthorization(ControlAuthentication.ViewerPolicy).WithTags("health").WithSummary("Ready when the triage store answers.");
        app.MapOpenApi("/openapi/{documentName}.json").RequireAuthorization(ControlAuthentication.ViewerPolicy);
        var api = app.MapGroup("/api");
        AlertEndpoints.Map(api);
        AdminEndpoints.Map(api);
        RuleEndpoints.Map(api);
        ModelEndpoints.Map(api);
        ModeEndpoints.Map(api);
        BlockEndpoints.Map(api);
        PolicyEndpoints.Map(api);
        // The web UI (src/NetSecStream.Control/Ui) and its read-only API additions.
        Ui.ControlUi.MapControlUi(app);
        api.MapFallback(() => Results.Problem(statusCode: 404, title: "no such endpoint", detail: "see /openapi/v1.json")).RequireAuthorization(ControlAuthentication.ViewerPolicy);
        return app;
    }

    /// <summary>
    /// A browser sends the session cookie with any request, including one a hostile page makes: a change made with the
    /// cookie needs the CSRF token too. Bearer requests carry their credential explicitly and need none.
    /// </summary>
    private static async Task RequireCsrfForCookieChanges(HttpContext context, RequestDelegate next)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method)
            && ControlAuthentication.IsCookieSession(context.User))
        {
            var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
            {
                await Results.Problem(statusCode: 400, title: "missing or invalid CSRF token",
                    detail: $"changes made with the session cookie must send the token from GET /api/session in the {ControlAuthentication.CsrfHeader} header").ExecuteAsync(context).ConfigureAwait(false);
                return;
            }
        }

        await next(context).ConfigureAwait(false);
    }
}
