using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Siem;

/// <summary>The receiver refused a request for a reason a retry cannot fix (a 4xx other than 408 and 429).</summary>
public sealed class HttpSinkRejectedException : Exception
{
    public HttpSinkRejectedException()
    {
    }

    public HttpSinkRejectedException(string message)
        : base(message)
    {
    }

    public HttpSinkRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode? StatusCode { get; init; }
}

/// <summary>How an HTTP sink retries; shared by <c>hec</c> and <c>webhook</c>.</summary>
internal sealed record HttpRetryPolicy(TimeSpan InitialBackoff, TimeSpan MaxBackoff, TimeSpan RetryTimeout);

/// <summary>
/// POSTs a request until the receiver accepts it (2xx). 429, 408, 5xx and network errors are retried with doubling
/// backoff (a <c>Retry-After</c> the receiver sends is honoured up to the maximum backoff) until the retry timeout;
/// any other 4xx throws <see cref="HttpSinkRejectedException"/> at once, naming the status and the receiver's answer.
/// </summary>
internal sealed class HttpDelivery : IDisposable
{
    private const int MaxErrorBodyChars = 500;

    private readonly HttpClient _client;
    private readonly string _sink;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly HttpRetryPolicy _retry;

    public HttpDelivery(string sink, TimeSpan requestTimeout, string? caFile, HttpRetryPolicy retry, NetSecMetrics metrics, ILogger logger)
    {
        _sink = sink;
        _metrics = metrics;
        _logger = logger;
        _retry = retry;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = DecompressionMethods.None };
        if (!string.IsNullOrEmpty(caFile))
        {
            var cas = new X509Certificate2Collection();
            cas.ImportFromPemFile(caFile);
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(cas);
            handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        }

        _client = new HttpClient(handler) { Timeout = requestTimeout };
    }

    /// <summary>Sends what <paramref name="build"/> makes (a fresh request per attempt) until it is accepted.</summary>
    public async Task SendAsync(Uri endpoint, Func<HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _retry.RetryTimeout;
        var backoff = _retry.InitialBackoff;
        for (int attempt = 1; ; attempt++)
        {
            string failure;
            int status = 0;
            TimeSpan? retryAfter = null;
            try
            {
                using var request = build();
                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                string body = await ReadBodyAsync(response, cancellationToken);
                failure = $"{endpoint.GetLeftPart(UriPartial.Path)} answered {status} {response.ReasonPhrase}: {body}";
                if (status is >= 400 and < 500 and not 408 and not 429)
                {
                    _metrics.SinkError(_sink);
                    throw new HttpSinkRejectedException($"{_sink} sink: {failure}") { StatusCode = response.StatusCode };
                }

                retryAfter = RetryAfter(response.Headers.RetryAfter);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException
                                           || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                failure = $"{endpoint.GetLeftPart(UriPartial.Path)}: {ex.Message}";
            }

            var wait = retryAfter is { } after ? TimeSpan.FromTicks(Math.Min(Math.Max(after.Ticks, backoff.Ticks), _retry.MaxBackoff.Ticks)) : backoff;
            if (DateTime.UtcNow + wait > deadline)
            {
                _metrics.SinkError(_sink);
                SiemSinkLog.GaveUp(_logger, _sink, 1, attempt, failure);
                throw new IOException($"{_sink} sink gave up after {attempt} attempts: {failure}");
            }

            _metrics.SinkRetry(_sink);
            SiemSinkLog.HttpRetry(_logger, _sink, endpoint.GetLeftPart(UriPartial.Path), status, wait, attempt);
            await Task.Delay(wait, cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _retry.MaxBackoff.Ticks));
        }
    }

    public void Dispose() => _client.Dispose();

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header) =>
        header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            return body.Length > MaxErrorBodyChars ? body[..MaxErrorBodyChars] + "..." : body;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return "(no body)";
        }
    }
}
