using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;

namespace NetSecStream.Control.Api;

public sealed record LoginRequest([property: JsonPropertyName("token")] string? Token);

public sealed record SessionInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("auth")] string Auth,
    [property: JsonPropertyName("csrf_header")] string? CsrfHeader,
    [property: JsonPropertyName("csrf_token")] string? CsrfToken);

public sealed record CreateTokenRequest(
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("name")] string? Name);

public sealed record CreatedToken(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("info")] TokenInfo Info);

/// <summary><c>/api/session</c> (UI login with a token, CSRF token), <c>/api/tokens</c> and <c>/api/audit</c>.</summary>
internal static class AdminEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var session = api.MapGroup("/session").WithTags("session");
        session.MapPost("/", Login).AllowAnonymous()
            .WithSummary("Logs in with an API token: sets the session cookie and returns the CSRF token cookie-authenticated changes must send in X-CSRF-TOKEN.")
            .Produces<SessionInfo>().ProducesProblem(400).ProducesProblem(401);
        session.MapGet("/", Current).RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("Who is calling; for a cookie session also a fresh CSRF token.")
            .Produces<SessionInfo>();
        session.MapDelete("/", Logout).RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("Ends the cookie session.").Produces(204);

        var tokens = api.MapGroup("/tokens").WithTags("tokens").RequireAuthorization(ControlAuthentication.AdminPolicy);
        tokens.MapGet("/", (TriageStore store) => Results.Ok(store.ListTokens())).WithSummary("API tokens (never their secrets).").Produces<IReadOnlyList<TokenInfo>>();
        tokens.MapPost("/", CreateToken).WithSummary("Creates a token; its secret is in this answer only.").Produces<CreatedToken>(201).ProducesProblem(400);
        tokens.MapDelete("/{id}", RevokeToken).WithSummary("Revokes a token (its sessions end too).").Produces(204).ProducesProblem(404);

        api.MapGet("/audit", Audit).WithTags("audit").RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("The audit log, newest first: who changed what, when (limit, before).")
            .Produces<IReadOnlyList<AuditEntry>>().ProducesProblem(400);
    }

    private static async Task<IResult> Login(HttpContext context, TriageStore store, IAntiforgery antiforgery)
    {
        var (body, problem) = await Json.ReadAsync<LoginRequest>(context.Request).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(body!.Token) || body.Token.Length > 512)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["token"] = ["token is required"] }, title: "invalid login");
        }

        if (store.FindToken(body.Token.Trim()) is not { } token)
        {
            store.Audit("anonymous", "session.login_failed", "session", null);
            return Results.Problem(statusCode: 401, title: "login failed", detail: "unknown or revoked token");
        }

        var principal = ControlAuthentication.Principal(token, ControlAuthentication.CookieScheme);
        await context.SignInAsync(ControlAuthentication.CookieScheme, principal).ConfigureAwait(false);
        // The CSRF token is bound to the user: issue it for the one just signed in.
        context.User = principal;
        var tokens = antiforgery.GetAndStoreTokens(context);
        store.Audit(ControlAuthentication.Actor(principal), "session.login", "session", null);
        return Results.Ok(new SessionInfo(token.Name, token.Role, "cookie", tokens.HeaderName, tokens.RequestToken));
    }

    private static IResult Current(HttpContext context, IAntiforgery antiforgery)
    {
        var user = context.User;
        bool cookie = ControlAuthentication.IsCookieSession(user);
        var tokens = cookie ? antiforgery.GetAndStoreTokens(context) : null;
        return Results.Ok(new SessionInfo(user.Identity?.Name ?? "", ControlRoles.ToName(ControlAuthentication.RoleOf(user)), cookie ? "cookie" : "bearer",
            tokens?.HeaderName, tokens?.RequestToken));
    }

    private static async Task<IResult> Logout(HttpContext context, TriageStore store)
    {
        if (ControlAuthentication.IsCookieSession(context.User))
        {
            await context.SignOutAsync(ControlAuthentication.CookieScheme).ConfigureAwait(false);
            store.Audit(ControlAuthentication.Actor(context.User), "session.logout", "session", null);
        }

        return Results.NoContent();
    }

    private static async Task<IResult> CreateToken(HttpRequest request, TriageStore store, ClaimsPrincipal user)
    {
        var (body, problem) = await Json.ReadAsync<CreateTokenRequest>(request).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!ControlRoles.TryParse(body!.Role, out var role))
        {
            errors["role"] = [$"role '{body.Role}' is unknown (one of: viewer, analyst, admin)"];
        }

        string name = string.IsNullOrWhiteSpace(body.Name) ? "api" : body.Name.Trim();
        if (!TokenNames.IsValid(name))
        {
            errors["name"] = [TokenNames.Rule];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "invalid token request");
        }

        var (info, secret) = store.CreateToken(role, name, ControlAuthentication.Actor(user));
        return Results.Created($"/api/tokens/{info.Id}", new CreatedToken(secret, info));
    }

    private static IResult RevokeToken(string id, TriageStore store, ClaimsPrincipal user) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long tokenId) && store.RevokeToken(tokenId, ControlAuthentication.Actor(user))
            ? Results.NoContent()
            : Results.Problem(statusCode: 404, title: "token not found", detail: $"no live token with id '{id}'");

    private static IResult Audit(HttpRequest request, TriageStore store)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        int limit = 100;
        long? before = null;
        foreach (var (key, value) in request.Query)
        {
            switch (key)
            {
                case "limit" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 1000:
                    limit = n;
                    break;
                case "limit":
                    errors[key] = [$"limit must be a whole number from 1 to 1000 (got '{value}')"];
                    break;
                case "before" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long b):
                    before = b;
                    break;
                case "before":
                    errors[key] = [$"before must be an audit entry id (got '{value}')"];
                    break;
                default:
                    errors[key] = [$"unknown parameter '{key}' (known: limit, before)"];
                    break;
            }
        }

        return errors.Count > 0 ? Results.ValidationProblem(errors, title: "invalid audit query") : Results.Ok(store.ReadAudit(limit, before));
    }
}

/// <summary>Token names: short, printable, so they read well in the audit log.</summary>
public static class TokenNames
{
    public const string Rule = "name must be 1-64 characters of letters, digits, '.', '_', '-', '@'";

    public static bool IsValid(string name) =>
        name.Length is >= 1 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@');
}
