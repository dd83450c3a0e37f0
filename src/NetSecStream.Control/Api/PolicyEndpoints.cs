using System.Diagnostics;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using NetSecStream.Control.Policies;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;
using NetSecStream.Policy.Audit;
using NetSecStream.Policy.Backtest;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Editor;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Policy.Model;
using NetSecStream.Policy.Parsing;

namespace NetSecStream.Control.Api;

public sealed record PolicyText([property: JsonPropertyName("yaml")] string? Yaml);

public sealed record PlanRequest([property: JsonPropertyName("yaml")] string? Yaml, [property: JsonPropertyName("replaces")] string? Replaces);

/// <summary>A policy as the list shows it.</summary>
public sealed record PolicyInfo(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("updated")] DateTimeOffset Updated,
    [property: JsonPropertyName("updated_by")] string UpdatedBy,
    [property: JsonPropertyName("applied_at")] DateTimeOffset? AppliedAt,
    [property: JsonPropertyName("applied_by")] string? AppliedBy)
{
    public static PolicyInfo Of(StoredPolicy p) => new(p.Id, p.Kind, p.Namespace, p.Name, p.State, p.Updated, p.UpdatedBy, p.AppliedAt, p.AppliedBy);
}

public sealed record PolicyList([property: JsonPropertyName("items")] IReadOnlyList<PolicyInfo> Items, [property: JsonPropertyName("applied_directory")] string AppliedDirectory);

public sealed record PolicyDetail(
    [property: JsonPropertyName("policy")] PolicyInfo Policy,
    [property: JsonPropertyName("yaml")] string Yaml,
    [property: JsonPropertyName("applied_yaml")] string? AppliedYaml,
    [property: JsonPropertyName("applied_path")] string? AppliedPath,
    [property: JsonPropertyName("enforcement_errors")] IReadOnlyList<string>? EnforcementErrors = null);

public sealed record DiagnosticView(
    [property: JsonPropertyName("line")] int Line,
    [property: JsonPropertyName("column")] int? Column,
    [property: JsonPropertyName("severity")] string Severity,
    [property: JsonPropertyName("message")] string Message);

public sealed record SummaryView(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("endpoint_selector")] string EndpointSelector,
    [property: JsonPropertyName("rules")] IReadOnlyList<string> Rules);

public sealed record WorkloadName([property: JsonPropertyName("namespace")] string Namespace, [property: JsonPropertyName("name")] string Name);

public sealed record PeerView(
    [property: JsonPropertyName("direction")] string Direction,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("workload")] string Workload,
    [property: JsonPropertyName("line")] int Line,
    [property: JsonPropertyName("deny")] bool Deny);

public sealed record SelectionView(
    [property: JsonPropertyName("selected")] IReadOnlyList<WorkloadName> Selected,
    [property: JsonPropertyName("peers")] IReadOnlyList<PeerView> Peers,
    [property: JsonPropertyName("other_peers")] IReadOnlyList<string> OtherPeers,
    [property: JsonPropertyName("workloads_known")] int WorkloadsKnown);

public sealed record ValidationView(
    [property: JsonPropertyName("valid")] bool Valid,
    [property: JsonPropertyName("diagnostics")] IReadOnlyList<DiagnosticView> Diagnostics,
    [property: JsonPropertyName("policies")] IReadOnlyList<SummaryView> Policies,
    [property: JsonPropertyName("form")] PolicyForm? Form,
    [property: JsonPropertyName("form_note")] string? FormNote,
    [property: JsonPropertyName("selection")] SelectionView Selection);

public sealed record WorkloadEntryView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("labels")] IReadOnlyDictionary<string, string> Labels);

public sealed record NamespaceView([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("workloads")] IReadOnlyList<WorkloadEntryView> Workloads);

public sealed record WorkloadsView(
    [property: JsonPropertyName("namespaces")] IReadOnlyList<NamespaceView> Namespaces,
    [property: JsonPropertyName("flows")] int Flows,
    [property: JsonPropertyName("workloads_seen")] int WorkloadsSeen,
    [property: JsonPropertyName("truncated")] bool Truncated);

public sealed record PlanEntryView(
    [property: JsonPropertyName("policy")] string Policy,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("denied")] long Denied,
    [property: JsonPropertyName("not_evaluated")] long NotEvaluated,
    [property: JsonPropertyName("examples")] IReadOnlyList<PlanExample> Examples);

