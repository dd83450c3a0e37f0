using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;
using NetSecStream.Core.Ecs;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Enforcement;

namespace NetSecStream.Control.Api;

/// <summary>One block rule the enforcement sync holds, as the API shows it.</summary>
public sealed record BlockView(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("peer")] string Peer,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("expires")] DateTimeOffset Expires,
    [property: JsonPropertyName("repeat_count")] int RepeatCount)
{
    /// <summary>The same in every target: what <c>DELETE /api/blocks/{id}</c> takes.</summary>
    [JsonPropertyName("id")]
    public string Id { get; init; } = "";

    [JsonPropertyName("alert_id")]
    public string? AlertId { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    /// <summary>Who made it from the control plane; null for blocks the pipeline made.</summary>
    [JsonPropertyName("actor")]
    public string? Actor { get; init; }

    public static BlockView From(ActiveBlock b) => new(b.Target, b.Resource.Kind, b.Namespace, b.Name, b.PeerKey, b.Created, b.Expires, b.RepeatCount)
    {
        Id = b.Id,
        AlertId = b.AlertId,
        Reason = b.Reason,
        Actor = b.Actor,
    };
}

/// <summary>
/// <c>POST /api/blocks</c> and <c>POST /api/blocks/preview</c>: block a source now. Either <c>alert_id</c> (the alert's
/// offender and the workload it hit) or <c>source</c> with the workload to protect (<c>namespace</c> and <c>labels</c>,
/// or <c>workload</c>, whose labels are read from the newest alert that named it).
/// </summary>
public sealed record BlockCreateRequest(
    [property: JsonPropertyName("alert_id")] string? AlertId,
    [property: JsonPropertyName("source")] string? Source,
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("workload")] string? Workload,
    [property: JsonPropertyName("labels")] Dictionary<string, string>? Labels,
    [property: JsonPropertyName("ttl_seconds")] long? TtlSeconds,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>What a block would be or is: the protected workload, the direction and the offender.</summary>
public sealed record BlockPlanView(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("labels")] IReadOnlyDictionary<string, string> Labels,
    [property: JsonPropertyName("direction")] string Direction,
    [property: JsonPropertyName("peer")] string Peer,
    [property: JsonPropertyName("id")] string Id)
{
    public static BlockPlanView From(BlockPlan plan) => new(plan.Target.Namespace, plan.Target.Labels,
        plan.Direction == BlockDirection.Ingress ? "ingress" : "egress", plan.Peer.Key, plan.Hash);
}

/// <summary>The answer of <c>POST /api/blocks/preview</c>: whether the block would be made, and if not why.</summary>
public sealed record BlockPreview(
    [property: JsonPropertyName("allowed")] bool Allowed,
    [property: JsonPropertyName("plan")] BlockPlanView? Plan,
    [property: JsonPropertyName("expires")] DateTimeOffset? Expires,
    [property: JsonPropertyName("refusal")] string? Refusal,
    [property: JsonPropertyName("detail")] string? Detail);

/// <summary>The answer of <c>POST</c> and <c>DELETE /api/blocks</c>.</summary>
public sealed record BlockChange(
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("plan")] BlockPlanView? Plan,
    [property: JsonPropertyName("blocks")] IReadOnlyList<BlockView> Blocks);

public sealed record BlockRevokeRequest([property: JsonPropertyName("reason")] string? Reason);

/// <summary>
/// Block rules: <c>GET /api/blocks</c> (viewer) lists them; <c>POST /api/blocks</c> blocks a source now,
/// <c>POST /api/blocks/preview</c> says what that would do, <c>DELETE /api/blocks/{id}</c> revokes (admin). All go
/// through the enforcement sync of this process (the same one <c>netsec run</c>'s pipeline feeds), with its allowlist,
/// rate limit and audit log; when enforcement is off, reads answer 404 and changes 409.
/// </summary>
internal static class BlockEndpoints
{
    public const int MaxReasonLength = 500;

    /// <summary>How long a change waits for the sync (behind the alerts queued before it, and the API's retries).</summary>
    private static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(1);

