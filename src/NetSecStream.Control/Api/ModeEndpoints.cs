using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Control.Api;

/// <summary>Modes as the API shows them and the modes file holds them: the <c>Modes</c> section of the configuration.</summary>
public sealed class ModeSettings
{
    [JsonPropertyName("default")]
    public string Default { get; set; } = "alert";

    [JsonPropertyName("namespaces")]
    public SortedDictionary<string, string> Namespaces { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Keyed <c>namespace/workload</c>, as <c>Modes:Workloads</c>.</summary>
    [JsonPropertyName("workloads")]
    public SortedDictionary<string, string> Workloads { get; set; } = new(StringComparer.Ordinal);

    /// <summary>As <c>Modes:Selectors</c>, in order (the first that matches decides).</summary>
    [JsonPropertyName("selectors")]
    public List<ModeSelector> Selectors { get; set; } = [];
}

/// <summary>One entry of <c>Modes:Selectors</c>: workloads chosen by label selector, in one namespace or all.</summary>
public sealed record ModeSelector(
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("selector")] string? Selector,
    [property: JsonPropertyName("mode")] string? Mode);

public sealed record ModeSelectorsRequest([property: JsonPropertyName("selectors")] List<ModeSelector>? Selectors);

public sealed record ModeRequest([property: JsonPropertyName("mode")] string? Mode);

/// <summary>
/// The modes file (<c>Control:ModesFile</c>): the <c>Modes</c> section as a configuration file
/// (<c>{"Modes": {"Default", "Namespaces", "Workloads"}}</c>) that <c>netsec run</c> / <c>netsec process</c> take with
/// <c>--config</c>. Until the first change it starts from the configuration's own <c>Modes</c> section.
/// </summary>
public sealed class ModesFile(string path, IConfiguration configuration)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Lock _gate = new();

    public string Path { get; } = path;

    public ModeSettings Read()
    {
        lock (_gate)
        {
            return ReadUnlocked();
        }
    }

    /// <summary>Applies <paramref name="change"/> and writes the file atomically; returns the new settings.</summary>
    public ModeSettings Update(Action<ModeSettings> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            var settings = ReadUnlocked();
            change(settings);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            string staging = Path + ".tmp";
            File.WriteAllText(staging, JsonSerializer.Serialize(new Dictionary<string, object> { ["Modes"] = new
            {
                Default = settings.Default,
                Namespaces = settings.Namespaces,
                Workloads = settings.Workloads,
                Selectors = settings.Selectors.Select(s => s.Namespace is null
                    ? new Dictionary<string, string?> { ["Selector"] = s.Selector, ["Mode"] = s.Mode }
                    : new Dictionary<string, string?> { ["Namespace"] = s.Namespace, ["Selector"] = s.Selector, ["Mode"] = s.Mode }),
            }, }, Indented));
            File.Move(staging, Path, overwrite: true);
            return settings;
        }
    }

    private ModeSettings ReadUnlocked()
    {
        var section = File.Exists(Path)
            ? new ConfigurationBuilder().AddJsonFile(Path, optional: false, reloadOnChange: false).Build().GetSection("Modes")
            : configuration.GetSection("Modes");
        var settings = new ModeSettings { Default = section["Default"] ?? "alert" };
        foreach (var child in section.GetSection("Namespaces").GetChildren())
        {
            settings.Namespaces[child.Key] = child.Value ?? "";
        }

        foreach (var child in section.GetSection("Workloads").GetChildren())
        {
            settings.Workloads[child.Key] = child.Value ?? "";
        }

        // Configuration orders array children by key as text ("10" before "2"): order them by index, as the pipeline does.
        foreach (var child in section.GetSection("Selectors").GetChildren()
                     .OrderBy(c => int.TryParse(c.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) ? i : int.MaxValue))
        {
            settings.Selectors.Add(new ModeSelector(child["Namespace"], child["Selector"] ?? "", child["Mode"] ?? ""));
        }

        return settings;
    }
}

