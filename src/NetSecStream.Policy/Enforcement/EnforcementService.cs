using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using k8s.Exceptions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Policy.Blocking;

namespace NetSecStream.Policy.Enforcement;

/// <summary>What became of an alert handed to the sync.</summary>
public enum BlockSubmission
{
    /// <summary>Planned and queued; the sync applies it (or audits why not) shortly.</summary>
    Queued,

    /// <summary>No block can be made from it (allowlisted, no workload, no stable labels); audited.</summary>
    Refused,

    /// <summary>The queue was full; audited and counted, not retried.</summary>
    QueueFull,

    /// <summary>The sync is not running (not started, or stopping).</summary>
    NotRunning,

    /// <summary>Not a block request (its mode is not block, or its rule never blocks); ignored, not audited.</summary>
    NotABlockRequest,
}

/// <summary>Where block-mode alerts are handed to the sync, by the pipeline's sink or by the control plane's alerts consumer.</summary>
public interface IBlockSubmitter
{
    BlockSubmission Submit(Alert alert);
}

/// <summary>A block the sync holds in one target, as applied or as found there at start.</summary>
public sealed record ActiveBlock(string Target, PolicyResource Resource, string? Namespace, string Name, DateTimeOffset Created, DateTimeOffset Expires,
    int RepeatCount, string PeerKey)
{
    public string Reference => Namespace is null ? $"{Resource.Kind}/{Name}" : $"{Resource.Kind}/{Namespace}/{Name}";

    /// <summary>The alert that asked for it last (<c>manual</c> for an operator's block by address).</summary>
    public string? AlertId { get; init; }

    /// <summary>Why, as the object's <c>netsec.io/reason</c> annotation says.</summary>
    public string? Reason { get; init; }

    /// <summary>The operator who made or last extended it; null for the pipeline's blocks and blocks adopted at start.</summary>
    public string? Actor { get; init; }

    /// <summary>
    /// The block's hash (<c>netsec-block-&lt;id&gt;</c>, <c>&lt;tier&gt;.block-&lt;id&gt;</c>): the same in every target, so one id
    /// names the block wherever it is held (what a revoke takes).
    /// </summary>
    public string Id => Name.LastIndexOf("block-", StringComparison.Ordinal) is int at and >= 0 ? Name[(at + 6)..] : Name;
}