    public static void Map(RouteGroupBuilder api)
    {
        var blocks = api.MapGroup("/blocks").WithTags("blocks");
        blocks.MapGet("/", (IServiceProvider services) =>
            {
                var enforcement = services.GetService<EnforcementService>();
                if (enforcement is null)
                {
                    return Results.Problem(statusCode: 404, title: "Enforcement is off",
                        detail: "This control plane was started without Enforcement:Enabled; no block rules are synced.");
                }

                return Results.Ok(enforcement.ActiveBlocks.OrderBy(b => b.Expires).Select(BlockView.From).ToList());
            })
            .RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("Block rules in force, soonest expiry first.")
            .Produces<List<BlockView>>().ProducesProblem(404);
        blocks.MapPost("/", CreateAsync)
            .RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("Blocks a source now ({alert_id} or {source, namespace, labels | workload}; ttl_seconds default 3600, at most Enforcement:MaxTtl; reason).")
            .Produces<BlockChange>(201).Produces<BlockChange>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422).ProducesProblem(429)
            .ProducesProblem(502);
        blocks.MapPost("/preview", PreviewAsync)
            .RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("What POST /api/blocks would block for this body, or why it would refuse (allowlist); changes nothing.")
            .Produces<BlockPreview>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        blocks.MapDelete("/{id}", RevokeAsync)
            .RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("Revokes a block: deletes its rule from every target now (optional body {reason}).")
            .Produces<BlockChange>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(502);
    }

    private static IResult EnforcementOff() => Results.Problem(statusCode: 409, title: "Enforcement is off",
        detail: "This control plane was started without Enforcement:Enabled; it cannot make or revoke blocks.");

    private static async Task<IResult> PreviewAsync(HttpRequest request, IServiceProvider services, TriageStore store, ClaimsPrincipal user)
    {
        if (services.GetService<EnforcementService>() is not { } enforcement)
        {
            return EnforcementOff();
        }

        var (explicitRequest, problem) = await ReadAsync(request, store, user).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (plan, refusal) = enforcement.PlanExplicit(explicitRequest!);
        return Results.Ok(plan is null
            ? new BlockPreview(false, null, null, refusal!.Reason, refusal.Detail)
            : new BlockPreview(true, BlockPlanView.From(plan), DateTimeOffset.UtcNow + explicitRequest!.Ttl, null, null));
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IServiceProvider services, TriageStore store, ClaimsPrincipal user)
    {
        if (services.GetService<EnforcementService>() is not { } enforcement)
        {
            return EnforcementOff();
        }

        var (explicitRequest, problem) = await ReadAsync(request, store, user).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        ExplicitResult result;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted))
        {
            wait.CancelAfter(ChangeTimeout);
            try
            {
                result = await enforcement.BlockNowAsync(explicitRequest!, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Results.Problem(statusCode: 504, title: "block still queued",
                    detail: $"the enforcement sync did not get to it within {ChangeTimeout.TotalSeconds:0} s; it is still queued (see GET /api/blocks)");
            }
        }

        var change = new BlockChange(Name(result.Outcome), result.Detail, result.Plan is null ? null : BlockPlanView.From(result.Plan),
            [.. result.Blocks.Select(BlockView.From)]);
        switch (result.Outcome)
        {
            case ExplicitOutcome.Applied:
            case ExplicitOutcome.AlreadyHeld:
                store.Audit(ControlAuthentication.Actor(user), "block.create", result.Plan!.Hash, JsonSerializer.Serialize(new Dictionary<string, string?>
                {
                    ["peer"] = result.Plan.Peer.Key,
                    ["target"] = result.Plan.Target.Key,
                    ["alert_id"] = explicitRequest!.Alert?.Id,
                    ["ttl_seconds"] = ((long)explicitRequest.Ttl.TotalSeconds).ToString(CultureInfo.InvariantCulture),
                    ["outcome"] = change.Outcome,
                }));
                return result.Outcome == ExplicitOutcome.Applied ? Results.Json(change, statusCode: 201) : Results.Ok(change);
            case ExplicitOutcome.Refused:
                return Results.Problem(statusCode: 422, title: result.RefusalReason is BlockRefusal.AllowlistedPeer or BlockRefusal.AllowlistedTarget
                        ? "refused: allowlisted" : "refused: no block can be made", detail: result.Detail,
                    extensions: new Dictionary<string, object?> { ["refusal"] = result.RefusalReason });
            case ExplicitOutcome.InvalidTtl:
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["ttl_seconds"] = [result.Detail] }, title: "invalid ttl");
            case ExplicitOutcome.RateLimited:
            case ExplicitOutcome.Capacity:
            case ExplicitOutcome.QueueFull:
                return Results.Problem(statusCode: 429, title: "too many blocks", detail: result.Detail);
            case ExplicitOutcome.NotRunning:
                return Results.Problem(statusCode: 409, title: "enforcement is not running", detail: result.Detail);
            default:
                return Results.Problem(statusCode: 502, title: "block not written everywhere", detail: result.Detail);
        }
    }

    private static async Task<IResult> RevokeAsync(string id, HttpRequest request, IServiceProvider services, TriageStore store, ClaimsPrincipal user)
    {
        if (services.GetService<EnforcementService>() is not { } enforcement)
        {
            return EnforcementOff();
        }

        if (id.Length != 16 || !id.All(char.IsAsciiHexDigitLower))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [$"'{id}' is not a block id (16 lowercase hex digits, as GET /api/blocks lists)"] },
                title: "invalid block id");
        }

        string? reason = null;
        if (request.ContentLength > 0 || request.HasJsonContentType())
        {
            var (body, problem) = await Json.ReadAsync<BlockRevokeRequest>(request).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            reason = body!.Reason;
            if (reason is { Length: > MaxReasonLength })
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = [$"at most {MaxReasonLength} characters"] }, title: "invalid reason");
            }
        }

        string actor = ControlAuthentication.Actor(user);
        ExplicitResult result;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted))
        {
            wait.CancelAfter(ChangeTimeout);
            try
            {
                result = await enforcement.RevokeAsync(id, actor, reason, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Results.Problem(statusCode: 504, title: "revoke still queued",
                    detail: $"the enforcement sync did not get to it within {ChangeTimeout.TotalSeconds:0} s; it is still queued (see GET /api/blocks)");
            }
        }

        var change = new BlockChange(Name(result.Outcome), result.Detail, null, [.. result.Blocks.Select(BlockView.From)]);
        switch (result.Outcome)
        {
            case ExplicitOutcome.Revoked:
                store.Audit(actor, "block.revoke", id, JsonSerializer.Serialize(new Dictionary<string, string?>
                {
                    ["objects"] = string.Join(", ", result.Blocks.Select(b => b.Target + ":" + b.Reference)),
                    ["reason"] = reason,
                }));
                return Results.Ok(change);
            case ExplicitOutcome.NotFound:
                return Results.Problem(statusCode: 404, title: "no such block", detail: result.Detail);
            case ExplicitOutcome.NotRunning:
                return Results.Problem(statusCode: 409, title: "enforcement is not running", detail: result.Detail);
            case ExplicitOutcome.QueueFull:
                return Results.Problem(statusCode: 429, title: "too many requests waiting", detail: result.Detail);
            default:
                return Results.Problem(statusCode: 502, title: "block not deleted everywhere", detail: result.Detail);
        }
    }

    /// <summary>The body as the sync's request, or a 400/404 naming the field.</summary>
    private static async Task<(ExplicitBlockRequest? Request, IResult? Problem)> ReadAsync(HttpRequest request, TriageStore store, ClaimsPrincipal user)
    {
        var (body, problem) = await Json.ReadAsync<BlockCreateRequest>(request).ConfigureAwait(false);
        if (problem is not null)
        {
            return (null, problem);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var ttl = DefaultTtl;
        if (body!.TtlSeconds is { } seconds)
        {
            // The upper bound is the sync's (Enforcement:MaxTtl); this one only keeps the arithmetic finite.
            if (seconds is < 1 or > 366L * 24 * 3600)
            {
                errors["ttl_seconds"] = [$"{seconds} is not a number of seconds from 1 to a year"];
            }
            else
            {
                ttl = TimeSpan.FromSeconds(seconds);
            }
        }

        if (body.Reason is { Length: > MaxReasonLength })
        {
            errors["reason"] = [$"at most {MaxReasonLength} characters"];
        }

        string actor = ControlAuthentication.Actor(user);
        string reason = string.IsNullOrWhiteSpace(body.Reason) ? "blocked from the control plane" : body.Reason.Trim();
        bool byAlert = !string.IsNullOrEmpty(body.AlertId);
        bool bySource = !string.IsNullOrEmpty(body.Source);
        if (byAlert == bySource)
        {
            errors["alert_id"] = ["give either alert_id (block that alert's offender) or source (an IP address) with namespace and labels or workload"];
            return (null, Results.ValidationProblem(errors, title: "invalid block request"));
        }

        if (byAlert)
        {
            foreach (var (field, value) in new (string, object?)[] { ("namespace", body.Namespace), ("workload", body.Workload), ("labels", body.Labels) })
            {
                if (value is not null)
                {
                    errors[field] = ["not with alert_id: the alert names the workload"];
                }
            }

            if (errors.Count > 0)
            {
                return (null, Results.ValidationProblem(errors, title: "invalid block request"));
            }

            if (store.GetAlert(body.AlertId!) is not { } detail)
            {
                return (null, Results.Problem(statusCode: 404, title: "no such alert", detail: $"no alert with id '{body.AlertId}'"));
            }

            if (!EcsJson.TryReadAlert(JsonSerializer.SerializeToUtf8Bytes(detail.Ecs), out var alert, out string? error))
            {
                return (null, Results.Problem(statusCode: 422, title: "refused: no block can be made", detail: $"alert '{body.AlertId}' cannot be read back: {error}"));
            }

            return (new ExplicitBlockRequest(actor, ttl, reason) { Alert = alert }, null);
        }

        if (!IPAddress.TryParse(body.Source, out var source) || body.Source!.Contains('/', StringComparison.Ordinal))
        {
            errors["source"] = [$"'{body.Source}' is not an IP address"];
        }
        else if (!IsUnicastPeer(source))
        {
            // A deny of these would match nothing real, or the workload's own traffic (loopback).
            errors["source"] = [$"'{body.Source}' is not a unicast address a peer could send from (unspecified, loopback, multicast or broadcast)"];
        }

        if (body.Namespace is null || !KubernetesNames.IsDnsLabel(body.Namespace))
        {
            errors["namespace"] = [$"'{body.Namespace}' is not a namespace name"];
        }

        IReadOnlyDictionary<string, string>? labels = null;
        if (body.Labels is { Count: > 0 })
        {
            labels = BlockPlanner.StableLabels(body.Labels);
            if (labels.Count != body.Labels.Count)
            {
                errors["labels"] = ["every label must be a valid Kubernetes label (key and value) naming the workload, not one pod (no pod-template-hash and the like)"];
            }

            if (body.Workload is not null)
            {
                errors["workload"] = ["give labels or workload, not both"];
            }
        }
        else if (body.Workload is null)
        {
            errors["labels"] = ["give the protected workload's labels, or its workload name"];
        }
        else if (errors.Count == 0)
        {
            labels = WorkloadLabels(store, request.HttpContext.RequestServices.GetService<NetSecStream.Control.Policies.RecentFlows>(), body.Namespace!, body.Workload);
            if (labels is null)
            {
                errors["workload"] = [$"no alert names workload {body.Namespace}/{body.Workload} with labels to select it by; give labels"];
            }
        }

        return errors.Count > 0
            ? (null, Results.ValidationProblem(errors, title: "invalid block request"))
            : (new ExplicitBlockRequest(actor, ttl, reason) { Source = source, Namespace = body.Namespace, Labels = labels }, null);
    }

    private static bool IsUnicastPeer(IPAddress address)
    {
        var normalized = BlockAllowlist.Normalize(address);
        return !IPAddress.IsLoopback(normalized) && !normalized.Equals(IPAddress.Any) && !normalized.Equals(IPAddress.IPv6Any)
            && !normalized.Equals(IPAddress.Broadcast) && !normalized.IsIPv6Multicast
            && !(normalized.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && normalized.GetAddressBytes()[0] is >= 224 and <= 239);
    }

    /// <summary>
    /// The stable labels of <paramref name="workload"/> as the recent flows saw them, else as the newest alert naming it
    /// did; null when neither has.
    /// </summary>
    private static IReadOnlyDictionary<string, string>? WorkloadLabels(TriageStore store, NetSecStream.Control.Policies.RecentFlows? flows, string ns, string workload)
    {
        if (flows?.Workloads().Workloads.FirstOrDefault(w => w.Namespace == ns && w.Name == workload) is { } seen
            && BlockPlanner.StableLabels(seen.Labels) is { Count: > 0 } flowLabels)
        {
            return flowLabels;
        }

        if (store.LatestAlertIdFor(ns, workload) is not { } id || store.GetAlert(id) is not { } detail
            || !EcsJson.TryReadAlert(JsonSerializer.SerializeToUtf8Bytes(detail.Ecs), out var alert, out _))
        {
            return null;
        }

        var endpoint = new[] { alert.Flow.Source, alert.Flow.Destination }
            .FirstOrDefault(e => e.Namespace == ns && e.Workload == workload);
        var labels = BlockPlanner.StableLabels(endpoint?.Labels);
        return labels.Count > 0 ? labels : null;
    }

    private static string Name(ExplicitOutcome outcome) => outcome switch
    {
        ExplicitOutcome.Applied => "applied",
        ExplicitOutcome.AlreadyHeld => "already_held",
        ExplicitOutcome.Revoked => "revoked",
        ExplicitOutcome.Refused => "refused",
        ExplicitOutcome.InvalidTtl => "invalid_ttl",
        ExplicitOutcome.RateLimited => "rate_limited",
        ExplicitOutcome.Capacity => "capacity",
        ExplicitOutcome.QueueFull => "queue_full",
        ExplicitOutcome.NotRunning => "not_running",
        ExplicitOutcome.NotFound => "not_found",
        _ => "failed",
    };
}
