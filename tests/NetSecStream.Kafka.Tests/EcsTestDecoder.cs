using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;

namespace NetSecStream.Kafka.Tests;

/// <summary>
/// Decodes the ECS flow documents the publisher writes to the flows topic (id <c>ecs_json</c>), as the processor's
/// decoder does. Stands in until the product's EcsFlowDecoder lands; it is EcsJson.ReadFlow and nothing else.
/// </summary>
internal sealed class EcsTestDecoder : IFlowDecoder
{
    public string Id => "ecs_json";

    public ComponentKind Kind => ComponentKind.Decoder;

    public DecodeResult Decode(ReadOnlySpan<byte> payload) => EcsJson.ReadFlow(payload);
}
