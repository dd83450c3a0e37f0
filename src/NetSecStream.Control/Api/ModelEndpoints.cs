using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using NetSecStream.Control.Security;

namespace NetSecStream.Control.Api;

public sealed record ModelInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("files")] IReadOnlyList<string> Files,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("metrics")] JsonElement? Metrics);

/// <summary><c>/api/models</c>: the model folders and which one is live (<c>Detectors:Behaviour:ModelPath</c>) and in shadow.</summary>
internal static class ModelEndpoints
{
    private const long MaxMetricsBytes = 1024 * 1024;

    public static void Map(RouteGroupBuilder api)
    {
        var models = api.MapGroup("/models").WithTags("models").RequireAuthorization(ControlAuthentication.ViewerPolicy);
        models.MapGet("/", (ControlOptions options, IConfiguration configuration) => Results.Ok(List(options, configuration)))
            .WithSummary("Model folders under Control:ModelsDirectory with their metrics.json; role is active, shadow or null.")
            .Produces<IReadOnlyList<ModelInfo>>();
        models.MapGet("/active", (IConfiguration configuration) => One(configuration, "ModelPath", "models/workload-baseline"))
            .WithSummary("The live behaviour model (Detectors:Behaviour:ModelPath).").Produces<ModelInfo>().ProducesProblem(404);
        models.MapGet("/shadow", (IConfiguration configuration) => One(configuration, "ShadowModelPath", null))
            .WithSummary("The shadow model (Detectors:Behaviour:ShadowModelPath), if any.").Produces<ModelInfo>().ProducesProblem(404);
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