public sealed record PlanView(
    [property: JsonPropertyName("window_flows")] int WindowFlows,
    [property: JsonPropertyName("window_capacity")] int WindowCapacity,
    [property: JsonPropertyName("window_loading")] bool WindowLoading,
    [property: JsonPropertyName("oldest")] DateTimeOffset? Oldest,
    [property: JsonPropertyName("newest")] DateTimeOffset? Newest,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("judged")] long Judged,
    [property: JsonPropertyName("allowed")] long Allowed,
    [property: JsonPropertyName("denied")] long Denied,
    [property: JsonPropertyName("not_evaluated")] long NotEvaluated,
    [property: JsonPropertyName("not_selected")] long NotSelected,
    [property: JsonPropertyName("newly_denied")] long NewlyDenied,
    [property: JsonPropertyName("newly_allowed")] long NewlyAllowed,
    [property: JsonPropertyName("newly_denied_examples")] IReadOnlyList<PlanExample> NewlyDeniedExamples,
    [property: JsonPropertyName("newly_allowed_examples")] IReadOnlyList<PlanExample> NewlyAllowedExamples,
    [property: JsonPropertyName("entries")] IReadOnlyList<PlanEntryView> Entries,
    [property: JsonPropertyName("policies_in_force")] int PoliciesInForce,
    [property: JsonPropertyName("elapsed_ms")] double ElapsedMs);

/// <summary>
/// <c>/api/policies</c>: the policy editor. Viewers read, analysts validate and plan, admins save, apply and delete.
/// Applying writes the policy to the applied folder and, when enforcement runs in this process, to its targets.
/// </summary>
internal static class PolicyEndpoints
{
    private const string EditorFile = "policy.yaml";

    public static void Map(RouteGroupBuilder api)
    {
        var policies = api.MapGroup("/policies").WithTags("policies");
        policies.MapGet("/", (PolicyStore store) => Results.Ok(new PolicyList([.. store.List().Select(PolicyInfo.Of)], store.AppliedDirectory)))
            .RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("The editor's policies: id, kind, namespace, name, state (draft | applied), who changed them and when.").Produces<PolicyList>();
        policies.MapGet("/{id}", (string id, PolicyStore store) => Known(id, store, out var policy) ?? Results.Ok(Detail(policy!, store)))
            .RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("One policy with its YAML (and the text in force, when applied).").Produces<PolicyDetail>().ProducesProblem(404);
        policies.MapPost("/validate", ValidateAsync).RequireAuthorization(ControlAuthentication.AnalystPolicy)
            .WithSummary("Parses {\"yaml\"}: diagnostics by line, the policy in words, its form view, and which known workloads it selects and admits. Cheap enough for every keystroke.")
            .Produces<ValidationView>().ProducesProblem(400).ProducesProblem(413);
        policies.MapPost("/plan", PlanAsync).RequireAuthorization(ControlAuthentication.AnalystPolicy)
            .WithSummary("Backtests {\"yaml\", \"replaces\"?} on the recent flows on top of the applied policies: allowed, denied, not evaluated, not selected, and what the change newly denies.")
            .Produces<PlanView>().ProducesProblem(400).ProducesProblem(413);
        policies.MapPost("/", SaveAsync).RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("Creates or updates the draft of the policy in {\"yaml\"} (its id is kind, namespace and name); YAML with errors is refused with its diagnostics.")
            .Produces<PolicyDetail>(201).Produces<PolicyDetail>().ProducesProblem(400).ProducesProblem(409).ProducesProblem(413);
        policies.MapPost("/{id}/apply", ApplyAsync).RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("Applies the latest text: writes it to the applied folder and, when enforcement runs here, to its targets.")
            .Produces<PolicyDetail>().ProducesProblem(404);
        policies.MapDelete("/{id}", DeleteAsync).RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("Deletes a policy, its applied file and (when enforcement runs here) the object in its targets.")
            .Produces<PolicyInfo>().ProducesProblem(404);
        api.MapGet("/workloads", (RecentFlows window) => Results.Ok(Workloads(window))).RequireAuthorization(ControlAuthentication.ViewerPolicy).WithTags("policies")
            .WithSummary("Namespaces and workloads (with their labels) seen in the recent flows, for the policy editor's picture.").Produces<WorkloadsView>();
    }

    private static IResult? Known(string id, PolicyStore store, out StoredPolicy? policy)
    {
        policy = PolicyStore.IsId(id) ? store.Get(id) : null;
        return policy is null ? Results.Problem(statusCode: 404, title: "no such policy", detail: $"no policy has the id '{id}'") : null;
    }

