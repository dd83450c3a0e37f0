using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Kubernetes;

/// <summary>
/// Gives flows from collectors that see only addresses (NetFlow/IPFIX, pcap) their Kubernetes identity: the pod at an
/// endpoint's address, with its namespace, labels and owning workload. Pods come from a list and watch of the API
/// server (per namespace when <see cref="KubernetesEnrichmentOptions.Namespaces"/> is set) into a bounded index by pod
/// address; the watch resumes from the last resourceVersion when it ends, lists again when the server says the
/// version is gone (410) and every <see cref="KubernetesEnrichmentOptions.Resync"/>. Host-network pods (their
/// address is the node's) and finished pods are not indexed; an address taken over by a new pod maps to the new pod.
/// Only endpoints whose namespace and pod are unknown are enriched: what a collector knew is never overwritten.
/// </summary>
public sealed class KubernetesEnricher : IFlowEnricher, IAsyncDisposable, IDisposable
{
    public const string ComponentId = "kubernetes";

    private const int ListPageSize = 500;

    private readonly KubernetesEnrichmentOptions _options;
    private readonly NetSecMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly KubernetesPodIndex _index;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly Random _jitter;
    private readonly bool _ownsClient;
    private readonly Lock _stateLock = new();
    private IKubernetes? _client;
    private CancellationTokenSource? _stop;
    private List<Task> _loops = [];
    private bool _started;

    public KubernetesEnricher(KubernetesEnrichmentOptions options, NetSecMetrics? metrics = null, ILogger? logger = null)
        : this(options, metrics, logger, client: null, Task.Delay, Random.Shared)
    {
    }

