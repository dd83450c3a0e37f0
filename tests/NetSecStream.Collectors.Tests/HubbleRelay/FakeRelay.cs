using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NetSecStream.Collectors.HubbleRelay.Protocol;

// The server stubs generated in this project declare Observer again; the local (server) half is the one meant here.
#pragma warning disable CS0436

namespace NetSecStream.Collectors.Tests.HubbleRelay;

/// <summary>
/// A scripted Hubble Relay: serves its flows as Hubble does (the last <c>number</c>, or those at or after <c>since</c>),
/// records every request, can break the first stream after a number of messages, and holds followed streams open.
/// </summary>
internal sealed class FakeObserver(IReadOnlyList<GetFlowsResponse> responses) : Observer.ObserverBase
{
    private int _calls;

    public ConcurrentQueue<GetFlowsRequest> Requests { get; } = new();

    /// <summary>When set, the first call is aborted (connection reset) after this many messages.</summary>
    public int? BreakFirstCallAfter { get; init; }

    public int Calls => Volatile.Read(ref _calls);

    public override async Task GetFlows(GetFlowsRequest request, IServerStreamWriter<GetFlowsResponse> responseStream, ServerCallContext context)
    {
        int call = Interlocked.Increment(ref _calls);
        Requests.Enqueue(request.Clone());
        IEnumerable<GetFlowsResponse> selected = request.Since is not null
            ? responses.Where(response => TimeOf(response) is { } time && time.CompareTo(request.Since) >= 0)
            : request.Number > 0 ? responses.TakeLast((int)Math.Min(request.Number, int.MaxValue)) : [];
        int sent = 0;
        foreach (var response in selected)
        {
            if (call == 1 && sent == BreakFirstCallAfter)
            {
                context.GetHttpContext().Abort();
                return;
            }

            await responseStream.WriteAsync(response, context.CancellationToken);
            sent++;
        }

        if (request.Follow)
        {
            // Following: nothing new happens in this cluster; the stream stays open until the client leaves.
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public static Timestamp? TimeOf(GetFlowsResponse response) => response.Flow?.Time ?? response.Time;
}

/// <summary>Kestrel on 127.0.0.1 (a free port), HTTP/2 without TLS, serving one <see cref="FakeObserver"/>.</summary>
internal sealed class FakeRelayServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeRelayServer(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    public string Address { get; }

    /// <summary>Starts the relay; with <paramref name="certificate"/> it speaks TLS (HTTP/2 by ALPN), as a secured relay does.</summary>
    public static async Task<FakeRelayServer> StartAsync(FakeObserver observer, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(observer);
        var app = builder.Build();
        app.MapGrpcService<FakeObserver>();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeRelayServer(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>Hubble's JSON (<c>hubble observe -o json</c>) read into the relay's protobuf messages.</summary>
internal static class RelayJson
{
    // Strict: a field of the samples that the protos lack fails the test instead of being dropped silently.
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public static GetFlowsResponse Parse(byte[] line) => Parser.Parse<GetFlowsResponse>(Encoding.UTF8.GetString(line));
}
