using System.Text.Json.Serialization;

namespace NetSecStream.Core.Ecs;

/// <summary>Source-generated (de)serialisation of the ECS document: no reflection, fast-path writing.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EcsDocument))]
[JsonSerializable(typeof(List<NetSecHeader>))]
[JsonSerializable(typeof(List<NetSecCertificate>))]
internal sealed partial class EcsJsonContext : JsonSerializerContext
{
}
