using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;

namespace NetSecStream.Control.Api;

public sealed record ModelInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("files")] IReadOnlyList<string> Files,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("metrics")] JsonElement? Metrics);

public sealed record ModelChoice([property: JsonPropertyName("name")] string? Name);

/// <summary>
/// The behaviour models chosen through the API (<c>Control:ModelsFile</c>): <c>Detectors:Behaviour:ModelPath</c> and
/// <c>ShadowModelPath</c> as a configuration file for <c>--config</c>, over the configuration's own values.
/// </summary>
public sealed class ModelSelection(string path, IConfiguration configuration)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Lock _gate = new();

    public string Path { get; } = path;

    /// <summary>The configuration with the file's choices on top.</summary>
    public IConfiguration Current()
    {
        lock (_gate)
        {
            return File.Exists(Path)
                ? new ConfigurationBuilder().AddInMemoryCollection(configuration.AsEnumerable()).AddJsonFile(Path, optional: false, reloadOnChange: false).Build()
                : configuration;
        }
    }

    /// <summary>Sets (or with null removes) one of ModelPath, ShadowModelPath in the file, keeping the other.</summary>
    public void Set(string key, string? folder)
    {
        lock (_gate)
        {
            var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (File.Exists(Path))
            {
                foreach (var child in new ConfigurationBuilder().AddJsonFile(Path, optional: false, reloadOnChange: false).Build().GetSection("Detectors:Behaviour").GetChildren())
                {
                    values[child.Key] = child.Value ?? "";
                }
            }

            if (folder is null)
            {
                values.Remove(key);
            }
            else
            {
                values[key] = folder;
            }

            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            string staging = Path + ".tmp";
            File.WriteAllText(staging, JsonSerializer.Serialize(new Dictionary<string, object> { ["Detectors"] = new Dictionary<string, object> { ["Behaviour"] = values } }, Indented));
            File.Move(staging, Path, overwrite: true);
        }
    }
}

/// <summary><c>/api/models</c>: the model folders and which one is live (<c>Detectors:Behaviour:ModelPath</c>) and in shadow.</summary>
internal static class ModelEndpoints
{
    private const long MaxMetricsBytes = 1024 * 1024;

    public static void Map(RouteGroupBuilder api)
    {
        var models = api.MapGroup("/models").WithTags("models").RequireAuthorization(ControlAuthentication.ViewerPolicy);
        models.MapGet("/", (ControlOptions options, ModelSelection selection) => Results.Ok(List(options, selection.Current())))
            .WithSummary("Model folders under Control:ModelsDirectory with their metrics.json; role is active, shadow or null.")
            .Produces<IReadOnlyList<ModelInfo>>();
        models.MapGet("/active", (ModelSelection selection) => One(selection.Current(), "ModelPath", "models/workload-baseline"))
            .WithSummary("The live behaviour model (Detectors:Behaviour:ModelPath).").Produces<ModelInfo>().ProducesProblem(404);
        models.MapGet("/shadow", (ModelSelection selection) => One(selection.Current(), "ShadowModelPath", null))
            .WithSummary("The shadow model (Detectors:Behaviour:ShadowModelPath), if any.").Produces<ModelInfo>().ProducesProblem(404);
        models.MapPut("/active", (HttpRequest request, ControlOptions options, ModelSelection selection, TriageStore store, ClaimsPrincipal user) =>
                ChooseAsync(request, options, selection, store, user, "ModelPath"))
            .RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("Chooses the live model by folder name ({\"name\": ...}); written to Control:ModelsFile for the processors' --config.")
            .Produces<ModelInfo>().ProducesProblem(400).ProducesProblem(404);
        models.MapPut("/shadow", (HttpRequest request, ControlOptions options, ModelSelection selection, TriageStore store, ClaimsPrincipal user) =>
                ChooseAsync(request, options, selection, store, user, "ShadowModelPath"))
            .RequireAuthorization(ControlAuthentication.AdminPolicy).WithSummary("Chooses the shadow model by folder name.")
            .Produces<ModelInfo>().ProducesProblem(400).ProducesProblem(404);
        models.MapDelete("/shadow", (ModelSelection selection, TriageStore store, ClaimsPrincipal user) =>
            {
                selection.Set("ShadowModelPath", null);
                store.Audit(ControlAuthentication.Actor(user), "model.shadow_clear", "models/shadow", null);
                return Results.NoContent();
            })
            .RequireAuthorization(ControlAuthentication.AdminPolicy).WithSummary("Drops the shadow model chosen through the API.").Produces(204);
    }

