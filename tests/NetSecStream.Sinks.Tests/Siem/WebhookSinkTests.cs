using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Siem;
using NetSecStream.Sinks.Webhook;

namespace NetSecStream.Sinks.Tests.Siem;

/// <summary>The webhook sink against an in-process Kestrel receiver that verifies the signature itself.</summary>
public sealed class WebhookSinkTests : IAsyncLifetime, IDisposable
{
    private const string Secret = "s3cr3t-\u00e9-key";
    private readonly NetSecMetrics _metrics = new();
    private FakeHttpReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await FakeHttpReceiver.StartAsync();
        _receiver.Check = request => ReceiverVerifies(request) ? (204, "") : (401, "{\"error\":\"bad signature\"}");
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
    }

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public async Task ArrayMode_OneSignedPostPerBatch_ReceiverVerifiesHmac()
    {
        using var sink = new WebhookSink(Options(WebhookBodyMode.Array), _metrics);
        var alerts = Enumerable.Range(0, 5).Select(i => SiemTestKit.Alert(i, i == 2 ? SiemTestKit.Hostile : null)).ToList();

        await sink.WriteAsync(alerts, CancellationToken.None);

        var request = Assert.Single(_receiver.Accepted);
        using var doc = JsonDocument.Parse(request.Body);
        Assert.Equal(alerts.Select(a => a.Id), doc.RootElement.EnumerateArray().Select(e => e.GetProperty("event").GetProperty("id").GetString()));
        Assert.StartsWith("sha256=", request.Headers[WebhookSignature.SignatureHeader], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PerAlertMode_RetriesOn503And429_EveryAlertOnce()
    {
        using var sink = new WebhookSink(Options(WebhookBodyMode.PerAlert), _metrics);
        _receiver.FailNext(503, 429);

        await sink.WriteAsync([SiemTestKit.Alert(1), SiemTestKit.Alert(2)], CancellationToken.None);

        Assert.Equal(4, _receiver.Requests);
        var ids = _receiver.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("event").GetProperty("id").GetString()).ToList();
        Assert.Equal(["alert-000001", "alert-000002"], ids);
        Assert.Equal(ids, _receiver.Accepted.Select(r => r.Headers[WebhookSignature.DeliveryHeader]));
    }

    [Fact]
    public async Task SlackMode_PostsTextWithALinePerAlert()
    {
        var options = Options(WebhookBodyMode.Slack);
        options.MaxSlackLines = 2;
        using var sink = new WebhookSink(options, _metrics);

        await sink.WriteAsync([SiemTestKit.Alert(1), SiemTestKit.Alert(2), SiemTestKit.Alert(3)], CancellationToken.None);

        using var doc = JsonDocument.Parse(Assert.Single(_receiver.Accepted).Body);
        string text = doc.RootElement.GetProperty("text").GetString()!;
        Assert.StartsWith("NetSecStream: 3 alerts", text, StringComparison.Ordinal);
        Assert.Contains("ET POLICY test rule 1", text, StringComparison.Ordinal);
        Assert.Contains("10.0.2.16:40001 (shop/cart) -> 203.0.113.66:443 (payments/gateway)", text, StringComparison.Ordinal);
        Assert.EndsWith("... and 1 more", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongSecret_ReceiverRejects_FailsAtOnceNamingTheStatus()
    {
        var options = Options(WebhookBodyMode.Array);
        options.Secret = "not-the-secret";
        using var sink = new WebhookSink(options, _metrics);

        var error = await Assert.ThrowsAsync<HttpSinkRejectedException>(async () => await sink.WriteAsync([SiemTestKit.Alert(1)], CancellationToken.None));

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad signature", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _receiver.Requests);
    }

    [Fact]
    public void Signature_IsHmacOfTimestampDotBody()
    {
        byte[] body = "[{\"a\":1}]"u8.ToArray();
        string signature = WebhookSignature.Sign("key", 1700000000, body);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("key"u8, "1700000000.[{\"a\":1}]"u8)), signature);
        Assert.True(WebhookSignature.Verify("key", "1700000000", signature, body));
        Assert.False(WebhookSignature.Verify("key", "1700000001", signature, body));
    }

    /// <summary>What a receiver implements from the README, independently of <see cref="WebhookSignature"/>.</summary>
    private static bool ReceiverVerifies(ReceivedRequest request)
    {
        if (!request.Headers.TryGetValue("X-NetSec-Timestamp", out string? timestamp)
            || !request.Headers.TryGetValue("X-NetSec-Signature", out string? signature)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        byte[] signed = [.. Encoding.ASCII.GetBytes(timestamp + "."), .. request.RawBody];
        string expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
    }

    private WebhookSinkOptions Options(WebhookBodyMode mode) => new()
    {
        Url = new Uri(_receiver.BaseAddress, "/hooks/netsec").ToString(),
        Secret = Secret,
        Mode = mode,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        RetryTimeout = TimeSpan.FromSeconds(10),
    };
}
