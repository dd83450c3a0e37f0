using System.Text.Json;

namespace NetSecStream.Behaviour.Detection;

/// <summary>The model folders a models file names; null where it names none (the configured one applies).</summary>
public sealed record BehaviourModelChoice(string? ModelPath, string? ShadowModelPath);

/// <summary>
/// Reads the control plane's models file (<c>Detectors:Behaviour:ModelsFile</c>, written by <c>PUT /api/models/active</c>
/// and <c>/shadow</c>): a JSON configuration fragment <c>{"Detectors": {"Behaviour": {"ModelPath": ..., "ShadowModelPath": ...}}}</c>.
/// Anything else in it is an error, so a file meant for another purpose is never half-read.
/// </summary>
public static class BehaviourModelsFile
{
    /// <summary>Larger files are refused: the file holds two paths.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The choice in <paramref name="path"/>; throws <see cref="InvalidDataException"/> naming the file for any problem.</summary>
    public static BehaviourModelChoice Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxBytes)
            {
                throw new InvalidDataException($"{path}: {info.Length} bytes, more than the {MaxBytes} a models file may have");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot be read: {ex.Message}", ex);
        }

        return Parse(bytes, path);
    }

    /// <summary>Parses the file's text; <paramref name="source"/> names it in errors.</summary>
    public static BehaviourModelChoice Parse(ReadOnlySpan<byte> json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}:{(ex.LineNumber ?? 0) + 1}: not JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var behaviour = Only(Only(document.RootElement, "Detectors", source, "the root"), "Behaviour", source, "Detectors");
            string? live = null, shadow = null;
            foreach (var property in behaviour.EnumerateObject())
            {
                bool known = string.Equals(property.Name, "ModelPath", StringComparison.OrdinalIgnoreCase)
                    || string.Equals(property.Name, "ShadowModelPath", StringComparison.OrdinalIgnoreCase);
                if (known && property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    throw new InvalidDataException($"{source}: Detectors:Behaviour:{property.Name} must be a string (a model folder)");
                }

                string? value = property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 } text ? text : null;
                if (string.Equals(property.Name, "ModelPath", StringComparison.OrdinalIgnoreCase))
                {
                    live = value;
                }
                else if (string.Equals(property.Name, "ShadowModelPath", StringComparison.OrdinalIgnoreCase))
                {
                    shadow = value;
                }
                else
                {
                    throw new InvalidDataException($"{source}: unknown key Detectors:Behaviour:{property.Name} (a models file holds ModelPath and ShadowModelPath only)");
                }
            }

            return new BehaviourModelChoice(live, shadow);
        }
    }

    private static JsonElement Only(JsonElement element, string key, string source, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{source}: {where} must be a JSON object");
        }

        JsonElement? found = null;
        foreach (var property in element.EnumerateObject())
        {
            if (!string.Equals(property.Name, key, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{source}: unknown key '{property.Name}' in {where} (a models file holds Detectors:Behaviour only)");
            }

            found = property.Value;
        }

        return found is { ValueKind: JsonValueKind.Object } value
            ? value
            : throw new InvalidDataException($"{source}: {where} must hold the object '{key}'");
    }
}
