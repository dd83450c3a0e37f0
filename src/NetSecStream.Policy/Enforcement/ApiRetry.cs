using k8s.Autorest;

namespace NetSecStream.Policy.Enforcement;

/// <summary>
/// Bounded retries of one API call: 409 (a conflicting write), 429 (throttled; its Retry-After is honoured), 5xx,
/// connection failures and timeouts are retried with exponential backoff and jitter up to
/// <see cref="EnforcementOptions.MaxAttempts"/>; anything else (403, 404, 422) fails at once.
/// </summary>
public sealed class ApiRetry(EnforcementOptions options, TimeProvider time)
{
    /// <summary>Raised before each retry with the attempt number (1 = the first retry) and why.</summary>
    public event Action<int, string>? Retrying;

    public async Task RunAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await call(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < options.MaxAttempts && IsTransient(ex, cancellationToken, out var retryAfter))
            {
                Retrying?.Invoke(attempt, Describe(ex));
                await Task.Delay(Delay(attempt, retryAfter), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        T result = default!;
        await RunAsync(async token => { result = await call(token).ConfigureAwait(false); }, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Short text for logs and the audit log: the status and reason of an API error, else the exception's message.</summary>
    public static string Describe(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex is HttpOperationException { Response: { } response }
            ? $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}"
            : $"{ex.GetType().Name}: {ex.Message}";
    }

    internal static bool IsTransient(Exception ex, CancellationToken cancellationToken, out TimeSpan? retryAfter)
    {
        retryAfter = null;
        switch (ex)
        {
            case HttpOperationException { Response: { } response }:
                int status = (int)response.StatusCode;
                retryAfter = RetryAfter(response);
                return status is 409 or 429 or >= 500;
            case HttpRequestException or TimeoutException or IOException:
                return true;
            case OperationCanceledException:
                // The client's own timeout, not our shutdown.
                return !cancellationToken.IsCancellationRequested;
            default:
                return false;
        }
    }

    private TimeSpan Delay(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } after)
        {
            return after < options.MaxRetryDelay ? after : options.MaxRetryDelay;
        }

        double backoff = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
#pragma warning disable CA5394 // Jitter spreads retries of several replicas; it needs no cryptographic randomness.
        backoff *= 0.5 + Random.Shared.NextDouble();
#pragma warning restore CA5394
        return TimeSpan.FromMilliseconds(Math.Min(backoff, options.MaxRetryDelay.TotalMilliseconds));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessageWrapper response)
    {
        if (response.Headers is null)
        {
            return null;
        }

        foreach (var (name, values) in response.Headers)
        {
            if (name.Equals("Retry-After", StringComparison.OrdinalIgnoreCase)
                && values.FirstOrDefault() is { } value
                && int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int seconds)
                && seconds >= 0)
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }

        return null;
    }
}
