using System.Collections.Frozen;
using System.Globalization;
using Microsoft.Extensions.FileProviders;

namespace NetSecStream.Control.Ui;

/// <summary>
/// The web UI: static files embedded in this assembly (so any working directory serves them) under <c>/ui/</c>, plus
/// the two read endpoints only the UI needs (<see cref="UiEndpoints"/>). The files hold no data: they are served to
/// anyone, and every request they make goes through the API's own authentication.
/// </summary>
public static class ControlUi
{
    public const string Prefix = "/ui";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".json"] = "application/json",
        [".ico"] = "image/x-icon",
        [".png"] = "image/png",
        [".txt"] = "text/plain; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    // Inline scripts and styles are never needed, so none are allowed: an injected alert field cannot run as code.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    /// <summary>Maps <c>/</c> (redirect), <c>/ui/**</c> (the embedded files) and the UI's API additions.</summary>
    public static WebApplication MapControlUi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var files = new ManifestEmbeddedFileProvider(typeof(ControlUi).Assembly, "wwwroot");
        // One build, one set of files: the assembly's identity is a strong validator for every file in it.
        string version = typeof(ControlUi).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..16];

        // AllowAnonymous: the fallback authorization policy would otherwise demand a login for the login page itself.
        app.MapGet("/", () => Results.Redirect(Prefix + "/")).AllowAnonymous().ExcludeFromDescription();
        app.MapMethods(Prefix + "/{**path}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, string? path) => Serve(context, files, version, path))
            .AllowAnonymous().ExcludeFromDescription();
        UiEndpoints.Map(app.MapGroup("/api"));
        return app;
    }

    private static async Task Serve(HttpContext context, ManifestEmbeddedFileProvider files, string version, string? path)
    {
        var response = context.Response;
        // "/ui" also matches the catch-all; the page's relative links need the trailing slash.
        if (string.IsNullOrEmpty(path) && !context.Request.Path.Value!.EndsWith('/'))
        {
            response.Redirect(context.Request.PathBase + Prefix + "/");
            return;
        }

        string relative = string.IsNullOrEmpty(path) ? "index.html" : path;
        // The provider already refuses paths outside wwwroot; a '..' or a backslash is refused here so no lookup is ever made for one.
        if (relative.Contains("..", StringComparison.Ordinal) || relative.Contains('\\', StringComparison.Ordinal) || relative.Length > 200
            || !ContentTypes.TryGetValue(Path.GetExtension(relative), out string? contentType))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var file = files.GetFileInfo(relative);
        if (!file.Exists || file.IsDirectory)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        string etag = $"\"{version}-{file.Length.ToString(CultureInfo.InvariantCulture)}\"";
        response.Headers.ETag = etag;
        // Revalidate each time (cheap: a 304), so a new build is picked up without a hard reload.
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (context.Request.Headers.IfNoneMatch is { Count: > 0 } match && match.Any(m => m is not null && (m == etag || m == "*")))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = contentType;
        response.ContentLength = file.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        await using var stream = file.CreateReadStream();
        await stream.CopyToAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