    private static PolicyDetail Detail(StoredPolicy policy, PolicyStore store, IReadOnlyList<string>? errors = null) =>
        new(PolicyInfo.Of(policy), policy.Yaml, policy.AppliedYaml, policy.AppliedYaml is null ? null : store.AppliedPath(policy.Id), errors);

    /// <summary>Reads <c>{"yaml": ...}</c> and parses it; the problem answers a missing, oversized or unparseable body.</summary>
    private static async Task<(T? Body, string? Yaml, PolicyParseResult? Parsed, IResult? Problem)> ReadPolicyAsync<T>(HttpRequest request, ControlOptions options, Func<T, string?> yamlOf)
        where T : class
    {
        var (body, problem) = await Json.ReadAsync<T>(request).ConfigureAwait(false);
        if (problem is not null)
        {
            return (null, null, null, problem);
        }

        string? yaml = yamlOf(body!);
        if (string.IsNullOrWhiteSpace(yaml))
        {
            return (null, null, null, Results.ValidationProblem(new Dictionary<string, string[]> { ["yaml"] = ["the policy's YAML is required"] }, title: "invalid policy"));
        }

        if (Encoding.UTF8.GetByteCount(yaml) > options.Policies.MaxPolicyBytes)
        {
            return (null, null, null, Results.Problem(statusCode: 413, title: "policy too large", detail: $"a policy may be at most {options.Policies.MaxPolicyBytes} bytes (Control:Policies:MaxPolicyBytes)"));
        }

        return (body, yaml, PolicyParser.ParseText(yaml, EditorFile), null);
    }

    private static List<DiagnosticView> Diagnostics(PolicyParseResult parsed) =>
        [.. parsed.Diagnostics.OrderBy(d => d.Line).Select(d => new DiagnosticView(d.Line, null, d.Severity == DiagnosticSeverity.Error ? "error" : "warning", d.Message))];

    private static IResult HasErrors(PolicyParseResult parsed) =>
        Results.Problem(statusCode: 400, title: "the policy has errors", detail: string.Join("; ", parsed.Errors.Take(5).Select(d => $"line {d.Line}: {d.Message}")),
            extensions: new Dictionary<string, object?> { ["diagnostics"] = Diagnostics(parsed) });

