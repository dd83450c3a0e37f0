using System.Text.Json.Serialization;
using NetSecStream.Control.Security;
using NetSecStream.Policy.Enforcement;

namespace NetSecStream.Control.Api;

/// <summary>One block rule the enforcement sync holds, as the API shows it.</summary>
public sealed record BlockView(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("peer")] string Peer,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("expires")] DateTimeOffset Expires,
    [property: JsonPropertyName("repeat_count")] int RepeatCount);

/// <summary>Block rules in force: <c>GET /api/blocks</c> (viewer). Answers 404 when enforcement is off in this process.</summary>
internal static class BlockEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/blocks", (IServiceProvider services) =>
            {
                var enforcement = services.GetService<EnforcementService>();
                if (enforcement is null)
                {
                    return Results.Problem(statusCode: 404, title: "Enforcement is off",
                        detail: "This control plane was started without Enforcement:Enabled; no block rules are synced.");
                }

                var blocks = enforcement.ActiveBlocks
                    .OrderBy(b => b.Expires)
                    .Select(b => new BlockView(b.Target, b.Resource.Kind, b.Namespace, b.Name, b.PeerKey, b.Created, b.Expires, b.RepeatCount))
                    .ToList();
                return Results.Ok(blocks);
            })
            .RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithTags("blocks")
            .WithSummary("Block rules in force, soonest expiry first.")
            .Produces<List<BlockView>>();
    }
}
