using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Control.Store;

namespace NetSecStream.Control.Security;

/// <summary>
/// Who may call the API: an API token as <c>Authorization: Bearer</c>, or the UI's session cookie obtained by logging in
/// with a token. Either way the caller carries the token's name, id and role.
/// </summary>
public static class ControlAuthentication
{
    public const string BearerScheme = "Bearer";
    public const string CookieScheme = "netsec_session";
    public const string Scheme = "netsec";
    public const string TokenIdClaim = "netsec:token_id";
    public const string CookieName = "netsec_session";
    public const string CsrfHeader = "X-CSRF-TOKEN";

    public const string ViewerPolicy = "viewer";
    public const string AnalystPolicy = "analyst";
    public const string AdminPolicy = "admin";

    public static ClaimsPrincipal Principal(TokenInfo token, string scheme)
    {
        ArgumentNullException.ThrowIfNull(token);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, token.Name),
                new Claim(ClaimTypes.Role, token.Role),
                new Claim(TokenIdClaim, token.Id.ToString(CultureInfo.InvariantCulture)),
            ],
            scheme, ClaimTypes.Name, ClaimTypes.Role);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>How the audit log names the caller: the token's name and id.</summary>
    public static string Actor(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return $"{user.Identity?.Name ?? "unknown"} (token {user.FindFirstValue(TokenIdClaim) ?? "?"})";
    }

    public static ControlRole RoleOf(ClaimsPrincipal user) =>
        ControlRoles.TryParse(user?.FindFirstValue(ClaimTypes.Role), out var role) ? role : 0;

    /// <summary>True when the request was authenticated by the session cookie (and so needs a CSRF token to change anything).</summary>
    public static bool IsCookieSession(ClaimsPrincipal user) => user?.Identity is { IsAuthenticated: true, AuthenticationType: CookieScheme };

    public static IServiceCollection AddControlAuthentication(this IServiceCollection services, ControlOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "bearer token or session cookie", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 ? BearerScheme : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerScheme, null)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict;
                o.Cookie.SecurePolicy = options.SecureCookies ? Microsoft.AspNetCore.Http.CookieSecurePolicy.Always : Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = options.SessionIdleTimeout;
                o.SlidingExpiration = true;
                // An API answers with status codes, never a redirect to a login page.
                o.Events.OnRedirectToLogin = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return Task.CompletedTask;
                };
                o.Events.OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
                // A revoked token ends the sessions opened with it.
                o.Events.OnValidatePrincipal = context =>
                {
                    var store = context.HttpContext.RequestServices.GetRequiredService<TriageStore>();
                    if (!long.TryParse(context.Principal?.FindFirstValue(TokenIdClaim), NumberStyles.None, CultureInfo.InvariantCulture, out long id) || !store.IsTokenLive(id))
                    {
                        context.RejectPrincipal();
                    }

                    return Task.CompletedTask;
                };
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(ViewerPolicy, p => p.RequireAuthenticatedUser().RequireAssertion(c => RoleOf(c.User) >= ControlRole.Viewer))
            .AddPolicy(AnalystPolicy, p => p.RequireAuthenticatedUser().RequireAssertion(c => RoleOf(c.User) >= ControlRole.Analyst))
            .AddPolicy(AdminPolicy, p => p.RequireAuthenticatedUser().RequireAssertion(c => RoleOf(c.User) >= ControlRole.Admin))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddAntiforgery(o =>
        {
            o.HeaderName = CsrfHeader;
            o.Cookie.Name = "netsec_csrf";
            o.Cookie.SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict;
        });
        return services;
    }
}

/// <summary><c>Authorization: Bearer &lt;token&gt;</c> against the store's token hashes.</summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TriageStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 512)
        {
            return Task.FromResult(AuthenticateResult.Fail("Authorization must be 'Bearer <token>'"));
        }

        var token = store.FindToken(header[7..].Trim());
        return Task.FromResult(token is null
            ? AuthenticateResult.Fail("unknown or revoked token")
            : AuthenticateResult.Success(new AuthenticationTicket(ControlAuthentication.Principal(token, ControlAuthentication.BearerScheme), ControlAuthentication.BearerScheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
