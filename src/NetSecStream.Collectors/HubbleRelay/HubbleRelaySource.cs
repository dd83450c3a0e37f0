using System.Globalization;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetSecStream.Collectors.HubbleRelay.Protocol;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.HubbleRelay;

/// <summary>
/// Streams flows from Hubble Relay (or one Cilium agent's Hubble server) over gRPC: <c>observer.Observer/GetFlows</c>,
/// with the configured allow and deny lists sent as Hubble flow filters so the relay does the filtering. Each flow
/// is mapped to the same <see cref="Core.Events.FlowEvent"/> the JSON decoder makes of it; a flow that cannot be used
/// is counted (<c>netsec_events_rejected{component="hubble_relay"}</c>), logged and raised through
/// <see cref="Rejected"/>, and the stream goes on. With <see cref="HubbleRelayOptions.Follow"/> a broken or ended
/// stream is counted (<c>netsec_source_errors</c>) and reopened after an exponential, jittered, bounded backoff,
/// asking for flows since the newest flow time seen; the flows at exactly that time that were already delivered come
/// again (Hubble's <c>since</c> is inclusive) and are recognised and dropped, so a reconnection neither loses nor repeats.
/// <see cref="SourcedFlow.Position"/> is the number of the relay's message since the source started. Hubble keeps no
/// consumer position, so <see cref="IFlowEventSource.CommitAsync"/> has nothing to do: a restarted source begins again
/// with <see cref="HubbleRelayOptions.Last"/> flows of the relay's buffer. One reader at a time.
/// </summary>
public sealed class HubbleRelaySource : IFlowEventSource, IAsyncDisposable, IDisposable
{
    public const string ComponentId = "hubble_relay";

    /// <summary>How many already delivered flows sharing the newest timestamp are remembered to drop their replays.</summary>
    private const int BoundaryMemory = 1024;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly HubbleRelayOptions _options;
    private readonly NetSecMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly Random _jitter;
    private readonly HubbleRelayFlowMapper _mapper;
    private readonly IReadOnlyList<FlowFilter> _whitelist;
    private readonly IReadOnlyList<FlowFilter> _blacklist;
    private readonly List<Flow> _atNewestTime = [];
    private readonly List<Flow> _replayed = [];
    private readonly Lock _channelLock = new();
    private GrpcChannel? _channel;
    private Timestamp? _newestTime;
    private Timestamp? _replayTime;
    private long _position;
    private volatile bool _stopped;

    public HubbleRelaySource(HubbleRelayOptions options, NetSecMetrics? metrics = null, ILogger? logger = null)
        : this(options, metrics, logger, Task.Delay, Random.Shared)
    {
    }