/// <summary><c>/api/modes</c>: the cluster default and the modes per namespace and per workload.</summary>
internal static class ModeEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var modes = api.MapGroup("/modes").WithTags("modes");
        modes.MapGet("/", (ModesFile file) => Results.Ok(file.Read())).RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("The cluster default and the modes per namespace and per workload (namespace/workload).").Produces<ModeSettings>();
        modes.MapPut("/default", (HttpRequest request, ModesFile file, TriageStore store, ClaimsPrincipal user) =>
                SetAsync(request, file, store, user, "default", (s, mode) => s.Default = mode, invalid: null))
            .RequireAuthorization(ControlAuthentication.AdminPolicy).WithSummary("Sets the cluster default mode ({\"mode\": \"log\" | \"alert\" | \"block\"}).")
            .Produces<ModeSettings>().ProducesProblem(400);
        modes.MapPut("/namespaces/{ns}", (string ns, HttpRequest request, ModesFile file, TriageStore store, ClaimsPrincipal user) =>
                SetAsync(request, file, store, user, "namespace/" + ns, (s, mode) => s.Namespaces[ns] = mode, Valid(ns, null)))
            .RequireAuthorization(ControlAuthentication.AdminPolicy).WithSummary("Sets a namespace's mode.").Produces<ModeSettings>().ProducesProblem(400);
        modes.MapDelete("/namespaces/{ns}", (string ns, ModesFile file, TriageStore store, ClaimsPrincipal user) =>
                Valid(ns, null) ?? Remove(file, store, user, "namespace/" + ns, s => s.Namespaces.Remove(ns)))
            .RequireAuthorization(ControlAuthentication.AdminPolicy).WithSummary("Removes a namespace's mode (the default applies).").Produces<ModeSettings>().ProducesProblem(404);
        modes.MapPut("/workloads/{ns}/{workload}", (string ns, string workload, HttpRequest request, ModesFile file, TriageStore store, ClaimsPrincipal user) =>
                SetAsync(request, file, store, user, $"workload/{ns}/{workload}", (s, mode) => s.Workloads[$"{ns}/{workload}"] = mode, Valid(ns, workload)))
            .RequireAuthorization(ControlAuthentication.AdminPolicy).WithSummary("Sets one workload's mode.").Produces<ModeSettings>().ProducesProblem(400);
        modes.MapDelete("/workloads/{ns}/{workload}", (string ns, string workload, ModesFile file, TriageStore store, ClaimsPrincipal user) =>
                Valid(ns, workload) ?? Remove(file, store, user, $"workload/{ns}/{workload}", s => s.Workloads.Remove($"{ns}/{workload}")))
            .RequireAuthorization(ControlAuthentication.AdminPolicy).WithSummary("Removes a workload's mode (its namespace's applies).").Produces<ModeSettings>().ProducesProblem(404);
        ModeOverview.Map(modes);
    }

    internal static async Task<IResult> SetAsync(HttpRequest request, ModesFile file, TriageStore store, ClaimsPrincipal user, string target,
        Action<ModeSettings, string> apply, IResult? invalid)
    {
        if (invalid is not null)
        {
            return invalid;
        }

        var (body, problem) = await Json.ReadAsync<ModeRequest>(request).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (!ModeNames.TryParse(body!.Mode, out var mode))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["mode"] = [$"mode '{body.Mode}' is not a mode (log, alert or block)"] }, title: "invalid mode");
        }

        string name = ModeNames.ToName(mode);
        var settings = file.Update(s => apply(s, name));
        store.Audit(ControlAuthentication.Actor(user), "mode.set", target, JsonSerializer.Serialize(new Dictionary<string, string> { ["mode"] = name }));
        return Results.Ok(settings);
    }

    private static IResult Remove(ModesFile file, TriageStore store, ClaimsPrincipal user, string target, Func<ModeSettings, bool> remove)
    {
        bool removed = false;
        var settings = file.Update(s => removed = remove(s));
        if (!removed)
        {
            return Results.Problem(statusCode: 404, title: "no such mode", detail: $"no mode is set for {target}");
        }

        store.Audit(ControlAuthentication.Actor(user), "mode.remove", target, null);
        return Results.Ok(settings);
    }

    /// <summary>Kubernetes names: a namespace is a DNS label, a workload a DNS subdomain.</summary>
    internal static IResult? Valid(string ns, string? workload)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!IsName(ns, 63, allowDots: false))
        {
            errors["namespace"] = [$"'{ns}' is not a namespace name (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)"];
        }

        if (workload is not null && !IsName(workload, 253, allowDots: true))
        {
            errors["workload"] = [$"'{workload}' is not a workload name (lowercase letters, digits, '-' and '.', at most 253)"];
        }

        return errors.Count > 0 ? Results.ValidationProblem(errors, title: "invalid name") : null;
    }

    internal static bool IsName(string name, int max, bool allowDots) =>
        name.Length is > 0 && name.Length <= max && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && name.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c) || c == '-' || (allowDots && c == '.'));
}
