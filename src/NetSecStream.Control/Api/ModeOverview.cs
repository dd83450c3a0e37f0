using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetSecStream.Control.Policies;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;
using NetSecStream.Core.Selectors;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Control.Api;

/// <summary>Who last changed a mode from the control plane, and when (from the audit log).</summary>
public sealed record ModeChange(
    [property: JsonPropertyName("by")] string By,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("action")] string Action);

public sealed record WorkloadModeView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("mode")] string? Mode,
    [property: JsonPropertyName("effective")] string Effective,
    [property: JsonPropertyName("alerts_24h")] long AlertsLastDay,
    [property: JsonPropertyName("last_seen")] DateTimeOffset? LastSeen,
    [property: JsonPropertyName("changed")] ModeChange? Changed);

public sealed record SelectorModeView(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("selector")] string Selector,
    [property: JsonPropertyName("mode")] string Mode);

/// <summary>One namespace: its own mode (null: the default applies), what applies, its alerts and its overrides.</summary>
public sealed record NamespaceModeView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("mode")] string? Mode,
    [property: JsonPropertyName("effective")] string Effective,
    [property: JsonPropertyName("alerts_24h")] long AlertsLastDay,
    [property: JsonPropertyName("last_alert")] DateTimeOffset? LastAlert,
    [property: JsonPropertyName("changed")] ModeChange? Changed,
    [property: JsonPropertyName("workloads")] IReadOnlyList<WorkloadModeView> Workloads,
    [property: JsonPropertyName("selectors")] IReadOnlyList<SelectorModeView> Selectors);

/// <summary>The namespace page's data: <c>GET /api/modes/namespaces</c>.</summary>
public sealed record NamespaceModesView(
    [property: JsonPropertyName("default")] string Default,
    [property: JsonPropertyName("default_changed")] ModeChange? DefaultChanged,
    [property: JsonPropertyName("counted_since")] DateTimeOffset CountedSince,
    [property: JsonPropertyName("namespaces")] IReadOnlyList<NamespaceModeView> Namespaces,
    [property: JsonPropertyName("cluster_selectors")] IReadOnlyList<SelectorModeView> ClusterSelectors,
    [property: JsonPropertyName("selectors_changed")] ModeChange? SelectorsChanged,
    [property: JsonPropertyName("modes_file")] string ModesFile);

/// <summary>
/// <c>GET /api/modes/namespaces</c> (viewer): every namespace the modes, the alerts or the workloads they name know of,
/// with its mode, its overrides, its alert count over the last 24 h and who changed what; <c>PUT /api/modes/selectors</c>
/// (admin) replaces the selector overrides.
/// </summary>
internal static class ModeOverview
{
    /// <summary>Workloads seen by alerts within this long are listed.</summary>
    private static readonly TimeSpan SeenWindow = TimeSpan.FromDays(7);

    private static readonly TimeSpan CountWindow = TimeSpan.FromHours(24);

    private const int MaxWorkloadsListed = 2000;

    private const int MaxSelectors = 200;

    // Mode changes are looked up among this many newest audit entries (the log grows with every triage step too).
    private const int AuditWindow = 100_000;

    public static void Map(RouteGroupBuilder modes)
    {
        modes.MapGet("/namespaces", Overview).RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("Every known namespace (from the modes, alerts and workloads seen) with its mode, overrides, alerts in the last 24 h and last change.")
            .Produces<NamespaceModesView>();
        modes.MapPut("/selectors", SetSelectorsAsync).RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("Replaces the selector overrides ({\"selectors\": [{\"namespace\"?, \"selector\": \"app=x\", \"mode\"}]}, first match wins).")
            .Produces<ModeSettings>().ProducesProblem(400);
    }

