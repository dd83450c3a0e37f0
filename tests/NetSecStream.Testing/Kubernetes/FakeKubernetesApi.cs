using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NetSecStream.Core.Selectors;

namespace NetSecStream.Testing.Kubernetes;

/// <summary>One scripted failure: the next request is answered with it.</summary>
/// <param name="Method">HTTP method the fault waits for (PATCH, GET, DELETE); null: any request.</param>
/// <param name="Status">HTTP status to answer (409, 429, 500, 503 ...); 0 answers nothing and drops the connection; 2xx serves the request as usual (after <paramref name="Delay"/>).</param>
/// <param name="RetryAfterSeconds">Sent as <c>Retry-After</c> when set.</param>
/// <param name="Delay">Waited before answering (a slow server; the client may time out first).</param>
public sealed record KubernetesFault(string? Method, int Status, int? RetryAfterSeconds = null, TimeSpan Delay = default);

/// <summary>One request the fake received.</summary>
public sealed record KubernetesRequest(string Method, string Path, string Query, string? ContentType, int Status);

/// <summary>
/// An in-process Kubernetes API server (Kestrel on a loopback port) for custom objects, speaking as much of the API as
/// server-side apply needs: <c>PATCH</c> with <c>application/apply-patch+yaml</c> (a <c>fieldManager</c> is required;
/// the body must be JSON, the subset of YAML clients send) creates or replaces the object and bumps its
/// resourceVersion; <c>GET</c> of one object; <c>GET</c> of a collection, in one namespace or all, with
/// <c>labelSelector</c>, <c>limit</c> and <c>continue</c>; <c>DELETE</c>. Objects are kept by
/// group/version/plural/namespace/name. Failures are scripted with <see cref="Faults"/>: 409, 429 with Retry-After,
/// 5xx, delays, dropped connections. Errors are <c>Status</c> objects as the real server sends.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    public const string ApplyPatchContentType = "application/apply-patch+yaml";

    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private long _resourceVersion = 1000;

    public string Url { get; private set; } = "";

    /// <summary>Failures to answer, in order, each to the first request it matches.</summary>
    public ConcurrentQueue<KubernetesFault> Faults { get; } = new();

    /// <summary>Every request, in order of arrival, with the status it was answered.</summary>
    public ConcurrentQueue<KubernetesRequest> Requests { get; } = new();

    /// <summary>Field managers of applies, in order (server-side apply requires one).</summary>
    public ConcurrentQueue<string> FieldManagers { get; } = new();

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var api = new FakeKubernetesApi();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(api.ServeAsync);
        await app.StartAsync().ConfigureAwait(false);
        api._app = app;
        api.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return api;
    }

    /// <summary>Stored objects of one resource (<c>group/version/plural</c>), in every namespace.</summary>
    public IReadOnlyList<JsonObject> Objects(string group, string version, string plural)
    {
        string prefix = $"{group}/{version}/{plural}/";
        lock (_lock)
        {
            return [.. _objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(o => (JsonObject)o.Value.DeepClone())];
        }
    }

    public JsonObject? Get(string group, string version, string plural, string? ns, string name)
    {
        lock (_lock)
        {
            return _objects.TryGetValue(Key(group, version, plural, ns, name), out var obj) ? (JsonObject)obj.DeepClone() : null;
        }
    }

    /// <summary>Stores an object as if someone else had created it (a leftover from an earlier run, a hand-made policy).</summary>
    public void Put(string group, string version, string plural, string? ns, JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        string name = obj["metadata"]?["name"]?.GetValue<string>() ?? throw new ArgumentException("object has no metadata.name", nameof(obj));
        lock (_lock)
        {
            Stamp(obj, null);
            _objects[Key(group, version, plural, ns, name)] = obj;
        }
    }

    public int Count(string method) => Requests.Count(r => r.Method == method);

    /// <summary>A kubeconfig with one context per (name, server), all without TLS, written to <paramref name="path"/>.</summary>
    public static void WriteKubeconfig(string path, params (string Context, string Server)[] contexts)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        var text = new StringBuilder();
        text.Append("apiVersion: v1\nkind: Config\n");
        text.Append(CultureInfo.InvariantCulture, $"current-context: {contexts[0].Context}\n");
        text.Append("clusters:\n");
        foreach (var (context, server) in contexts)
        {
            text.Append(CultureInfo.InvariantCulture, $"- name: {context}\n  cluster:\n    server: {server}\n");
        }

        text.Append("users:\n- name: tester\n  user:\n    token: fake-token\n");
        text.Append("contexts:\n");
        foreach (var (context, _) in contexts)
        {
            text.Append(CultureInfo.InvariantCulture, $"- name: {context}\n  context:\n    cluster: {context}\n    user: tester\n");
        }

        File.WriteAllText(path, text.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        int status;
        try
        {
            status = await RouteAsync(context).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A fake server answers every failure of its own with a 500 that says what went wrong.
        catch (Exception ex) when (!context.Response.HasStarted)
#pragma warning restore CA1031
        {
            status = await StatusAsync(context.Response, 500, "InternalError", ex.ToString()).ConfigureAwait(false);
        }

        Requests.Enqueue(new KubernetesRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", request.ContentType, status));
    }

    private async Task<int> RouteAsync(HttpContext context)
    {
        var request = context.Request;
        if (TakeFault(request.Method) is { } fault)
        {
            if (fault.Delay > TimeSpan.Zero)
            {
                await Task.Delay(fault.Delay, context.RequestAborted).ConfigureAwait(false);
            }

            if (fault.Status == 0)
            {
                context.Abort();
                return 0;
            }

            if (fault.Status is >= 200 and < 300)
            {
                return await ServeNormallyAsync(context).ConfigureAwait(false);
            }

            if (fault.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }

            return await StatusAsync(context.Response, fault.Status, fault.Status switch
            {
                409 => "Conflict",
                429 => "TooManyRequests",
                503 => "ServiceUnavailable",
                _ => "InternalError",
            }, "injected fault").ConfigureAwait(false);
        }

        return await ServeNormallyAsync(context).ConfigureAwait(false);
    }

    private async Task<int> ServeNormallyAsync(HttpContext context)
    {
        var request = context.Request;

        // /apis/{group}/{version}[/namespaces/{ns}]/{plural}[/{name}]
        string[] parts = (request.Path.Value ?? "").Trim('/').Split('/');
        if (parts.Length < 4 || parts[0] != "apis")
        {
            return await StatusAsync(context.Response, 404, "NotFound", $"no route for {request.Path}").ConfigureAwait(false);
        }

        string group = parts[1], version = parts[2];
        string? ns = null;
        int rest = 3;
        if (parts[3] == "namespaces" && parts.Length >= 6)
        {
            ns = parts[4];
            rest = 5;
        }

        string plural = parts[rest];
        string? name = parts.Length > rest + 1 ? parts[rest + 1] : null;
        return (request.Method, name) switch
        {
            ("GET", null) => await ListAsync(context, group, version, plural, ns).ConfigureAwait(false),
            ("GET", _) => await GetAsync(context, group, version, plural, ns, name).ConfigureAwait(false),
            ("PATCH", not null) => await ApplyAsync(context, group, version, plural, ns, name).ConfigureAwait(false),
            ("DELETE", not null) => await DeleteAsync(context, group, version, plural, ns, name).ConfigureAwait(false),
            _ => await StatusAsync(context.Response, 405, "MethodNotAllowed", $"{request.Method} {request.Path}").ConfigureAwait(false),
        };
    }

    private async Task<int> ApplyAsync(HttpContext context, string group, string version, string plural, string? ns, string name)
    {
        var request = context.Request;
        if (request.ContentType?.StartsWith(ApplyPatchContentType, StringComparison.Ordinal) != true)
        {
            return await StatusAsync(context.Response, 415, "UnsupportedMediaType", $"this fake only takes server-side apply, not {request.ContentType}").ConfigureAwait(false);
        }

        string? fieldManager = request.Query["fieldManager"];
        if (string.IsNullOrEmpty(fieldManager))
        {
            return await StatusAsync(context.Response, 400, "BadRequest", "PATCH with apply-patch requires a fieldManager").ConfigureAwait(false);
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        string body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException ex)
        {
            return await StatusAsync(context.Response, 400, "BadRequest", $"body is not a JSON object: {ex.Message}").ConfigureAwait(false);
        }

        if (obj["metadata"]?["name"]?.GetValue<string>() != name)
        {
            return await StatusAsync(context.Response, 400, "BadRequest", $"metadata.name does not match the path's name '{name}'").ConfigureAwait(false);
        }

        string? bodyNamespace = obj["metadata"]?["namespace"]?.GetValue<string>();
        if (bodyNamespace != ns)
        {
            return await StatusAsync(context.Response, 400, "BadRequest", $"metadata.namespace '{bodyNamespace}' does not match the path's namespace '{ns}'").ConfigureAwait(false);
        }

        if (obj["apiVersion"]?.GetValue<string>() != $"{group}/{version}" || obj["kind"] is null)
        {
            return await StatusAsync(context.Response, 400, "BadRequest", "apiVersion must match the path and kind must be set").ConfigureAwait(false);
        }

        FieldManagers.Enqueue(fieldManager);
        bool created;
        JsonObject stored;
        lock (_lock)
        {
            string key = Key(group, version, plural, ns, name);
            created = !_objects.TryGetValue(key, out var existing);

            // One field manager owns every field here, so applying its full intent replaces the object's content.
            Stamp(obj, existing);
            _objects[key] = obj;
            stored = (JsonObject)obj.DeepClone();
        }

        return await AnswerAsync(context.Response, created ? 201 : 200, stored).ConfigureAwait(false);
    }

    private async Task<int> GetAsync(HttpContext context, string group, string version, string plural, string? ns, string name)
    {
        var obj = Get(group, version, plural, ns, name);
        return obj is null
            ? await StatusAsync(context.Response, 404, "NotFound", $"{plural} \"{name}\" not found").ConfigureAwait(false)
            : await AnswerAsync(context.Response, 200, obj).ConfigureAwait(false);
    }

    private async Task<int> ListAsync(HttpContext context, string group, string version, string plural, string? ns)
    {
        var query = context.Request.Query;
        if (!LabelSelector.TryParse(query["labelSelector"], out var selector, out string? error))
        {
            return await StatusAsync(context.Response, 400, "BadRequest", $"labelSelector: {error}").ConfigureAwait(false);
        }

        int limit = int.TryParse(query["limit"], NumberStyles.Integer, CultureInfo.InvariantCulture, out int l) && l > 0 ? l : int.MaxValue;
        int start = int.TryParse(query["continue"], NumberStyles.Integer, CultureInfo.InvariantCulture, out int c) ? c : 0;
        string prefix = ns is null ? $"{group}/{version}/{plural}/" : $"{group}/{version}/{plural}/{ns}/";
        List<JsonObject> matching;
        string resourceVersion;
        lock (_lock)
        {
            matching = [.. _objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal) && selector.Matches(Labels(o.Value)))
                .Select(o => (JsonObject)o.Value.DeepClone())];
            resourceVersion = _resourceVersion.ToString(CultureInfo.InvariantCulture);
        }

        var page = matching.Skip(start).Take(limit).ToList();
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion };
        if (start + page.Count < matching.Count)
        {
            metadata["continue"] = (start + page.Count).ToString(CultureInfo.InvariantCulture);
        }

        var list = new JsonObject
        {
            ["apiVersion"] = $"{group}/{version}",
            ["kind"] = "List",
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. page]),
        };
        return await AnswerAsync(context.Response, 200, list).ConfigureAwait(false);
    }

    private async Task<int> DeleteAsync(HttpContext context, string group, string version, string plural, string? ns, string name)
    {
        bool removed;
        lock (_lock)
        {
            removed = _objects.Remove(Key(group, version, plural, ns, name));
        }

        return removed
            ? await AnswerAsync(context.Response, 200, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Success" }).ConfigureAwait(false)
            : await StatusAsync(context.Response, 404, "NotFound", $"{plural} \"{name}\" not found").ConfigureAwait(false);
    }

    private KubernetesFault? TakeFault(string method)
    {
        lock (_lock)
        {
            if (Faults.TryPeek(out var fault) && (fault.Method is null || fault.Method == method))
            {
                Faults.TryDequeue(out _);
                return fault;
            }

            return null;
        }
    }

    private void Stamp(JsonObject obj, JsonObject? existing)
    {
        var metadata = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = metadata;
        metadata["resourceVersion"] = (++_resourceVersion).ToString(CultureInfo.InvariantCulture);
        metadata["uid"] = existing?["metadata"]?["uid"]?.DeepClone() ?? Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = existing?["metadata"]?["creationTimestamp"]?.DeepClone() ?? DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string> Labels(JsonObject obj)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"]?["labels"] is JsonObject node)
        {
            foreach (var (key, value) in node)
            {
                labels[key] = value?.GetValue<string>() ?? "";
            }
        }

        return labels;
    }

    private static string Key(string group, string version, string plural, string? ns, string name) => $"{group}/{version}/{plural}/{ns}/{name}";

    private static async Task<int> AnswerAsync(HttpResponse response, int status, JsonNode body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString()).ConfigureAwait(false);
        return status;
    }

    private static Task<int> StatusAsync(HttpResponse response, int code, string reason, string message) =>
        AnswerAsync(response, code, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        });
}
