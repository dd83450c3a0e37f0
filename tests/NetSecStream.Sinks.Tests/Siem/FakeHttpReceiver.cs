using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace NetSecStream.Sinks.Tests.Siem;

/// <summary>One request as the receiver got it: headers and the body after content decoding.</summary>
internal sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers, byte[] RawBody, byte[] Body);

/// <summary>
/// An in-process Kestrel server on a free loopback port. <see cref="Check"/> decides each request's status (after
/// <see cref="FailNext"/> statuses are used up); accepted requests are kept in <see cref="Accepted"/>.
/// </summary>
internal sealed class FakeHttpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _failNext = new();

    private FakeHttpReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedRequest> Accepted { get; } = new();

    public int Requests;

    public Func<ReceivedRequest, (int Status, string Body)> Check { get; set; } = _ => (200, "{\"text\":\"Success\",\"code\":0}");

    public Uri BaseAddress { get; private set; } = null!;

    public void FailNext(params int[] statuses)
    {
        foreach (int status in statuses)
        {
            _failNext.Enqueue(status);
        }
    }

    /// <param name="certificate">Serve HTTPS with this certificate (with its key) instead of HTTP.</param>
    public static async Task<FakeHttpReceiver> StartAsync(X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (certificate is null)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        }

        var app = builder.Build();
        var receiver = new FakeHttpReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseAddress = new Uri(address);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref Requests);
        using var raw = new MemoryStream();
        await context.Request.Body.CopyToAsync(raw);
        byte[] rawBody = raw.ToArray();
        byte[] body = rawBody;
        if (context.Request.Headers.ContentEncoding.ToString() == "gzip")
        {
            using var gzip = new GZipStream(new MemoryStream(rawBody), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await gzip.CopyToAsync(plain);
            body = plain.ToArray();
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new ReceivedRequest(context.Request.Path, headers, rawBody, body);
        if (_failNext.TryDequeue(out int failure))
        {
            context.Response.StatusCode = failure;
            if (failure == 429)
            {
                context.Response.Headers.RetryAfter = "0";
            }

            await context.Response.WriteAsync("{\"text\":\"Server is busy\",\"code\":9}");
            return;
        }

        var (status, answer) = Check(request);
        if (status is >= 200 and < 300)
        {
            Accepted.Enqueue(request);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer);
    }
}