/// <summary>
/// The only writer of block rules. Alerts come in through <see cref="Submit"/> (a bounded queue); one loop applies
/// blocks to every target (clusters, or a GitOps directory) and deletes them when they expire. Safety rails, in the
/// order they apply: the allowlist (never block infrastructure), dedupe (the same target and peer is one object; a
/// repeat extends it), a rate limit on new blocks, a cap on blocks held, TTLs (escalated for repeat offenders, capped),
/// dry-run. At start it lists what it manages in each target, adopts what has not expired and deletes the rest.
/// Every decision is one line in the audit log.
/// </summary>
public sealed partial class EnforcementService : IHostedService, IBlockSubmitter, IAsyncDisposable
{
    // Offenders remembered for escalation; beyond this the longest-ago are forgotten first.
    private const int MaxRememberedOffenders = 100_000;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly EnforcementOptions _options;
    private readonly IReadOnlyList<IPolicyTarget> _targets;
    private readonly IEnforcementAudit _audit;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BlockPlanner _planner;
    private readonly ApiRetry _retry;
    private readonly Channel<SyncWork> _queue;
    private readonly ConcurrentDictionary<string, ActiveBlock> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset LastBlocked, int Count)> _offenders = new(StringComparer.Ordinal);
    private readonly Queue<DateTimeOffset> _recentNewBlocks = new();
    private readonly HashSet<string> _unreconciled;
    private readonly List<IDisposable> _owned = [];
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private volatile bool _running;

    public EnforcementService(EnforcementOptions options, IReadOnlyList<IPolicyTarget> targets, IEnforcementAudit audit, NetSecMetrics metrics,
        ILogger<EnforcementService> logger, TimeProvider time)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _targets = targets ?? throw new ArgumentNullException(nameof(targets));
        _audit = audit ?? throw new ArgumentNullException(nameof(audit));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _planner = new BlockPlanner(options.Allowlist.Build());
        _retry = new ApiRetry(options, time);
        _retry.Retrying += (attempt, why) => LogRetry(attempt, why);
        _queue = Channel.CreateBounded<SyncWork>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _unreconciled = new HashSet<string>(targets.Select(t => t.Name), StringComparer.Ordinal);
    }

    /// <summary>The service for validated options: its targets (clusters or the GitOps directory) and its audit log.</summary>
    public static EnforcementService Create(EnforcementOptions options, NetSecMetrics metrics, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var targets = new List<IPolicyTarget>();
        if (!string.IsNullOrWhiteSpace(options.GitOpsDirectory))
        {
            targets.Add(new GitOpsPolicyTarget(options.GitOpsDirectory, options.GitOpsFlavor, options.CalicoTier));
        }

        for (int i = 0; i < options.Clusters.Count; i++)
        {
            try
            {
                targets.Add(KubernetesPolicyTarget.Create(options.Clusters[i], options));
            }
            catch (Exception ex) when (ex is KubeConfigException or IOException or UnauthorizedAccessException)
            {
                // A missing context or an unreadable kubeconfig is a configuration error, reported by its key at start.
                throw new OptionsValidationException(EnforcementOptions.SectionName, typeof(EnforcementOptions),
                    [$"{EnforcementOptions.SectionName}:Clusters:{i}: kubeconfig '{options.Clusters[i].KubeConfig}' context '{options.Clusters[i].Context}': {ex.Message}"]);
            }
        }

        var audit = new JsonLinesEnforcementAudit(options.AuditLogPath!);
        var service = new EnforcementService(options, targets, audit, metrics, loggerFactory.CreateLogger<EnforcementService>(), time);
        service._owned.Add(audit);
        service._owned.AddRange(targets.OfType<IDisposable>());
        return service;
    }

    public IReadOnlyList<IPolicyTarget> Targets => _targets;

    /// <summary>Blocks held now, over every target.</summary>
    public IReadOnlyCollection<ActiveBlock> ActiveBlocks => [.. _active.Values];

    /// <summary>Requests waiting in the queue.</summary>
    public int QueueDepth => _queue.Reader.Count;

    public BlockSubmission Submit(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!_running)
        {
            return BlockSubmission.NotRunning;
        }

        var (plan, refusal) = _planner.Plan(alert);
        if (refusal?.Reason == BlockRefusal.NotBlockMode)
        {
            return BlockSubmission.NotABlockRequest;
        }

        if (plan is null)
        {
            Refuse(refusal!.Reason is BlockRefusal.AllowlistedPeer or BlockRefusal.AllowlistedTarget ? AuditActions.SkipAllowlisted : AuditActions.SkipUnidentified,
                refusal.Reason, alert.Id, refusal.Detail, null);
            return BlockSubmission.Refused;
        }

        if (!_queue.Writer.TryWrite(new SyncWork(new BlockRequest(plan, _time.GetUtcNow()))))
        {
            Refuse(AuditActions.SkipQueueFull, "queue_full", alert.Id, $"{_options.QueueCapacity} block requests already waiting", plan.Peer.Key);
            return BlockSubmission.QueueFull;
        }

        return BlockSubmission.Queued;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReconcileAsync(cancellationToken).ConfigureAwait(false);
        _stop = new CancellationTokenSource();
        _running = true;

        // The first expiry timer starts now, not when the loop's thread gets to it: time counts from the start.
        var firstTick = Task.Delay(_options.ExpiryInterval, _time, _stop.Token);
        _loop = Task.Run(() => RunAsync(firstTick, _stop.Token), CancellationToken.None);
        LogStarted(_targets.Count, _options.DryRun, _active.Count);
    }

    /// <summary>Stops taking requests, finishes those queued (for at most 10 s, or until <paramref name="cancellationToken"/> fires), and stops.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _running = false;
        _queue.Writer.TryComplete();
        if (_loop is null || _stop is null)
        {
            return;
        }

        // Draining waits on the API: a cluster that is down must not hold the process through the retries of every
        // queued request. Wall-clock time: this bounds a shutdown, whatever clock the blocks' TTLs run on.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(DrainTimeout);
        using (bound.Token.Register(_stop.Cancel))
        {
            await _loop.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stop?.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    private async Task RunAsync(Task tick, CancellationToken token)
    {
        Task<bool>? read = null;
        try
        {
            while (true)
            {
                read ??= _queue.Reader.WaitToReadAsync(token).AsTask();
                if (await Task.WhenAny(read, tick).ConfigureAwait(false) == tick)
                {
                    await tick.ConfigureAwait(false);
                    await ExpireDueAsync(token).ConfigureAwait(false);
                    tick = Task.Delay(_options.ExpiryInterval, _time, token);
                    continue;
                }

                if (!await read.ConfigureAwait(false))
                {
                    return;
                }

                read = null;
                while (_queue.Reader.TryRead(out var work))
                {
                    if (work.Block is { } request)
                    {
                        await ProcessAsync(request, token).ConfigureAwait(false);
                    }
                    else if (work.Explicit is { } block)
                    {
                        block.Completion.TrySetResult(await ProcessExplicitAsync(block, token).ConfigureAwait(false));
                    }
                    else if (work.Revoke is { } revoke)
                    {
                        revoke.Completion.TrySetResult(await ProcessRevokeAsync(revoke, token).ConfigureAwait(false));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped before the queue drained; what is left is lost with the process, as alerts not yet acted on.
        }
        finally
        {
            // An operator waiting on a block or revoke that will not run now is told so rather than left to time out.
            while (_queue.Reader.TryRead(out var left))
            {
                (left.Explicit?.Completion ?? left.Revoke?.Completion)?.TrySetResult(
                    new ExplicitResult(ExplicitOutcome.NotRunning, "the enforcement sync stopped before it got to this", []));
            }
        }
    }

    /// <summary>
    /// What <see cref="BlockNowAsync"/> would block for <paramref name="request"/>, or why it would refuse: the same
    /// planner and allowlist, nothing written or audited.
    /// </summary>
    public (BlockPlan? Plan, BlockRefusal? Refusal) PlanExplicit(ExplicitBlockRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string reason = $"manual block by {request.Actor}: {request.Reason}";
        if (request.Alert is { } alert)
        {
            return _planner.PlanExplicit(alert, reason);
        }

        if (request.Source is null || request.Namespace is null || request.Labels is null)
        {
            return (null, new BlockRefusal(BlockRefusal.TargetUnidentified, "an explicit block needs an alert, or a source address and a workload (namespace and labels)"));
        }

        return _planner.PlanExplicit(request.Source, request.Namespace, request.Labels, ExplicitBlockRequest.ManualAlertId, reason);
    }

    /// <summary>
    /// An operator's block, applied now to every target through the sync's own loop (so the rate limit, the cap, dedupe
    /// and the audit log hold for it as for alert-driven blocks). Completes when every target has answered;
    /// <paramref name="cancellationToken"/> only stops the waiting, not a block already queued.
    /// </summary>
    public async Task<ExplicitResult> BlockNowAsync(ExplicitBlockRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Ttl <= TimeSpan.Zero || request.Ttl > _options.MaxTtl)
        {
            return new ExplicitResult(ExplicitOutcome.InvalidTtl, $"ttl {request.Ttl} must be positive and at most Enforcement:MaxTtl ({_options.MaxTtl})", []);
        }

        if (!_running)
        {
            return new ExplicitResult(ExplicitOutcome.NotRunning, "the enforcement sync is not running", []);
        }

        var (plan, refusal) = PlanExplicit(request);
        if (plan is null)
        {
            Refuse(refusal!.Reason is BlockRefusal.AllowlistedPeer or BlockRefusal.AllowlistedTarget ? AuditActions.SkipAllowlisted : AuditActions.SkipUnidentified,
                refusal.Reason, request.Alert?.Id, refusal.Detail, null, actor: request.Actor);
            return new ExplicitResult(ExplicitOutcome.Refused, refusal.Detail, []) { RefusalReason = refusal.Reason };
        }

        var work = new ExplicitWork(plan, request.Ttl, request.Actor);
        if (!_queue.Writer.TryWrite(new SyncWork(Explicit: work)))
        {
            if (!_running)
            {
                return new ExplicitResult(ExplicitOutcome.NotRunning, "the enforcement sync is stopping", []) { Plan = plan };
            }

            Refuse(AuditActions.SkipQueueFull, "queue_full", plan.AlertId, $"{_options.QueueCapacity} block requests already waiting", plan.Peer.Key, actor: request.Actor);
            return new ExplicitResult(ExplicitOutcome.QueueFull, $"{_options.QueueCapacity} block requests already waiting; try again shortly", []) { Plan = plan };
        }

        return await work.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the block <paramref name="blockId"/> (<see cref="ActiveBlock.Id"/>) from every target now, on the sync's loop.</summary>
    public async Task<ExplicitResult> RevokeAsync(string blockId, string actor, string? reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(blockId);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        if (!_running)
        {
            return new ExplicitResult(ExplicitOutcome.NotRunning, "the enforcement sync is not running", []);
        }

        if (!_active.Values.Any(b => b.Id == blockId))
        {
            return new ExplicitResult(ExplicitOutcome.NotFound, $"no block {blockId} is held", []);
        }

        var work = new RevokeWork(blockId, actor, reason);
        if (!_queue.Writer.TryWrite(new SyncWork(Revoke: work)))
        {
            if (!_running)
            {
                return new ExplicitResult(ExplicitOutcome.NotRunning, "the enforcement sync is stopping", []);
            }

            return new ExplicitResult(ExplicitOutcome.QueueFull, $"{_options.QueueCapacity} block requests already waiting; try again shortly", []);
        }

        return await work.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<ExplicitResult> ProcessExplicitAsync(ExplicitWork work, CancellationToken cancellationToken)
    {
        var plan = work.Plan;
        var now = _time.GetUtcNow();
        var held = _targets.Select(t => _active.GetValueOrDefault(Key(t, plan))).FirstOrDefault(b => b is not null && b.Expires > now);
        int repeat;
        if (held is null)
        {
            if (!TakeRateToken(now))
            {
                string detail = $"{_options.MaxNewBlocksPerMinute} new blocks in the last minute (Enforcement:MaxNewBlocksPerMinute)";
                Refuse(AuditActions.SkipRateLimited, "rate_limited", plan.AlertId, detail, plan.Peer.Key, actor: work.Actor);
                return new ExplicitResult(ExplicitOutcome.RateLimited, detail, []) { Plan = plan };
            }

            if (_active.Count >= _options.MaxActiveBlocks * Math.Max(1, _targets.Count))
            {
                string detail = $"{_options.MaxActiveBlocks} blocks already held (Enforcement:MaxActiveBlocks)";
                Refuse(AuditActions.SkipCapacity, "capacity", plan.AlertId, detail, plan.Peer.Key, actor: work.Actor);
                return new ExplicitResult(ExplicitOutcome.Capacity, detail, []) { Plan = plan };
            }

            repeat = Escalate(plan.Peer.Key, now);
        }
        else
        {
            repeat = held.RepeatCount;
        }

        var expires = now + work.Ttl;
        var failures = new List<string>();
        int written = 0;
        foreach (var target in _targets)
        {
            string key = Key(target, plan);
            BlockLifetime lifetime;
            string action;
            if (_active.TryGetValue(key, out var existing) && existing.Expires > now)
            {
                if (existing.Expires >= expires)
                {
                    _audit.Record(new EnforcementAuditEntry(now, AuditActions.SkipDuplicate, target.Name, existing.Reference, plan.AlertId, plan.Reason)
                    {
                        Expires = existing.Expires,
                        Peer = plan.Peer.Key,
                        Actor = work.Actor,
                    });
                    continue;
                }

                lifetime = new BlockLifetime(existing.Created, expires, existing.RepeatCount);
                action = AuditActions.Extend;
            }
            else
            {
                lifetime = new BlockLifetime(now, expires, repeat);
                action = AuditActions.Apply;
            }

            var policy = BlockPolicyWriter.Write(plan, target.Flavor, lifetime, _options.CalicoTier);
            if (await WriteAsync(target, key, policy, action, plan.Reason, cancellationToken, work.Actor).ConfigureAwait(false))
            {
                written++;
            }
            else
            {
                failures.Add(target.Name);
            }
        }

        var blocks = BlocksOf(plan);
        if (failures.Count > 0)
        {
            return new ExplicitResult(ExplicitOutcome.Failed, $"the block could not be written to {string.Join(", ", failures)}; see the enforcement audit log", blocks) { Plan = plan };
        }

        return written > 0
            ? new ExplicitResult(ExplicitOutcome.Applied, $"blocked until {expires.ToString("O", CultureInfo.InvariantCulture)}", blocks) { Plan = plan }
            : new ExplicitResult(ExplicitOutcome.AlreadyHeld, "already blocked for at least as long", blocks) { Plan = plan };
    }

    private async Task<ExplicitResult> ProcessRevokeAsync(RevokeWork work, CancellationToken cancellationToken)
    {
        var held = _active.Where(b => b.Value.Id == work.BlockId).ToList();
        if (held.Count == 0)
        {
            // Expired (or revoked) while the request waited.
            return new ExplicitResult(ExplicitOutcome.NotFound, $"no block {work.BlockId} is held", []);
        }

        string reason = $"revoked by {work.Actor}" + (string.IsNullOrWhiteSpace(work.Reason) ? "" : ": " + work.Reason);
        var failures = new List<string>();
        foreach (var (key, block) in held)
        {
            var target = _targets.First(t => t.Name == block.Target);
            if (!await RemoveAsync(target, block.Resource, block.Namespace, block.Name, block.Reference, AuditActions.Revoke, reason, cancellationToken, key, work.Actor)
                    .ConfigureAwait(false))
            {
                failures.Add(target.Name);
            }
        }

        var left = _active.Values.Where(b => b.Id == work.BlockId).ToList();
        return failures.Count > 0
            ? new ExplicitResult(ExplicitOutcome.Failed, $"the block could not be deleted from {string.Join(", ", failures)}; it stays listed until it expires or a revoke succeeds", left)
            : new ExplicitResult(ExplicitOutcome.Revoked, reason, [.. held.Select(h => h.Value)]);
    }

    private List<ActiveBlock> BlocksOf(BlockPlan plan) =>
        [.. _targets.Select(t => _active.GetValueOrDefault(Key(t, plan))).OfType<ActiveBlock>()];

    /// <summary>Applies one planned block to every target, or audits why not.</summary>
    internal async Task ProcessAsync(BlockRequest request, CancellationToken cancellationToken)
    {
        var plan = request.Plan;
        var now = _time.GetUtcNow();
        var held = _targets.Select(t => _active.GetValueOrDefault(Key(t, plan))).FirstOrDefault(b => b is not null && b.Expires > now);
        int repeat;
        if (held is null)
        {
            if (!TakeRateToken(now))
            {
                Refuse(AuditActions.SkipRateLimited, "rate_limited", plan.AlertId,
                    $"{_options.MaxNewBlocksPerMinute} new blocks in the last minute", plan.Peer.Key);
                return;
            }

            if (_active.Count >= _options.MaxActiveBlocks * Math.Max(1, _targets.Count))
            {
                Refuse(AuditActions.SkipCapacity, "capacity", plan.AlertId, $"{_options.MaxActiveBlocks} blocks already held", plan.Peer.Key);
                return;
            }

            repeat = Escalate(plan.Peer.Key, now);
        }
        else
        {
            repeat = held.RepeatCount;
        }

        var ttl = TtlFor(repeat);
        foreach (var target in _targets)
        {
            string key = Key(target, plan);
            BlockLifetime lifetime;
            string action;
            if (_active.TryGetValue(key, out var existing) && existing.Expires > now)
            {
                var extended = now + ttl;
                if (extended - existing.Expires < ttl / 2)
                {
                    // A repeat of an alert already blocked: nothing to write until half the TTL has gone by.
                    _audit.Record(new EnforcementAuditEntry(now, AuditActions.SkipDuplicate, target.Name, existing.Reference, plan.AlertId, plan.Reason)
                    {
                        Expires = existing.Expires,
                        Peer = plan.Peer.Key,
                    });
                    continue;
                }

                lifetime = new BlockLifetime(existing.Created, extended, existing.RepeatCount);
                action = AuditActions.Extend;
            }
            else
            {
                lifetime = new BlockLifetime(now, now + ttl, repeat);
                action = AuditActions.Apply;
            }

            var policy = BlockPolicyWriter.Write(plan, target.Flavor, lifetime, _options.CalicoTier);
            await WriteAsync(target, key, policy, action, plan.Reason, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Applies (or, dry run, records) one object; false when the API refused it for good (audited as an error).</summary>
    private async Task<bool> WriteAsync(IPolicyTarget target, string key, BlockPolicy policy, string action, string reason, CancellationToken cancellationToken,
        string? actor = null)
    {
        var block = new ActiveBlock(target.Name, policy.Resource, policy.Namespace, policy.Name, policy.Lifetime.Created, policy.Lifetime.Expires,
            policy.Lifetime.RepeatCount, policy.PeerKey)
        {
            AlertId = policy.AlertId,
            Reason = reason,
            Actor = actor,
        };
        var now = _time.GetUtcNow();
        if (_options.DryRun)
        {
            _active[key] = block;
            _audit.Record(new EnforcementAuditEntry(now, AuditActions.DryRun, target.Name, policy.Reference, policy.AlertId, reason)
            {
                Expires = block.Expires,
                Peer = policy.PeerKey,
                Would = action,
                Actor = actor,
            });
            return true;
        }

        try
        {
            await _retry.RunAsync(token => target.ApplyAsync(policy, token), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Refuse(AuditActions.Error, "api_error", policy.AlertId, $"{action} {policy.Reference} on {target.Name}: {ApiRetry.Describe(ex)}", policy.PeerKey, target.Name, actor);
            return false;
        }

        _active[key] = block;
        _metrics.BlockApplied(target.Name);
        _audit.Record(new EnforcementAuditEntry(_time.GetUtcNow(), action, target.Name, policy.Reference, policy.AlertId, reason)
        {
            Expires = block.Expires,
            Peer = policy.PeerKey,
            Actor = actor,
        });
        LogApplied(action, policy.Reference, target.Name, block.Expires, block.RepeatCount);
        return true;
    }

    /// <summary>
    /// Applies a policy written in the control plane's editor to every target, with the same retries and audit log as
    /// blocks (dry-run records what it would do). Returns the targets that failed, with why; empty when all took it.
    /// </summary>
    public async Task<IReadOnlyList<string>> ApplyDocumentAsync(PolicyDocument document, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        return await ForEachTargetAsync(document.Reference, AuditActions.ApplyPolicy, "applied by " + actor,
            (target, token) => target.ApplyDocumentAsync(document, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a policy applied with <see cref="ApplyDocumentAsync"/> from every target (one already gone is not an error).</summary>
    public async Task<IReadOnlyList<string>> DeleteDocumentAsync(PolicyResource resource, string? ns, string name, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string reference = ns is null ? $"{resource.Kind}/{name}" : $"{resource.Kind}/{ns}/{name}";
        return await ForEachTargetAsync(reference, AuditActions.DeletePolicy, "deleted by " + actor,
            (target, token) => target.DeleteAsync(resource, ns, name, token), cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<string>> ForEachTargetAsync(string reference, string action, string reason, Func<IPolicyTarget, CancellationToken, Task> call,
        CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var target in _targets)
        {
            if (_options.DryRun)
            {
                _audit.Record(new EnforcementAuditEntry(_time.GetUtcNow(), AuditActions.DryRun, target.Name, reference, null, reason) { Would = action });
                continue;
            }

            try
            {
                await _retry.RunAsync(token => call(target, token), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                string detail = $"{action} {reference} on {target.Name}: {ApiRetry.Describe(ex)}";
                _audit.Record(new EnforcementAuditEntry(_time.GetUtcNow(), AuditActions.Error, target.Name, reference, null, detail));
                LogRefused(AuditActions.Error, null, detail);
                failures.Add(detail);
                continue;
            }

            _audit.Record(new EnforcementAuditEntry(_time.GetUtcNow(), action, target.Name, reference, null, reason));
            LogPolicyWritten(action, reference, target.Name, reason);
        }

        return failures;
    }

    /// <summary>Deletes every block whose TTL has run out (and reconciles targets that could not be reconciled at start).</summary>
    internal async Task ExpireDueAsync(CancellationToken cancellationToken)
    {
        if (_unreconciled.Count > 0)
        {
            await ReconcileAsync(cancellationToken).ConfigureAwait(false);
        }

        var now = _time.GetUtcNow();
        foreach (var (key, block) in _active.Where(b => b.Value.Expires <= now).ToList())
        {
            var target = _targets.First(t => t.Name == block.Target);
            await RemoveAsync(target, block.Resource, block.Namespace, block.Name, block.Reference, AuditActions.Expire,
                $"expired at {block.Expires.ToString("O", CultureInfo.InvariantCulture)}", cancellationToken, key).ConfigureAwait(false);
        }

        foreach (var stale in _offenders.Where(o => now - o.Value.LastBlocked > _options.RepeatOffenderWindow).Select(o => o.Key).ToList())
        {
            _offenders.Remove(stale);
        }
    }

    /// <summary>Lists what each not yet reconciled target holds: unexpired blocks are adopted, expired or unreadable ones deleted.</summary>
    internal async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        foreach (var target in _targets.Where(t => _unreconciled.Contains(t.Name)).ToList())
        {
            IReadOnlyList<ManagedObject> objects;
            try
            {
                if (!_options.DryRun)
                {
                    await _retry.RunAsync(target.PrepareAsync, cancellationToken).ConfigureAwait(false);
                }

                objects = await _retry.RunAsync(target.ListManagedAsync, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Tried again at each expiry tick; blocks are still applied meanwhile.
                Refuse(AuditActions.Error, "api_error", null, $"reconcile {target.Name}: {ApiRetry.Describe(ex)}", null, target.Name);
                continue;
            }

            var now = _time.GetUtcNow();
            int adopted = 0, removed = 0;
            foreach (var managed in objects)
            {
                if (!TryReadLifetime(managed, out var created, out var expires, out int repeat))
                {
                    removed += await RemoveAsync(target, managed.Resource, managed.Namespace, managed.Name, managed.Reference, AuditActions.Delete,
                        $"no readable {BlockPolicyWriter.ExpiresAnnotation} annotation", cancellationToken).ConfigureAwait(false) ? 1 : 0;
                    continue;
                }

                if (expires <= now)
                {
                    removed += await RemoveAsync(target, managed.Resource, managed.Namespace, managed.Name, managed.Reference, AuditActions.Expire,
                        $"expired at {expires.ToString("O", CultureInfo.InvariantCulture)}, before this start", cancellationToken).ConfigureAwait(false) ? 1 : 0;
                    continue;
                }

                string peer = managed.Annotations.GetValueOrDefault(BlockPolicyWriter.PeerAnnotation) ?? managed.Reference;
                var block = new ActiveBlock(target.Name, managed.Resource, managed.Namespace, managed.Name, created, expires, repeat, peer)
                {
                    AlertId = managed.Annotations.GetValueOrDefault(BlockPolicyWriter.AlertIdAnnotation),
                    Reason = managed.Annotations.GetValueOrDefault(BlockPolicyWriter.ReasonAnnotation),
                };
                _active[target.Name + "/" + managed.Reference] = block;
                if (!_offenders.TryGetValue(peer, out var known) || known.LastBlocked < created)
                {
                    _offenders[peer] = (created, Math.Max(repeat, known.Count));
                }

                adopted++;
                _audit.Record(new EnforcementAuditEntry(now, AuditActions.ReconcileAdopt, target.Name, managed.Reference,
                    managed.Annotations.GetValueOrDefault(BlockPolicyWriter.AlertIdAnnotation), managed.Annotations.GetValueOrDefault(BlockPolicyWriter.ReasonAnnotation) ?? "")
                {
                    Expires = expires,
                    Peer = peer,
                });
            }

            _unreconciled.Remove(target.Name);
            LogReconciled(target.Name, objects.Count, adopted, removed);
        }
    }

    /// <summary>Deletes an object (and forgets <paramref name="activeKey"/>); false when the delete failed and is to be tried again.</summary>
    private async Task<bool> RemoveAsync(IPolicyTarget target, PolicyResource resource, string? ns, string name, string reference, string action, string reason,
        CancellationToken cancellationToken, string? activeKey = null, string? actor = null)
    {
        var now = _time.GetUtcNow();
        if (_options.DryRun)
        {
            if (activeKey is not null)
            {
                _active.TryRemove(activeKey, out _);
            }

            _audit.Record(new EnforcementAuditEntry(now, AuditActions.DryRun, target.Name, reference, null, reason) { Would = action, Actor = actor });
            return true;
        }

        try
        {
            await _retry.RunAsync(token => target.DeleteAsync(resource, ns, name, token), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Kept: the next tick tries again.
            Refuse(AuditActions.Error, "api_error", null, $"{action} {reference} on {target.Name}: {ApiRetry.Describe(ex)}", null, target.Name, actor);
            return false;
        }

        if (activeKey is not null)
        {
            _active.TryRemove(activeKey, out _);
        }

        if (action == AuditActions.Expire)
        {
            _metrics.BlockExpired(target.Name);
        }
        else if (action == AuditActions.Revoke)
        {
            _metrics.BlockRevoked(target.Name);
        }

        _audit.Record(new EnforcementAuditEntry(_time.GetUtcNow(), action, target.Name, reference, null, reason) { Actor = actor });
        LogRemoved(action, reference, target.Name, reason);
        return true;
    }

    private void Refuse(string action, string reason, string? alertId, string detail, string? peer, string? target = null, string? actor = null)
    {
        _metrics.BlockRefused(reason);
        _audit.Record(new EnforcementAuditEntry(_time.GetUtcNow(), action, target, null, alertId, reason + ": " + detail) { Peer = peer, Actor = actor });
        LogRefused(action, alertId, detail);
    }

    private bool TakeRateToken(DateTimeOffset now)
    {
        while (_recentNewBlocks.Count > 0 && now - _recentNewBlocks.Peek() >= TimeSpan.FromMinutes(1))
        {
            _recentNewBlocks.Dequeue();
        }

        if (_recentNewBlocks.Count >= _options.MaxNewBlocksPerMinute)
        {
            return false;
        }

        _recentNewBlocks.Enqueue(now);
        return true;
    }

    /// <summary>How many times <paramref name="peer"/> has now been blocked within the repeat window (1 = first time).</summary>
    private int Escalate(string peer, DateTimeOffset now)
    {
        int repeat = _offenders.TryGetValue(peer, out var known) && now - known.LastBlocked <= _options.RepeatOffenderWindow ? known.Count + 1 : 1;
        if (!_offenders.ContainsKey(peer) && _offenders.Count >= MaxRememberedOffenders)
        {
            _offenders.Remove(_offenders.MinBy(o => o.Value.LastBlocked).Key);
        }

        _offenders[peer] = (now, repeat);
        return repeat;
    }

    /// <summary>DefaultTtl × factor^(repeat − 1), at most MaxTtl.</summary>
    internal TimeSpan TtlFor(int repeat)
    {
        double ticks = _options.DefaultTtl.Ticks * Math.Pow(_options.RepeatOffenderFactor, Math.Max(0, repeat - 1));
        return ticks >= _options.MaxTtl.Ticks ? _options.MaxTtl : TimeSpan.FromTicks((long)ticks);
    }

    private static bool TryReadLifetime(ManagedObject managed, out DateTimeOffset created, out DateTimeOffset expires, out int repeat)
    {
        created = default;
        repeat = 1;
        if (!DateTimeOffset.TryParse(managed.Annotations.GetValueOrDefault(BlockPolicyWriter.ExpiresAnnotation), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out expires))
        {
            return false;
        }

        if (!DateTimeOffset.TryParse(managed.Annotations.GetValueOrDefault(BlockPolicyWriter.CreatedAnnotation), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out created))
        {
            created = expires;
        }

        if (!int.TryParse(managed.Annotations.GetValueOrDefault(BlockPolicyWriter.RepeatCountAnnotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out repeat)
            || repeat < 1)
        {
            repeat = 1;
        }

        return true;
    }

    private string Key(IPolicyTarget target, BlockPlan plan)
    {
        var resource = target.Flavor == PolicyFlavor.Calico ? PolicyResource.CalicoGlobalNetworkPolicy : PolicyResource.CiliumNetworkPolicy;
        string name = BlockPolicyWriter.NameOf(plan, target.Flavor, _options.CalicoTier);
        return target.Name + "/" + (resource.Namespaced ? $"{resource.Kind}/{plan.Target.Namespace}/{name}" : $"{resource.Kind}/{name}");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Enforcement started: {Targets} target(s), dry run {DryRun}, {Adopted} block(s) adopted")]
    private partial void LogStarted(int targets, bool dryRun, int adopted);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Block {Action} {Object} on {Target}, until {Expires:O} (repeat {Repeat})")]
    private partial void LogApplied(string action, string @object, string target, DateTimeOffset expires, int repeat);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Block {Action} {Object} on {Target}: {Reason}")]
    private partial void LogRemoved(string action, string @object, string target, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Block not enforced ({Action}) for alert {AlertId}: {Detail}")]
    private partial void LogRefused(string action, string? alertId, string detail);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Kubernetes API call retried (attempt {Attempt}): {Why}")]
    private partial void LogRetry(int attempt, string why);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Reconciled {Target}: {Found} managed object(s), {Adopted} adopted, {Removed} removed")]
    private partial void LogReconciled(string target, int found, int adopted, int removed);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Policy {Action} {Object} on {Target}: {Reason}")]
    private partial void LogPolicyWritten(string action, string @object, string target, string reason);
}

/// <summary>A planned block waiting in the queue.</summary>
public sealed record BlockRequest(BlockPlan Plan, DateTimeOffset Received);

/// <summary>One item of the sync's queue: an alert's block, an operator's block, or an operator's revoke.</summary>
internal sealed record SyncWork(BlockRequest? Block = null, ExplicitWork? Explicit = null, RevokeWork? Revoke = null);

internal sealed record ExplicitWork(BlockPlan Plan, TimeSpan Ttl, string Actor)
{
    public TaskCompletionSource<ExplicitResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

internal sealed record RevokeWork(string BlockId, string Actor, string? Reason)
{
    public TaskCompletionSource<ExplicitResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