    /// <summary>For tests: a client for a stand-in API server, and stand-ins for the backoff waits and their jitter.</summary>
    internal KubernetesEnricher(
        KubernetesEnrichmentOptions options,
        NetSecMetrics? metrics,
        ILogger? logger,
        IKubernetes? client,
        Func<TimeSpan, CancellationToken, Task> delay,
        Random jitter)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new KubernetesEnrichmentOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(KubernetesEnrichmentOptions), typeof(KubernetesEnrichmentOptions), validation.Failures);
        }

        _options = options;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        _index = new KubernetesPodIndex(options.MaxPods);
        _client = client;
        _ownsClient = client is null;
        _delay = delay;
        _jitter = jitter;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Enricher;

    /// <summary>Pods indexed now.</summary>
    public int PodCount => _index.Count;

    /// <summary>The pod at <paramref name="ip"/>, if one is indexed.</summary>
    public bool TryGetPod(IPAddress ip, [NotNullWhen(true)] out KubernetesPodInfo? pod)
    {
        ArgumentNullException.ThrowIfNull(ip);
        return _index.TryGet(ip, out pod) && pod is not null;
    }

    /// <summary>
    /// Connects, lists the pods (so the first flows are enriched) and starts watching. Fails with the section's name
    /// when the configuration cannot be loaded or the API server refuses the list.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            if (_started)
            {
                return;
            }

            _started = true;
            _client ??= CreateClient(_options);
            _stop = new CancellationTokenSource();
        }

        var namespaces = _options.Namespaces ?? [];
        var scopes = namespaces.Count == 0 ? [null] : namespaces.Select(ns => (string?)ns).ToList();
        var versions = new List<string>(scopes.Count);
        foreach (var scope in scopes)
        {
            try
            {
                versions.Add(await ListAsync(scope, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or KubernetesException or IOException)
            {
                throw new InvalidOperationException(
                    $"{KubernetesEnrichmentOptions.SectionName}: cannot list the pods of {Describe(scope)} from {_client.BaseUri}: {DetailOf(ex)}", ex);
            }
        }

        var stop = _stop!.Token;
        _loops = [.. scopes.Select((scope, i) => Task.Run(() => WatchLoopAsync(scope, versions[i], stop), CancellationToken.None))];
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource? stop;
        lock (_stateLock)
        {
            stop = _stop;
            _stop = null;
        }

        if (stop is not null)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                stop.Dispose();
            }
        }

        if (_ownsClient)
        {
            _client?.Dispose();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));

    /// <summary>Cancels the watches and releases the client at once, without waiting for the loops to notice.</summary>
    public void Dispose()
    {
        CancellationTokenSource? stop;
        lock (_stateLock)
        {
            stop = _stop;
            _stop = null;
        }

        stop?.Cancel();
        if (_ownsClient)
        {
            _client?.Dispose();
        }
    }

    public void Enrich(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        flow.Source = Enrich(flow.Source);
        flow.Destination = Enrich(flow.Destination);
    }

    private FlowEndpoint Enrich(FlowEndpoint endpoint)
    {
        if (endpoint.Namespace is not null || endpoint.Pod is not null || !_index.TryGet(endpoint.Ip, out var pod) || pod is null)
        {
            return endpoint;
        }

        return new FlowEndpoint
        {
            Ip = endpoint.Ip,
            Port = endpoint.Port,
            Namespace = pod.Namespace,
            Pod = pod.Name,
            Workload = endpoint.Workload ?? pod.Workload,
            Labels = endpoint.Labels ?? pod.Labels,
            Identity = endpoint.Identity,
            ReservedEntity = endpoint.ReservedEntity,
            DnsNames = endpoint.DnsNames,
        };
    }

    /// <summary>Lists the pods of a scope page by page, replaces the scope's pods in the index, returns the list's resourceVersion.</summary>
    private async Task<string> ListAsync(string? scope, CancellationToken cancellationToken)
    {
        var client = _client!;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        string? continueToken = null;
        string resourceVersion;
        do
        {
            var page = scope is null
                ? await client.CoreV1.ListPodForAllNamespacesAsync(continueParameter: continueToken, limit: ListPageSize, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await client.CoreV1.ListNamespacedPodAsync(scope, continueParameter: continueToken, limit: ListPageSize, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var pod in page.Items ?? [])
            {
                string key = KubernetesPodInfo.KeyOf(pod);
                listed.Add(key);
                Apply(key, pod, scope);
            }

            resourceVersion = page.Metadata?.ResourceVersion ?? "";
            continueToken = page.Metadata?.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(continueToken));

        int removed = _index.RemoveMissing(scope, listed);
        _metrics?.ComponentReloaded(ComponentId, success: true);
        KubernetesEnricherLog.Listed(_logger, ComponentId, listed.Count, Describe(scope), resourceVersion, removed);
        return resourceVersion;
    }

    private async Task WatchLoopAsync(string? scope, string resourceVersion, CancellationToken cancellationToken)
    {
        int failuresInARow = 0;
        int goneInARow = 0;
        var sinceList = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            bool gone = false;
            string? failure = null;
            string detail = "";
            string operation = "watch";
            int received = 0;
            long watchStarted = 0;
            try
            {
                if (string.IsNullOrEmpty(resourceVersion) || (_options.Resync > TimeSpan.Zero && sinceList.Elapsed >= _options.Resync))
                {
                    operation = "list";
                    resourceVersion = await ListAsync(scope, cancellationToken).ConfigureAwait(false);
                    sinceList.Restart();
                }

                operation = "watch";
                watchStarted = Stopwatch.GetTimestamp();
                int timeoutSeconds = (int)Math.Max(1, _options.WatchTimeout.TotalSeconds);
                var events = scope is null
                    ? _client!.CoreV1.WatchListPodForAllNamespacesAsync(
                        allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds,
                        onError: ex => gone |= OnWatchError(scope, ex), cancellationToken: cancellationToken)
                    : _client!.CoreV1.WatchListNamespacedPodAsync(
                        scope, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds,
                        onError: ex => gone |= OnWatchError(scope, ex), cancellationToken: cancellationToken);
                await foreach (var (type, pod) in events.ConfigureAwait(false))
                {
                    if (type == WatchEventType.Error)
                    {
                        // An error event is a Status, not a pod (410 Gone when the version was compacted away):
                        // whatever it says, only a fresh list is certain again.
                        gone = true;
                        continue;
                    }

                    failuresInARow = 0;
                    goneInARow = 0;
                    received++;
                    if (pod is null)
                    {
                        continue;
                    }

                    string key = KubernetesPodInfo.KeyOf(pod);
                    switch (type)
                    {
                        case WatchEventType.Added:
                        case WatchEventType.Modified:
                            Apply(key, pod, scope);
                            break;
                        case WatchEventType.Deleted:
                            _index.Remove(key);
                            break;
                    }

                    resourceVersion = pod.Metadata?.ResourceVersion is { Length: > 0 } version ? version : resourceVersion;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsGone(ex))
            {
                gone = true;
            }
            catch (Exception ex)
            {
                // Transport, API and decoding errors alike: the index keeps serving what it has, and the loop
                // retries with backoff; it never ends but on stop, or enrichment would silently go stale.
                failure = ReasonOf(ex);
                detail = DetailOf(ex);
            }

            if (gone)
            {
                // The server compacted past our version: only a new list tells what changed meanwhile. Once is
                // normal; again and again without an event in between is a server to back off from.
                KubernetesEnricherLog.WatchExpired(_logger, ComponentId, Describe(scope), resourceVersion);
                _metrics?.SourceError(ComponentId, "gone");
                resourceVersion = "";
                if (++goneInARow > 1 && !await WaitAsync(Backoff(goneInARow - 1), cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (failure is null && (received > 0 || Stopwatch.GetElapsedTime(watchStarted) >= TimeSpan.FromSeconds(1)))
            {
                // The server ended the watch (its timeout): open the next one from where this one was.
                continue;
            }

            // A watch the server closes at once, again and again, must not spin: back off as after an error.
            failure ??= "watch_closed";

            _metrics?.SourceError(ComponentId, failure);
            failuresInARow++;
            var wait = Backoff(failuresInARow);
            KubernetesEnricherLog.RequestFailed(_logger, ComponentId, operation, Describe(scope), failure, detail, wait);
            if (!await WaitAsync(wait, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Waits out a backoff; false when stopped meanwhile.</summary>
    private async Task<bool> WaitAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await _delay(wait, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private bool OnWatchError(string? scope, Exception ex)
    {
        if (IsGone(ex))
        {
            return true;
        }

        KubernetesEnricherLog.WatchEventSkipped(_logger, ComponentId, Describe(scope), DetailOf(ex));
        return false;
    }

    private void Apply(string key, V1Pod pod, string? scope)
    {
        if (scope is not null && pod.Metadata?.NamespaceProperty != scope)
        {
            return;
        }

        if (_index.Apply(key, KubernetesPodInfo.From(pod)) == PodIndexChange.Full)
        {
            _metrics?.EventRejected(ComponentId, "cache_full");
            KubernetesEnricherLog.IndexFull(_logger, ComponentId, _index.Count, pod.Metadata?.NamespaceProperty ?? "", pod.Metadata?.Name ?? "");
        }
    }

    internal TimeSpan Backoff(int attempt)
    {
        double initial = _options.ReconnectInitialBackoff.TotalMilliseconds;
        double max = _options.ReconnectMaxBackoff.TotalMilliseconds;
        double ceiling = Math.Min(max, initial * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (_jitter.NextDouble() * ceiling / 2));
    }

    private static k8s.Kubernetes CreateClient(KubernetesEnrichmentOptions options)
    {
        const string Prefix = KubernetesEnrichmentOptions.SectionName + ":";
        KubernetesClientConfiguration configuration;
        try
        {
            if (options.InCluster)
            {
                configuration = KubernetesClientConfiguration.InClusterConfig();
            }
            else if (!string.IsNullOrWhiteSpace(options.KubeconfigPath))
            {
                configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeconfigPath, NullIfEmpty(options.Context));
            }
            else if (KubernetesClientConfiguration.IsInCluster())
            {
                configuration = KubernetesClientConfiguration.InClusterConfig();
            }
            else
            {
                configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: NullIfEmpty(options.Context));
            }
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException)
        {
            string key = options.InCluster ? "InCluster" : "KubeconfigPath";
            throw new InvalidOperationException($"{Prefix}{key}: cannot load the Kubernetes client configuration: {ex.Message}", ex);
        }

        return new k8s.Kubernetes(configuration);
    }

    private static bool IsGone(Exception ex) => ex switch
    {
        KubernetesException kubernetes => kubernetes.Status?.Code == (int)HttpStatusCode.Gone,
        HttpOperationException http => http.Response?.StatusCode == HttpStatusCode.Gone,
        _ => false,
    };

    private static string ReasonOf(Exception ex) => ex switch
    {
        HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized } => "unauthorized",
        HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden } => "forbidden",
        HttpOperationException => "http_error",
        HttpRequestException or IOException => "unavailable",
        KubernetesException => "api_error",
        _ => "error",
    };

    private static string DetailOf(Exception ex) => ex switch
    {
        HttpOperationException http => $"{(int?)http.Response?.StatusCode} {http.Response?.ReasonPhrase}: {http.Message}",
        KubernetesException kubernetes => $"{kubernetes.Status?.Code} {kubernetes.Status?.Reason}: {kubernetes.Status?.Message ?? kubernetes.Message}",
        _ => ex.Message,
    };

    private static string Describe(string? scope) => scope is null ? "all namespaces" : "namespace " + scope;

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