    private static IResult Overview(ModesFile file, TriageStore store, IServiceProvider services)
    {
        var settings = file.Read();
        // Workloads of the recent flows (netsec run's recent_flows window), so a namespace that raised no alert is listed too.
        var flowing = services.GetService<RecentFlows>()?.Workloads().Workloads ?? [];
        var now = DateTimeOffset.UtcNow;
        var countedSince = now - CountWindow;
        var activity = store.WorkloadActivity(now - SeenWindow, countedSince, MaxWorkloadsListed);
        var changes = new Dictionary<string, ModeChange>(StringComparer.Ordinal);
        foreach (var entry in store.RecentAudit("mode.", AuditWindow, 1000))
        {
            changes.TryAdd(entry.Target, new ModeChange(entry.Actor, entry.At, entry.Action));
        }

        var selectors = settings.Selectors.Select((s, i) => new SelectorModeView(i, s.Namespace, s.Selector ?? "", s.Mode ?? "")).ToList();
        var names = new SortedSet<string>(StringComparer.Ordinal);
        names.UnionWith(settings.Namespaces.Keys);
        names.UnionWith(settings.Workloads.Keys.Select(k => k.Split('/', 2)[0]));
        names.UnionWith(selectors.Where(s => s.Namespace is not null).Select(s => s.Namespace!));
        names.UnionWith(activity.Select(a => a.Namespace));
        names.UnionWith(flowing.Select(w => w.Namespace));

        var namespaces = new List<NamespaceModeView>(names.Count);
        foreach (string ns in names)
        {
            string? own = settings.Namespaces.GetValueOrDefault(ns);
            string effective = own ?? settings.Default;
            var seen = activity.Where(a => a.Namespace == ns).ToList();
            var workloadNames = new SortedSet<string>(StringComparer.Ordinal);
            workloadNames.UnionWith(seen.Where(a => a.Workload is not null).Select(a => a.Workload!));
            workloadNames.UnionWith(flowing.Where(w => w.Namespace == ns).Select(w => w.Name));
            workloadNames.UnionWith(settings.Workloads.Keys.Where(k => k.StartsWith(ns + "/", StringComparison.Ordinal)).Select(k => k[(ns.Length + 1)..]));
            var workloads = workloadNames.Select(w =>
            {
                var stats = seen.FirstOrDefault(a => a.Workload == w);
                string? mode = settings.Workloads.GetValueOrDefault($"{ns}/{w}");
                return new WorkloadModeView(w, mode, mode ?? effective, stats?.AlertsLastDay ?? 0, stats?.LastSeen, changes.GetValueOrDefault($"workload/{ns}/{w}"));
            }).ToList();
            namespaces.Add(new NamespaceModeView(ns, own, effective, seen.Sum(a => a.AlertsLastDay), seen.Count > 0 ? seen.Max(a => a.LastSeen) : null,
                changes.GetValueOrDefault("namespace/" + ns), workloads, [.. selectors.Where(s => s.Namespace == ns)]));
        }

        return Results.Ok(new NamespaceModesView(settings.Default, changes.GetValueOrDefault("default"), countedSince, namespaces,
            [.. selectors.Where(s => s.Namespace is null)], changes.GetValueOrDefault("selectors"), file.Path));
    }

    private static async Task<IResult> SetSelectorsAsync(HttpRequest request, ModesFile file, TriageStore store, ClaimsPrincipal user)
    {
        var (body, problem) = await Json.ReadAsync<ModeSelectorsRequest>(request).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var entries = body!.Selectors;
        if (entries is null)
        {
            errors["selectors"] = ["a list of {namespace?, selector, mode} (empty removes every selector)"];
        }
        else if (entries.Count > MaxSelectors)
        {
            errors["selectors"] = [$"at most {MaxSelectors} selectors"];
        }
        else
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                if (entry is null)
                {
                    errors[$"selectors[{i}]"] = ["null"];
                    continue;
                }

                if (entry.Namespace is not null && !ModeEndpoints.IsName(entry.Namespace, 63, allowDots: false))
                {
                    errors[$"selectors[{i}].namespace"] = [$"'{entry.Namespace}' is not a namespace name"];
                }

                if (string.IsNullOrWhiteSpace(entry.Selector) || entry.Selector.Length > 1024)
                {
                    errors[$"selectors[{i}].selector"] = ["a label selector such as app=payments,tier in (db) (at most 1024 characters)"];
                }
                else if (!LabelSelector.TryParse(entry.Selector, out var parsed, out string? error))
                {
                    errors[$"selectors[{i}].selector"] = [$"'{entry.Selector}': {error}"];
                }
                else if (parsed.IsEmpty)
                {
                    errors[$"selectors[{i}].selector"] = ["an empty selector would match every workload; set the namespace's or the default mode instead"];
                }

                if (!ModeNames.TryParse(entry.Mode, out _))
                {
                    errors[$"selectors[{i}].mode"] = [$"mode '{entry.Mode}' is not a mode (log, alert or block)"];
                }
            }
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "invalid selectors");
        }

        var normalized = entries!.Select(e => new ModeSelector(e.Namespace, e.Selector!.Trim(), ModeNames.ToName(ModeNames.TryParse(e.Mode, out var m) ? m : default))).ToList();
        var settings = file.Update(s => s.Selectors = normalized);
        store.Audit(ControlAuthentication.Actor(user), "mode.selectors", "selectors", JsonSerializer.Serialize(normalized));
        return Results.Ok(settings);
    }
}
