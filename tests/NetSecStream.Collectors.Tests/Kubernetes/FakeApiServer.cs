using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace NetSecStream.Collectors.Tests.Kubernetes;

/// <summary>
/// Just enough of a Kubernetes API server for pods: <c>GET /api/v1/pods</c> and <c>/api/v1/namespaces/{ns}/pods</c>
/// list (with the current resourceVersion) and, with <c>?watch=1</c>, stream ADDED/MODIFIED/DELETED events after
/// the requested resourceVersion, then whatever happens next. <see cref="Compact"/> forgets history as etcd does: a
/// watch from an older version gets an ERROR event with a 410 Status, and open watches are closed.
/// </summary>
internal sealed class FakeApiServer : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, V1Pod> _pods = new(StringComparer.Ordinal);
    private readonly List<(long Version, string Type, V1Pod Pod)> _history = [];
    private readonly List<Watch> _watches = [];
    private WebApplication? _app;
    private long _version = 100;
    private long _compactedThrough;

    public string Address { get; private set; } = "";

    /// <summary>Requests as <c>list /api/v1/pods</c> or <c>watch /api/v1/pods rv=123</c>.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Watches being served now.</summary>
    public int OpenWatches
    {
        get
        {
            lock (_lock)
            {
                return _watches.Count;
            }
        }
    }

    /// <summary>When set, every request is answered with this status (an API server refusing access).</summary>
    public HttpStatusCode? FailWith { get; set; }

    public static async Task<FakeApiServer> StartAsync()
    {
        var server = new FakeApiServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/api/v1/pods", context => server.HandleAsync(context, null));
        app.MapGet("/api/v1/namespaces/{ns}/pods", context => server.HandleAsync(context, (string)context.Request.RouteValues["ns"]!));
        await app.StartAsync();
        server._app = app;
        server.Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    public IKubernetes Client() => new k8s.Kubernetes(new KubernetesClientConfiguration { Host = Address });

    public void Add(V1Pod pod) => Record("ADDED", pod, silently: false);

    public void Modify(V1Pod pod) => Record("MODIFIED", pod, silently: false);

    public void Delete(V1Pod pod) => Record("DELETED", pod, silently: false);

    /// <summary>A change that no open watch hears of (as if its events were compacted away before delivery).</summary>
    public void ChangeSilently(string type, V1Pod pod) => Record(type, pod, silently: true);

    /// <summary>Forgets all history up to now and closes the open watches: they must resume, and get 410.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _compactedThrough = _version;
            _history.Clear();
            CloseWatchesLocked();
        }
    }

    /// <summary>Ends the open watches (as an API server's restart or a watch timeout does), keeping history.</summary>
    public void CloseWatches()
    {
        lock (_lock)
        {
            CloseWatchesLocked();
        }
    }

    private void CloseWatchesLocked()
    {
        foreach (var watch in _watches)
        {
            watch.Events.Writer.TryComplete();
        }

        _watches.Clear();
    }

    private void Record(string type, V1Pod pod, bool silently)
    {
        lock (_lock)
        {
            _version++;
            pod.Metadata.ResourceVersion = _version.ToString(CultureInfo.InvariantCulture);
            string key = pod.Metadata.NamespaceProperty + "/" + pod.Metadata.Name;
            if (type == "DELETED")
            {
                _pods.Remove(key);
            }
            else
            {
                _pods[key] = pod;
            }

            if (silently)
            {
                return;
            }

            // Serialised now: the test may go on to change the same object.
            var entry = (_version, type, Copy(pod));
            _history.Add(entry);
            foreach (var watch in _watches.Where(w => w.Namespace is null || w.Namespace == pod.Metadata.NamespaceProperty))
            {
                watch.Events.Writer.TryWrite(entry);
            }
        }
    }

    private async Task HandleAsync(HttpContext context, string? ns)
    {
        var query = context.Request.Query;
        bool watch = query["watch"] is var w && (w == "1" || string.Equals(w, "true", StringComparison.OrdinalIgnoreCase));
        string path = context.Request.Path;
        if (FailWith is { } status)
        {
            Requests.Enqueue($"refused {path}");
            context.Response.StatusCode = (int)status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(StatusJson((int)status, "Forbidden", "pods is forbidden: User cannot list resource pods"));
            return;
        }

        if (!watch)
        {
            V1PodList list;
            lock (_lock)
            {
                list = new V1PodList
                {
                    Kind = "PodList",
                    ApiVersion = "v1",
                    Metadata = new V1ListMeta { ResourceVersion = _version.ToString(CultureInfo.InvariantCulture) },
                    Items = [.. _pods.Values.Where(p => ns is null || p.Metadata.NamespaceProperty == ns).Select(Copy)],
                };
            }

            Requests.Enqueue($"list {path}");
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(KubernetesJson.Serialize(list));
            return;
        }

        long from = long.TryParse(query["resourceVersion"], CultureInfo.InvariantCulture, out long v) ? v : 0;
        Requests.Enqueue($"watch {path} rv={from}");
        context.Response.ContentType = "application/json";
        Watch subscription;
        List<(long Version, string Type, V1Pod Pod)> backlog;
        lock (_lock)
        {
            if (from < _compactedThrough)
            {
                subscription = null!;
                backlog = [];
            }
            else
            {
                subscription = new Watch(ns);
                _watches.Add(subscription);
                backlog = [.. _history.Where(e => e.Version > from && (ns is null || e.Pod.Metadata.NamespaceProperty == ns))];
            }
        }

        if (subscription is null)
        {
            string gone = StatusJson(410, "Expired", $"too old resource version: {from} ({_compactedThrough})");
            await WriteLineAsync(context, $"{{\"type\":\"ERROR\",\"object\":{gone}}}");
            return;
        }

        try
        {
            foreach (var entry in backlog)
            {
                await WriteEventAsync(context, entry);
            }

            await foreach (var entry in subscription.Events.Reader.ReadAllAsync(context.RequestAborted))
            {
                // Subscribed under the same lock the backlog was taken under: nothing here is in the backlog.
                if (entry.Version > from)
                {
                    await WriteEventAsync(context, entry);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (_lock)
            {
                _watches.Remove(subscription);
            }
        }
    }

    private static Task WriteEventAsync(HttpContext context, (long Version, string Type, V1Pod Pod) entry) =>
        WriteLineAsync(context, $"{{\"type\":\"{entry.Type}\",\"object\":{KubernetesJson.Serialize(entry.Pod)}}}");

    private static async Task WriteLineAsync(HttpContext context, string line)
    {
        await context.Response.WriteAsync(line + "\n", Encoding.UTF8, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    /// <summary>A metav1.Status as the API server writes it (built by hand: it is what a real server sends, byte for byte).</summary>
    private static string StatusJson(int code, string reason, string message) =>
        $"{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":\"{message}\",\"reason\":\"{reason}\",\"code\":{code}}}";

    private static V1Pod Copy(V1Pod pod) => KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(pod));

    public async ValueTask DisposeAsync()
    {
        Compact();
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token);
            await _app.DisposeAsync();
        }
    }

    private sealed class Watch(string? ns)
    {
        public string? Namespace { get; } = ns;

        public Channel<(long Version, string Type, V1Pod Pod)> Events { get; } = Channel.CreateUnbounded<(long, string, V1Pod)>();
    }
}

/// <summary>Pods as the API server returns them.</summary>
internal static class Pods
{
    private static int s_uid;

    public static V1Pod Make(
        string ns,
        string name,
        string? ip,
        (string Kind, string Name)? owner = null,
        IDictionary<string, string>? labels = null,
        bool hostNetwork = false,
        string phase = "Running",
        string node = "worker-1",
        DateTime? created = null) => new()
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Uid = $"uid-{Interlocked.Increment(ref s_uid)}",
                Labels = labels is null ? null : new Dictionary<string, string>(labels),
                CreationTimestamp = created ?? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                OwnerReferences = owner is { } o
                    ? [new V1OwnerReference { ApiVersion = "apps/v1", Kind = o.Kind, Name = o.Name, Uid = "owner-" + o.Name, Controller = true }]
                    : null,
            },
            Spec = new V1PodSpec { NodeName = node, HostNetwork = hostNetwork ? true : null, Containers = [new V1Container { Name = "main", Image = "app:1" }] },
            Status = new V1PodStatus
            {
                Phase = phase,
                PodIP = ip,
                PodIPs = ip is null ? null : [new V1PodIP { Ip = ip }],
            },
        };
}