    private static async Task<IResult> ChooseAsync(HttpRequest request, ControlOptions options, ModelSelection selection, TriageStore store, ClaimsPrincipal user, string key)
    {
        var (body, problem) = await Json.ReadAsync<ModelChoice>(request).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        string? name = body!.Name;
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || name.StartsWith('.'))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["name must be a model folder name under Control:ModelsDirectory"] }, title: "invalid model");
        }

        string folder = Path.Combine(Path.GetFullPath(options.ModelsDirectory), name);
        if (!Directory.Exists(folder))
        {
            return Results.Problem(statusCode: 404, title: "no such model", detail: $"no model folder '{name}' under {Path.GetFullPath(options.ModelsDirectory)}");
        }

        // What the behaviour detector loads: a workload baseline, or a flow model's schema with its model file.
        bool loadable = File.Exists(Path.Combine(folder, "baseline.json"))
            || (File.Exists(Path.Combine(folder, "model.json")) && (File.Exists(Path.Combine(folder, "model.zip")) || File.Exists(Path.Combine(folder, "model.onnx"))));
        if (!loadable)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [$"model '{name}' has neither baseline.json nor model.json with model.zip or model.onnx: the behaviour detector cannot load it"] }, title: "invalid model");
        }

        selection.Set(key, folder);
        store.Audit(ControlAuthentication.Actor(user), key == "ModelPath" ? "model.activate" : "model.shadow", "models/" + name, null);
        var current = selection.Current();
        return Results.Ok(Describe(folder, Configured(current, "ModelPath", "models/workload-baseline"), Configured(current, "ShadowModelPath", null)));
    }

    public static IReadOnlyList<ModelInfo> List(ControlOptions options, IConfiguration configuration)
    {
        string root = Path.GetFullPath(options.ModelsDirectory);
        if (!Directory.Exists(root))
        {
            return [];
        }

        string? active = Configured(configuration, "ModelPath", "models/workload-baseline");
        string? shadow = Configured(configuration, "ShadowModelPath", null);
        return [.. Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal).Select(d => Describe(d, active, shadow))];
    }

    private static IResult One(IConfiguration configuration, string key, string? fallback)
    {
        string? path = Configured(configuration, key, fallback);
        return path is not null && Directory.Exists(path)
            ? Results.Ok(Describe(path, Configured(configuration, "ModelPath", "models/workload-baseline"), Configured(configuration, "ShadowModelPath", null)))
            : Results.Problem(statusCode: 404, title: "no such model", detail: path is null ? $"Detectors:Behaviour:{key} is not set" : $"Detectors:Behaviour:{key} '{path}' is not a folder");
    }

    private static string? Configured(IConfiguration configuration, string key, string? fallback)
    {
        string? value = configuration["Detectors:Behaviour:" + key];
        value = string.IsNullOrWhiteSpace(value) ? fallback : value;
        return value is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(value));
    }

    private static ModelInfo Describe(string folder, string? active, string? shadow)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        JsonElement? metrics = null;
        string metricsPath = Path.Combine(full, "metrics.json");
        if (File.Exists(metricsPath) && new FileInfo(metricsPath).Length <= MaxMetricsBytes)
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(metricsPath));
                metrics = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                // A model with unreadable metrics is still listed; the file's problem shows as missing metrics.
            }
        }

        string? role = string.Equals(full, active, StringComparison.Ordinal) ? "active" : string.Equals(full, shadow, StringComparison.Ordinal) ? "shadow" : null;
        return new ModelInfo(Path.GetFileName(full), full, [.. Directory.EnumerateFiles(full).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)], role, metrics);
    }
}