    /// <summary>The one policy a saved document must hold (a Cilium policy's several specs count as one).</summary>
    private static (List<PolicyDefinition>? Definitions, IResult? Problem) OnePolicy(PolicyParseResult parsed)
    {
        var groups = parsed.Policies.GroupBy(p => (p.Kind, p.FullName)).ToList();
        if (groups.Count != 1)
        {
            return (null, Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["yaml"] = [groups.Count == 0 ? "the document holds no policy" : $"the document holds {groups.Count} policies; the editor keeps one per document"],
            }, title: "invalid policy"));
        }

        var definitions = groups[0].ToList();
        return PolicyStore.IdOf(definitions[0]) is null
            ? (null, Results.ValidationProblem(new Dictionary<string, string[]> { ["yaml"] = ["metadata.name and metadata.namespace must be Kubernetes names (lowercase letters, digits, '-' and '.')"] }, title: "invalid policy"))
            : (definitions, null);
    }

    private static async Task<IResult> ValidateAsync(HttpRequest request, ControlOptions options, RecentFlows window)
    {
        var (_, _, parsed, problem) = await ReadPolicyAsync<PolicyText>(request, options, b => b.Yaml).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var summaries = new List<SummaryView>(parsed!.Policies.Count);
        foreach (var policy in parsed.Policies)
        {
            var s = PolicyInsight.Summarise(policy);
            summaries.Add(new SummaryView(PolicyStore.IdOf(policy), s.Kind, s.Name, s.Namespace, s.EndpointSelector, s.Rules));
        }

        var (form, note) = PolicyForm.From(parsed.Policies);
        var workloads = window.Workloads();
        var selection = PolicyInsight.Select(parsed.Policies, workloads.Workloads);
        return Results.Ok(new ValidationView(!parsed.HasErrors && parsed.Policies.Count > 0, Diagnostics(parsed), summaries, form, note,
            new SelectionView([.. selection.Selected.Select(w => new WorkloadName(w.Namespace, w.Name))],
                [.. selection.Peers.Select(p => new PeerView(p.Direction, p.Namespace, p.Workload, p.Line, p.Deny))], selection.OtherPeers, workloads.Workloads.Count)));
    }

    private static async Task<IResult> PlanAsync(HttpRequest request, ControlOptions options, RecentFlows window, PolicyStore store, IServiceProvider services)
    {
        var (body, _, parsed, problem) = await ReadPolicyAsync<PlanRequest>(request, options, b => b.Yaml).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (parsed!.HasErrors)
        {
            return HasErrors(parsed);
        }

        if (body!.Replaces is { } replaces && (!PolicyStore.IsId(replaces) || store.Get(replaces) is null))
        {
            return Results.Problem(statusCode: 404, title: "no such policy", detail: $"'replaces' names no policy: '{replaces}'");
        }

        var candidateIds = parsed.Policies.Select(PolicyStore.IdOf).Where(id => id is not null).ToHashSet(StringComparer.Ordinal);
        var baseline = new List<PolicyDefinition>();
        var candidate = new List<PolicyDefinition>(parsed.Policies);
        var stored = store.List();
        var appliedIds = stored.Where(p => p.AppliedYaml is not null).Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var (configured, configuredNote) = ConfiguredPolicies(services.GetRequiredService<IConfiguration>(), store);
        foreach (var policy in configured)
        {
            // The editor's applied copy of a policy (same kind, namespace and name) is the one in force.
            string? id = PolicyStore.IdOf(policy);
            if (id is not null && appliedIds.Contains(id))
            {
                continue;
            }

            baseline.Add(policy);
            if (id is null || (id != body.Replaces && !candidateIds.Contains(id)))
            {
                candidate.Add(policy);
            }
        }

        foreach (var applied in stored.Where(p => p.AppliedYaml is not null))
        {
            var definitions = PolicyParser.ParseText(applied.AppliedYaml!, applied.Id + ".yaml").Policies;
            baseline.AddRange(definitions);
            if (applied.Id != body.Replaces && !candidateIds.Contains(applied.Id))
            {
                candidate.AddRange(definitions);
            }
        }

        bool loading = services.GetService<RecentFlowsLoader>() is { Done: false };
        var flows = window.Snapshot();
        if (flows.Length == 0)
        {
            string message = loading
                ? "The recent-flows window is still loading Control:Backtest:Paths; plan again in a moment."
                : "No recent flows to plan against: the window fills from the pipeline in netsec run, or from Control:Backtest:Paths (Hubble JSON lines) at start.";
            return Results.Ok(new PlanView(0, window.Capacity, loading, null, null, message, 0, 0, 0, 0, 0, 0, 0, [], [], [], baseline.Count, 0));
        }

        await window.PlanGate.WaitAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        PolicyImpactReport report;
        var clock = Stopwatch.StartNew();
        try
        {
            var impact = new PolicyImpact(baseline, candidate, options.Backtest.PlanExamples);
            foreach (var flow in flows)
            {
                impact.Add(flow);
            }

            report = impact.Finish();
        }
        finally
        {
            window.PlanGate.Release();
        }

        var plan = report.Plan;
        string? note = loading ? "The window is still loading Control:Backtest:Paths: these counts cover part of it." : null;
        if (configuredNote is not null)
        {
            note = note is null ? configuredNote : note + " " + configuredNote;
        }

        return Results.Ok(new PlanView(flows.Length, window.Capacity, loading, flows.Min(f => f.Timestamp), flows.Max(f => f.Timestamp), note,
            plan.Flows - plan.Skipped, plan.Allowed, plan.Denied, plan.NotEvaluated, plan.NotSelected, report.NewlyDenied, report.NewlyAllowed,
            report.NewlyDeniedExamples, report.NewlyAllowedExamples,
            [.. plan.Entries.Take(50).Select(e => new PlanEntryView(e.Policy, e.Namespace, e.Denied, e.NotEvaluated,
                [.. e.Examples.Concat(e.NotEvaluatedExamples).Take(options.Backtest.PlanExamples)]))],
            baseline.Count, clock.Elapsed.TotalMilliseconds));
    }

    /// <summary>
    /// The policies the policy detector is configured with (<c>Detectors:Policy:Paths</c>), but for the applied folder,
    /// whose files the store already holds: they are in force too, so a plan counts them. A file that is missing or has
    /// errors leaves its policies out, and the plan says so.
    /// </summary>
    private static (List<PolicyDefinition> Policies, string? Note) ConfiguredPolicies(IConfiguration configuration, PolicyStore store)
    {
        var paths = configuration.GetSection(PolicyAuditOptions.Section + ":Paths").GetChildren().Select(c => c.Value).OfType<string>()
            .Where(p => !string.IsNullOrWhiteSpace(p) && !IsWithin(Path.GetFullPath(p), store.AppliedDirectory))
            .ToList();
        if (paths.Count == 0)
        {
            return ([], null);
        }

        try
        {
            var files = PolicyLoader.ResolveFiles(paths).Where(f => !IsWithin(Path.GetFullPath(f), store.AppliedDirectory)).ToList();
            var loaded = PolicyLoader.Load(files);
            return (loaded.Policies, loaded.HasErrors
                ? $"{loaded.Errors.Count()} errors in Detectors:Policy:Paths (first: {loaded.Errors.First()}); the policies with errors are left out."
                : null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ([], $"Detectors:Policy:Paths could not be read ({ex.Message}); only the editor's applied policies are counted.");
        }
    }

    private static bool IsWithin(string path, string directory) =>
        path.Equals(directory, StringComparison.Ordinal) || path.StartsWith(directory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static async Task<IResult> SaveAsync(HttpRequest request, ControlOptions options, PolicyStore store, TriageStore triage, ClaimsPrincipal user)
    {
        var (_, yaml, parsed, problem) = await ReadPolicyAsync<PolicyText>(request, options, b => b.Yaml).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (parsed!.HasErrors)
        {
            return HasErrors(parsed);
        }

        var (definitions, invalid) = OnePolicy(parsed);
        if (invalid is not null)
        {
            return invalid;
        }

        string actor = ControlAuthentication.Actor(user);
        var (saved, created) = store.Save(definitions![0], yaml!, actor);
        if (saved is null)
        {
            return Results.Problem(statusCode: 409, title: "too many policies", detail: $"the editor keeps at most {options.Policies.MaxPolicies} policies (Control:Policies:MaxPolicies); delete one first");
        }

        triage.Audit(actor, created ? "policy.create" : "policy.update", "policy/" + saved.Id,
            JsonSerializer.Serialize(new Dictionary<string, string> { ["kind"] = saved.Kind, ["name"] = saved.Name, ["namespace"] = saved.Namespace ?? "" }));
        var detail = Detail(saved, store);
        return created ? Results.Created($"/api/policies/{saved.Id}", detail) : Results.Ok(detail);
    }

    private static async Task<IResult> ApplyAsync(string id, PolicyStore store, TriageStore triage, ClaimsPrincipal user, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (Known(id, store, out var policy) is { } missing)
        {
            return missing;
        }

        string actor = ControlAuthentication.Actor(user);
        var applied = store.MarkApplied(id, actor)!;
        IReadOnlyList<string>? errors = null;
        if (services.GetService<EnforcementService>() is { } enforcement)
        {
            string json = PolicyYaml.ToJson(applied.Yaml)?.ToJsonString() ?? "{}";
            errors = await enforcement.ApplyDocumentAsync(new PolicyDocument(PolicyResource.For(applied.PolicyKind), applied.Namespace, applied.Name, json), actor, cancellationToken)
                .ConfigureAwait(false);
        }

        triage.Audit(actor, "policy.apply", "policy/" + id, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["path"] = store.AppliedPath(id),
            ["replaced_applied"] = policy!.AppliedYaml is not null,
            ["enforcement_errors"] = errors ?? [],
        }));
        return Results.Ok(Detail(applied, store, errors));
    }

    private static async Task<IResult> DeleteAsync(string id, PolicyStore store, TriageStore triage, ClaimsPrincipal user, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (Known(id, store, out _) is { } missing)
        {
            return missing;
        }

        string actor = ControlAuthentication.Actor(user);
        var deleted = store.Delete(id);
        if (deleted is null)
        {
            return Results.Problem(statusCode: 404, title: "no such policy", detail: $"no policy has the id '{id}'");
        }

        IReadOnlyList<string> errors = [];
        if (deleted.AppliedYaml is not null && services.GetService<EnforcementService>() is { } enforcement)
        {
            errors = await enforcement.DeleteDocumentAsync(PolicyResource.For(deleted.PolicyKind), deleted.Namespace, deleted.Name, actor, cancellationToken).ConfigureAwait(false);
        }

        triage.Audit(actor, "policy.delete", "policy/" + id, JsonSerializer.Serialize(new Dictionary<string, object?> { ["was_applied"] = deleted.AppliedYaml is not null, ["enforcement_errors"] = errors }));
        return Results.Ok(PolicyInfo.Of(deleted));
    }

    private static WorkloadsView Workloads(RecentFlows window)
    {
        var view = window.Workloads();
        var namespaces = view.Workloads.GroupBy(w => w.Namespace, StringComparer.Ordinal)
            .Select(g => new NamespaceView(g.Key, [.. g.Select(w => new WorkloadEntryView(w.Name, w.Labels))]))
            .ToList();
        return new WorkloadsView(namespaces, view.Flows, view.Seen, view.Seen > view.Workloads.Count);
    }
}
