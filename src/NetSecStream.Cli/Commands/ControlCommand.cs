using NetSecStream.Policy.Enforcement;
using System.CommandLine;
using Microsoft.Data.Sqlite;
using NetSecStream.Control.Api;
using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Control;
using NetSecStream.Control.Ingest;
using NetSecStream.Control.Store;
using NetSecStream.Core.Telemetry;
using NetSecStream.Kafka;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec control</c>: the control plane: the triage store fed from the alerts topic (when Kafka is configured), the
/// JSON API under <c>/api</c> on <c>Control:Urls</c> (default http://127.0.0.1:8080), metrics and health on
/// <c>Metrics:Listen</c>. <c>netsec control token create</c> adds an API token to the same store;
/// <c>netsec control export-labels</c> writes triage outcomes for <c>netsec export --labels</c>.
/// </summary>
public static class ControlCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = "Address(es) the API listens on, ';'-separated. Same as --Control:Urls. Default http://127.0.0.1:8080." };
        var duration = new Option<TimeSpan?>("--duration") { Description = "Stop by itself after this long; default: until Ctrl-C." };
        var command = new Command("control", "Run the control plane: triage store (alerts from Kafka), authenticated JSON API, OpenAPI at /openapi/v1.json.") { urls, duration };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, token) => RunAsync(parse, parse.GetValue(urls), parse.GetValue(duration), token));

        var role = new Option<string>("--role") { Description = "viewer (reads), analyst (also triages) or admin (also rules, models, tokens, audit).", Required = true };
        role.AcceptOnlyFromAmong("viewer", "analyst", "admin");
        var name = new Option<string?>("--name") { Description = "Name the audit log shows for the token's changes (default: the role)." };
        var create = new Command("create", "Create an API token in the control plane's store; prints the token (shown once) as the last line.") { role, name };
        create.TreatUnmatchedTokensAsErrors = false;
        create.SetAction(parse => CreateToken(parse, parse.GetValue(role)!, parse.GetValue(name)));
        command.Subcommands.Add(new Command("token", "API tokens of the control plane.") { create });

        var output = new Option<string?>("--out", "-o") { Description = "File to write (default: standard output)." };
        var export = new Command("export-labels", "Write triage outcomes (resolved = true_positive, false_positive) as JSON lines for netsec export --labels.") { output };
        export.TreatUnmatchedTokensAsErrors = false;
        export.SetAction(parse => ExportLabels(parse, parse.GetValue(output)));
        command.Subcommands.Add(export);
        return command;
    }

    /// <summary>Binds and validates the <c>Control</c> section; throws with every problem, keys named.</summary>
    public static (ControlOptions Options, ControlPaths Paths) Options(AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new ControlOptions();
        try
        {
            settings.Configuration.GetSection(ControlOptions.Section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigurationErrorException([$"{ControlOptions.Section}: {ex.Message}"]);
        }

        var result = new ControlOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        return result.Failed
            ? throw new ConfigurationErrorException([.. result.Failures ?? [result.FailureMessage]])
            : (options, ControlPaths.Resolve(options, settings.Storage.DataDirectory));
    }

    /// <summary>
    /// The settings of <c>netsec run</c>'s pipeline when its control plane's changes are to reach it live
    /// (<c>Control:LiveUpdates</c>, on by default): the signature detector follows <see cref="ControlPaths.RulesDirectory"/>,
    /// the behaviour detector <see cref="ControlPaths.ModelsFile"/>, modes <see cref="ControlPaths.ModesFile"/>. They go
    /// under every other source, so a key the operator set explicitly keeps its value.
    /// </summary>
    public static AppSettings FollowedBy(AppSettings settings, ControlOptions options, ControlPaths paths)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        if (!options.LiveUpdates)
        {
            return settings;
        }

        var follow = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Detectors:Signatures:ControlDirectory"] = paths.RulesDirectory,
            ["Detectors:Behaviour:ModelsFile"] = paths.ModelsFile,
            [$"{Pipeline.Decide.ModeOptions.Section}:File"] = paths.ModesFile,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(follow).AddConfiguration(settings.Configuration, shouldDisposeConfiguration: false).Build();

        // Detector sections are bound (and validated) when the pipeline is built; the modes were bound at load, so again here.
        var modes = new Pipeline.Decide.ModeOptions();
        configuration.GetSection(Pipeline.Decide.ModeOptions.Section).Bind(modes);
        var result = new Pipeline.Decide.ModeOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, modes);
        return result.Failed
            ? throw new ConfigurationErrorException([.. result.Failures ?? [result.FailureMessage]])
            : settings with { Configuration = configuration, Modes = modes };
    }

    /// <summary>
    /// Builds and starts the control plane's web server; a bind failure or an unusable store becomes a
    /// <see cref="ConfigurationErrorException"/> naming the key to change.
    /// </summary>
    public static async Task<WebApplication> StartAsync(AppSettings settings, ControlOptions options, ControlPaths paths, NetSecMetrics metrics, KafkaOptions? kafka,
        EnforcementService? enforcement = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        WebApplication app;
        try
        {
            app = ControlServer.Build(options, paths, settings.Configuration, metrics, kafka, enforcement: enforcement);
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationErrorException([$"Control:Database: the triage store {paths.Database} cannot be opened: {ex.Message}"]);
        }

        try
        {
            await app.StartAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new ConfigurationErrorException([$"Control:Urls '{options.Urls}': cannot listen ({ex.Message}); choose another address with --Control:Urls (port 0 picks a free one) or turn the control plane off with --Control:Enabled=false"]);
        }

        return app;
    }

    /// <summary>The addresses the server really listens on (port 0 resolved).</summary>
    public static string Addresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses;
        return addresses is { Count: > 0 } ? string.Join(", ", addresses) : "?";
    }

    private static async Task<int> RunAsync(ParseResult parse, string? urls, TimeSpan? duration, CancellationToken token)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (urls is not null)
        {
            values["Control:Urls"] = urls;
        }

        var settings = NetSecCli.LoadSettings(parse, values);
        if (settings is null)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        using var stopCts = CancellationTokenSource.CreateLinkedTokenSource(token);
        if (duration is { } limit)
        {
            stopCts.CancelAfter(limit);
        }

        await using var host = RoleHost.Build(settings);
        var metrics = host.Services.GetRequiredService<NetSecMetrics>();
        WebApplication control;
        try
        {
            var (options, paths) = Options(settings);
            KafkaOptions? kafka = null;
            if (options.ConsumeKafka && !string.IsNullOrWhiteSpace(settings.Configuration["Kafka:BootstrapServers"]))
            {
                kafka = PipelineAssembler.KafkaOptionsFor(settings);
            }

            // The control plane is the only writer of block rules: block-mode alerts from the alerts topic go to the sync
            // (netsec run has its own policy_sync sink instead, so a block is never written twice).
            var enforcementOptions = PipelineAssembler.EnforcementOptionsFor(settings);
            var enforcement = enforcementOptions.Enabled
                ? EnforcementService.Create(enforcementOptions, metrics, host.Services.GetRequiredService<ILoggerFactory>(), TimeProvider.System)
                : null;
            control = await StartAsync(settings, options, paths, metrics, kafka, enforcement).ConfigureAwait(false);
            Console.Error.WriteLine($"[netsec] control plane on {Addresses(control)} (API /api, OpenAPI /openapi/v1.json); triage store {paths.Database}"
                + (kafka is null ? "; no Kafka:BootstrapServers, so alerts arrive only from netsec run" : $"; consuming {kafka.AlertsTopic} as group {options.KafkaGroupId}")
                + (enforcement is null ? "" : $"; enforcing blocks to {string.Join(", ", enforcement.Targets.Select(t => t.Name))}{(enforcementOptions.DryRun ? " (dry run)" : "")}"));
        }
        catch (ConfigurationErrorException ex)
        {
            Console.Error.WriteLine("netsec control: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        await using (control.ConfigureAwait(false))
        {
            var store = control.Services.GetRequiredService<TriageStore>();
            host.Services.GetRequiredService<ReadinessCheck>().Probe = () => (store.Ping(), $"triage store {store.Path}");
            await RoleHost.StartEndpointsAsync(host, settings).ConfigureAwait(false);
            // The web host stops itself when the Kafka consumer fails (the store refused a batch, a fatal Kafka error).
            using var stopping = control.Lifetime.ApplicationStopping.Register(stopCts.Cancel);
            try
            {
                await Task.Delay(Timeout.Infinite, stopCts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C, --duration or the host stopping.
            }

            await control.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await RoleHost.StopEndpointsAsync(host, settings).ConfigureAwait(false);
            Console.Error.WriteLine($"[netsec] control plane stopped: {control.Services.GetRequiredService<TriageIngest>().Stored:N0} alerts stored this run");
            if (control.Services.GetService<KafkaAlertIngest>()?.ExecuteTask is { IsFaulted: true } failed)
            {
                Console.Error.WriteLine("netsec control: the alerts consumer stopped, nothing after the last stored batch was committed: " + failed.Exception?.GetBaseException().Message);
                return NetSecCli.RuntimeErrorExitCode;
            }
        }

        return 0;
    }

    private static TriageStore? OpenStore(ParseResult parse, string command)
    {
        var settings = NetSecCli.LoadSettings(parse);
        if (settings is null)
        {
            return null;
        }

        try
        {
            var (_, paths) = Options(settings);
            var store = new TriageStore(paths.Database);
            store.Open();
            return store;
        }
        catch (ConfigurationErrorException ex)
        {
            Console.Error.WriteLine($"netsec control {command}: {ex.Message}");
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"netsec control {command}: the triage store cannot be opened: {ex.Message}");
        }

        return null;
    }

    private static int CreateToken(ParseResult parse, string roleName, string? name)
    {
        name ??= roleName;
        if (!TokenNames.IsValid(name))
        {
            Console.Error.WriteLine("netsec control token create: --name: " + TokenNames.Rule);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (OpenStore(parse, "token create") is not { } store || !ControlRoles.TryParse(roleName, out var role))
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        var (info, secret) = store.CreateToken(role, name, "cli:" + Environment.UserName);
        Console.Error.WriteLine($"[netsec] token {info.Id} '{info.Name}' ({info.Role}) created in {store.Path}; it is shown once:");
        Console.WriteLine(secret);
        SqliteConnection.ClearAllPools();
        return 0;
    }

    private static int ExportLabels(ParseResult parse, string? output)
    {
        if (OpenStore(parse, "export-labels") is not { } store)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        long lines;
        if (output is null)
        {
            lines = store.ExportLabels(Console.Out);
        }
        else
        {
            using var writer = new StreamWriter(output, append: false, new System.Text.UTF8Encoding(false));
            lines = store.ExportLabels(writer);
        }

        Console.Error.WriteLine($"[netsec] {lines:N0} triage outcomes written{(output is null ? "" : " to " + output)}");
        SqliteConnection.ClearAllPools();
        return 0;
    }
}
