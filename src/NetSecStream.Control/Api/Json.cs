using System.Text.Json;

namespace NetSecStream.Control.Api;

/// <summary>Reads request bodies with errors a client can act on (the framework's own binding answers a bare 400).</summary>
internal static class Json
{
    private const long MaxBodyBytes = 1024 * 1024;

    private static readonly JsonSerializerOptions Options = new()
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 16,
    };

    public static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Results.Problem(statusCode: 415, title: "unsupported media type", detail: "send the body as application/json"));
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, Results.Problem(statusCode: 413, title: "body too large", detail: $"the body may be at most {MaxBodyBytes} bytes"));
        }

        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return body is null
                ? (null, Results.Problem(statusCode: 400, title: "invalid JSON body", detail: "the body is empty or null"))
                : (body, null);
        }
        catch (JsonException ex)
        {
            string where = ex.Path is { Length: > 0 } path ? $" at {path}" : "";
            string reason = ex.Message.Split(" Path:", 2)[0];
            return (null, Results.Problem(statusCode: 400, title: "invalid JSON body", detail: $"{reason}{where}"));
        }
    }
}