    /// <summary>For tests: <paramref name="delay"/> stands in for the backoff waits and <paramref name="jitter"/> for their randomness.</summary>
    internal HubbleRelaySource(HubbleRelayOptions options, NetSecMetrics? metrics, ILogger? logger, Func<TimeSpan, CancellationToken, Task> delay, Random jitter)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new HubbleRelayOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(HubbleRelayOptions), typeof(HubbleRelayOptions), validation.Failures);
        }

        _options = options;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        _delay = delay;
        _jitter = jitter;
        _mapper = new HubbleRelayFlowMapper(options.CollectorId, options.Cluster);
        _whitelist = HubbleRelayFilters.Build(options.Allow);
        _blacklist = HubbleRelayFilters.Build(options.Deny);
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Source;

    /// <summary>The origin of every flow: the relay's address.</summary>
    public string Origin => _options.Address;

    /// <summary>How long <see cref="StartAsync"/> waits for the relay to accept a connection.</summary>
    internal TimeSpan StartTimeout { get; init; } = ConnectTimeout;

    /// <summary>Raised for each relay message that held no usable flow, with the message's bytes.</summary>
    public event Action<DeadLetter>? Rejected;

    /// <summary>
    /// Reads the TLS files and opens a connection to the relay, so a wrong address or unusable certificate file stops
    /// start-up with the key at fault instead of retrying forever; later breaks are retried. (TLS itself is negotiated
    /// with the first request: a certificate the relay rejects, or one not trusted here, shows as stream errors.)
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var channel = EnsureChannel();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        try
        {
            await channel.ConnectAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException(
                $"{HubbleRelayOptions.SectionName}:Address: cannot connect to Hubble Relay at {Origin} within {StartTimeout.TotalSeconds:0} s" +
                $" (is the address right, and does Tls match the relay's?)");
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        GrpcChannel? channel;
        lock (_channelLock)
        {
            _stopped = true;
            channel = _channel;
            _channel = null;
        }

        if (channel is not null)
        {
            await channel.ShutdownAsync().ConfigureAwait(false);
            channel.Dispose();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));

    /// <summary>Closes the channel at once, without waiting for calls in flight to wind down (a host disposing synchronously).</summary>
    public void Dispose()
    {
        GrpcChannel? channel;
        lock (_channelLock)
        {
            _stopped = true;
            channel = _channel;
            _channel = null;
        }

        channel?.Dispose();
    }

    /// <summary>The request the next (re)connection sends: resume after the newest flow seen, or start as configured.</summary>
    internal GetFlowsRequest BuildRequest()
    {
        var request = new GetFlowsRequest { Follow = _options.Follow };
        request.Whitelist.AddRange(_whitelist);
        request.Blacklist.AddRange(_blacklist);
        if (_newestTime is not null)
        {
            // Hubble's since is inclusive: the flows at exactly this time come again and are recognised below.
            request.Since = _newestTime.Clone();
        }
        else
        {
            request.Number = _options.Last;
        }

        return request;
    }

    public async IAsyncEnumerable<SourcedFlow> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = new Observer.ObserverClient(EnsureChannel());
        int failuresInARow = 0;
        int oversizedInARow = 0;
        while (!cancellationToken.IsCancellationRequested && !_stopped)
        {
            var request = BuildRequest();
            PrepareReplayCheck();
            HubbleRelayLog.Connecting(_logger, ComponentId, Origin, DescribeStart(request));
            string? failure = null;
            string detail = "";
            long received = 0;
            using (var call = client.GetFlows(request, cancellationToken: cancellationToken))
            {
                while (true)
                {
                    bool moved;
                    try
                    {
                        moved = await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false);
                    }
                    catch (RpcException) when (cancellationToken.IsCancellationRequested)
                    {
                        yield break;
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        yield break;
                    }
                    catch (RpcException) when (_stopped)
                    {
                        // StopAsync shut the channel down under the stream.
                        yield break;
                    }
                    catch (RpcException ex)
                    {
                        failure = ReasonOf(ex);
                        detail = ex.Status.Detail;
                        break;
                    }
                    catch (Exception ex)
                    {
                        // Whatever broke the stream (transport, protocol, a message that would not parse), the
                        // source outlives it: count it and reconnect. Only a stop ends it.
                        if (_stopped)
                        {
                            yield break;
                        }

                        failure = ex is HttpRequestException or IOException ? "transport_error" : "stream_error";
                        detail = ex.Message;
                        break;
                    }

                    if (!moved)
                    {
                        break;
                    }

                    received++;
                    failuresInARow = 0;
                    var sourced = Accept(call.ResponseStream.Current);
                    if (sourced is SourcedFlow flow)
                    {
                        // Progress past what came before: an oversized message after this one is a new one.
                        oversizedInARow = 0;
                        yield return flow;
                    }
                }
            }

            if (failure is null && !_options.Follow)
            {
                HubbleRelayLog.StreamFinished(_logger, ComponentId, Origin, received);
                yield break;
            }

            // A followed stream that ends was closed by the relay (restart, rollout): reconnect like after an error.
            failure ??= "stream_ended";
            _metrics?.SourceError(ComponentId, failure);
            if (failure == "oversized")
            {
                oversizedInARow++;
                ReportOversized(detail, oversizedInARow);
            }

            failuresInARow++;
            var wait = Backoff(failuresInARow);
            HubbleRelayLog.StreamFailed(_logger, ComponentId, Origin, failure, detail, wait);
            try
            {
                await _delay(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
        }
    }

    /// <summary>The wait before reconnection attempt <paramref name="attempt"/> (1-based): doubling, capped, with equal jitter.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        double initial = _options.ReconnectInitialBackoff.TotalMilliseconds;
        double max = _options.ReconnectMaxBackoff.TotalMilliseconds;
        double ceiling = Math.Min(max, initial * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (_jitter.NextDouble() * ceiling / 2));
    }

    /// <summary>Handles one relay message: a flow to deliver, a replayed flow to drop, a bad flow to reject, or a notice.</summary>
    private SourcedFlow? Accept(GetFlowsResponse response)
    {
        long position = ++_position;
        switch (response.ResponseTypesCase)
        {
            case GetFlowsResponse.ResponseTypesOneofCase.Flow:
                break;
            case GetFlowsResponse.ResponseTypesOneofCase.NodeStatus:
                var status = response.NodeStatus;
                HubbleRelayLog.NodeStatus(_logger, ComponentId, string.Join(",", status.NodeNames), status.StateChange.ToString(), status.Message);
                return null;
            case GetFlowsResponse.ResponseTypesOneofCase.LostEvents:
                HubbleRelayLog.EventsLost(_logger, ComponentId, response.LostEvents.NumEventsLost, response.LostEvents.Source.ToString());
                return null;
            default:
                // A response type newer than this client: nothing to read in it.
                return null;
        }

        var flow = response.Flow;
        _metrics?.EventsIn(ComponentId);
        var time = flow.Time ?? response.Time;
        if (time is not null && IsReplay(flow, time))
        {
            return null;
        }

        var mapped = _mapper.Map(flow, response.NodeName, response.Time);
        if (mapped is null)
        {
            string reason = _mapper.Error ?? "unusable flow";
            _metrics?.EventRejected(ComponentId, _mapper.ReasonTag);
            HubbleRelayLog.FlowRejected(_logger, ComponentId, Origin, position, reason);
            Rejected?.Invoke(new DeadLetter(ComponentId, Origin, position, reason, response.ToByteArray(), DateTimeOffset.UtcNow));
            return null;
        }

        _metrics?.EventsOut(ComponentId);
        return new SourcedFlow(mapped, Origin, position);
    }

    /// <summary>
    /// Remembers the newest flow time and the flows delivered at it; true for a flow that a reconnection's inclusive
    /// <c>since</c> sent again: at exactly the resume time and equal to one delivered before the reconnection.
    /// </summary>
    private bool IsReplay(Flow flow, Timestamp time)
    {
        if (_replayTime is not null && time.Equals(_replayTime))
        {
            int index = _replayed.FindIndex(seen => seen.Equals(flow));
            if (index >= 0)
            {
                // Each delivered flow cancels one replay only: a genuine twin that follows is still delivered.
                _replayed.RemoveAt(index);
                return true;
            }
        }

        int order = _newestTime is null ? 1 : time.CompareTo(_newestTime);
        if (order > 0)
        {
            _newestTime = time.Clone();
            _atNewestTime.Clear();
            _atNewestTime.Add(flow);
        }
        else if (order == 0 && _atNewestTime.Count < BoundaryMemory)
        {
            _atNewestTime.Add(flow);
        }

        // Older than the newest: the relay merges nodes' streams and may deliver a little out of order; keep it.
        return false;
    }

    /// <summary>At each (re)connection: the flows at the resume time that the relay will send again.</summary>
    private void PrepareReplayCheck()
    {
        _replayTime = _newestTime;
        _replayed.Clear();
        _replayed.AddRange(_atNewestTime);
    }

    private void ReportOversized(string detail, int inARow)
    {
        _metrics?.EventRejected(ComponentId, "oversized");
        string reason = $"relay message larger than MaxMessageBytes ({_options.MaxMessageBytes}): {detail}";
        HubbleRelayLog.FlowRejected(_logger, ComponentId, Origin, _position + 1, reason);
        Rejected?.Invoke(new DeadLetter(ComponentId, Origin, _position + 1, reason, ReadOnlyMemory<byte>.Empty, DateTimeOffset.UtcNow));
        if (inARow >= 2)
        {
            // The same message would end every reconnection: skip past it rather than stall forever.
            var now = DateTimeOffset.UtcNow;
            HubbleRelayLog.OversizedSkipped(_logger, ComponentId, _options.MaxMessageBytes, _newestTime?.ToDateTimeOffset() ?? now, now);
            _newestTime = Timestamp.FromDateTimeOffset(now);
            _atNewestTime.Clear();
        }
    }

    private GrpcChannel EnsureChannel()
    {
        lock (_channelLock)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            return _channel ??= CreateChannel(_options);
        }
    }

    private static GrpcChannel CreateChannel(HubbleRelayOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // One long-lived stream: keep-alive pings notice a dead relay that never closed the connection.
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = ConnectTimeout,
            EnableMultipleHttp2Connections = true,
        };
        if (options.Tls.Enabled)
        {
            handler.SslOptions = CreateSslOptions(options.Tls);
        }

        return GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.MaxMessageBytes,
        });
    }

    private static SslClientAuthenticationOptions CreateSslOptions(HubbleRelayTlsOptions tls)
    {
        const string Prefix = HubbleRelayOptions.SectionName + ":Tls:";
        var ssl = new SslClientAuthenticationOptions();
        if (!string.IsNullOrWhiteSpace(tls.ClientCertificatePath))
        {
            X509Certificate2 clientCertificate;
            try
            {
                clientCertificate = X509Certificate2.CreateFromPemFile(tls.ClientCertificatePath, tls.ClientKeyPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                throw new InvalidOperationException($"{Prefix}ClientCertificatePath '{tls.ClientCertificatePath}' with ClientKeyPath '{tls.ClientKeyPath}' could not be loaded: {ex.Message}", ex);
            }

            ssl.ClientCertificates = [clientCertificate];
        }

        X509Certificate2Collection? authorities = null;
        if (!string.IsNullOrWhiteSpace(tls.CaCertificatePath))
        {
            authorities = [];
            try
            {
                authorities.ImportFromPemFile(tls.CaCertificatePath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new InvalidOperationException($"{Prefix}CaCertificatePath '{tls.CaCertificatePath}' could not be read: {ex.Message}", ex);
            }

            if (authorities.Count == 0)
            {
                throw new InvalidOperationException($"{Prefix}CaCertificatePath '{tls.CaCertificatePath}' holds no PEM certificate");
            }
        }

        string? serverName = string.IsNullOrWhiteSpace(tls.ServerName) ? null : tls.ServerName.Trim();
        if (authorities is not null || serverName is not null)
        {
            ssl.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                IsTrusted(certificate, chain, errors, authorities, serverName);
        }

        return ssl;
    }

    /// <summary>Chain to the configured CA (when set) and the configured server name (when set) instead of the address's host.</summary>
    private static bool IsTrusted(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, X509Certificate2Collection? authorities, string? serverName)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (serverName is not null ? !presented.MatchesHostname(serverName) : (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        if (authorities is null)
        {
            return (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the relay sent along.
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(presented);
    }

    private static string ReasonOf(RpcException ex) => ex.StatusCode switch
    {
        StatusCode.ResourceExhausted when ex.Status.Detail.Contains("message", StringComparison.OrdinalIgnoreCase) => "oversized",
        StatusCode.Unavailable => "unavailable",
        StatusCode.DeadlineExceeded => "deadline_exceeded",
        StatusCode.Unauthenticated => "unauthenticated",
        StatusCode.PermissionDenied => "permission_denied",
        StatusCode.Unimplemented => "unimplemented",
        StatusCode.InvalidArgument => "invalid_argument",
        StatusCode.Internal => "internal",
        StatusCode.Cancelled => "cancelled",
        _ => "rpc_error",
    };

    private static string DescribeStart(GetFlowsRequest request) =>
        request.Since is not null
            ? "since " + request.Since.ToDateTimeOffset().ToString("O", CultureInfo.InvariantCulture)
            : request.Number > 0
                ? $"the last {request.Number} flows{(request.Follow ? ", then following" : "")}"
                : "new flows";
}
