using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Siem;

namespace NetSecStream.Sinks.Syslog;

/// <summary>
/// The <c>syslog</c> sink: each alert as one CEF or LEEF message with an RFC 5424 or RFC 3164 header, over UDP, TCP or
/// TLS. Over TCP and TLS a write returns only once its whole batch was handed to a connected stream; a broken
/// connection (a write error, or the receiver's close seen before writing) is reopened with backoff and the batch is
/// sent again, preceded by the last <see cref="SyslogSinkOptions.ResendOnReconnect"/> messages written on the old
/// connection, which the receiver may have dropped unread. Delivery is therefore at-least-once per message: a
/// receiver may see duplicates around a break, never a gap (syslog over TCP has no acknowledgements to do better).
/// Over UDP a write returns once the datagrams are sent; nothing confirms their arrival.
/// <see cref="StartAsync"/> connects once, so configuration errors (a wrong CA or server name) stop the start-up.
/// </summary>
public sealed class SyslogSink : IAlertSink, IAsyncDisposable, IDisposable
{
    public const string ComponentId = "syslog";

    private readonly SyslogSinkOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SyslogEncoder _encoder;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Queue<byte[]> _recent = new();
    private readonly string _endpoint;
    private readonly X509Certificate2Collection? _trustedCas;
    private readonly X509Certificate2? _clientCertificate;
    private Socket? _socket;
    private Stream? _stream;
    private Task<Exception?>? _reader;
    private bool _reconnected;
    private bool _stopped;

    public SyslogSink(SyslogSinkOptions options, NetSecMetrics metrics, ILogger<SyslogSink>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        var validation = new SyslogSinkOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        _options = options;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _encoder = new SyslogEncoder(options);
        Port = options.Port != 0 ? options.Port : options.Transport switch
        {
            SyslogTransport.Tcp => 601,
            SyslogTransport.Tls => 6514,
            _ => 514,
        };
        _endpoint = $"{options.Transport.ToString().ToLowerInvariant()}://{options.Host}:{Port}";
        if (options.Transport == SyslogTransport.Tls)
        {
            if (!string.IsNullOrEmpty(options.CaFile))
            {
                _trustedCas = [];
                _trustedCas.ImportFromPemFile(options.CaFile);
            }

            if (!string.IsNullOrEmpty(options.ClientCertificateFile))
            {
                // Through PKCS#12 so the key is usable by the TLS stack on every platform.
                using var pem = X509Certificate2.CreateFromPemFile(options.ClientCertificateFile, options.ClientKeyFile);
                _clientCertificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
        }
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    /// <summary>The port messages go to (the configured one or the transport's standard port).</summary>
    public int Port { get; }

    /// <summary>Messages sent again after a reconnect (duplicates a receiver may see); for diagnostics and tests.</summary>
    public long Resent { get; private set; }

    /// <summary>Messages cut to the UDP size bound.</summary>
    public long Truncated { get; private set; }

    /// <summary>
    /// Opens the socket (UDP) or the connection (TCP, TLS) so that an unreachable receiver, an untrusted certificate or
    /// a wrong server name stop the process at start-up with a clear error, not at the first alert.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_options.Transport == SyslogTransport.Udp)
            {
                await SendDatagramsAsync([], cancellationToken);
            }
            else
            {
                _stream ??= await ConnectAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await CloseAsync();
            throw new IOException($"syslog sink: cannot connect to {_endpoint}: {ex.Message}", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _stopped = true;
            await CloseAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            _metrics.EventsIn(ComponentId, alerts.Count);
            var messages = Encode(alerts);
            if (messages.Count > 0)
            {
                await SendWithRetryAsync(messages, cancellationToken);
            }

            _metrics.EventsOut(ComponentId, messages.Count);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    public void Dispose()
    {
        _gate.Wait();
        try
        {
            _stopped = true;
            _stream?.Dispose();
            _socket?.Dispose();
            _stream = null;
            _socket = null;
        }
        finally
        {
            _gate.Release();
        }

        _clientCertificate?.Dispose();
    }

    private List<byte[]> Encode(IReadOnlyList<Alert> alerts)
    {
        var messages = new List<byte[]>(alerts.Count);
        foreach (var alert in alerts)
        {
            try
            {
                messages.Add(_encoder.Encode(alert, out bool truncated));
                if (truncated)
                {
                    Truncated++;
                    _metrics.EventTruncated(ComponentId);
                    SiemSinkLog.Truncated(_logger, ComponentId, alert.Id, _options.Transport == SyslogTransport.Udp ? _options.MaxMessageBytes : _options.MaxStreamMessageBytes);
                }
            }
#pragma warning disable CA1031 // One alert that cannot be formatted must not block the stream forever.
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                _metrics.EventRejected(ComponentId, "unserialisable");
                SiemSinkLog.AlertUnformattable(_logger, ex, ComponentId, alert?.Id ?? "null");
            }
        }

        return messages;
    }

    private async Task SendWithRetryAsync(List<byte[]> messages, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.RetryTimeout;
        var backoff = _options.InitialBackoff;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                if (_options.Transport == SyslogTransport.Udp)
                {
                    await SendDatagramsAsync(messages, cancellationToken);
                }
                else
                {
                    await WriteStreamAsync(messages, cancellationToken);
                }

                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // A write cancelled half-way may have left part of a frame on the stream: start the next on a new connection.
                await CloseAsync();
                _reconnected = true;
                throw;
            }
            catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException or TimeoutException
                                           || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await CloseAsync();
                _reconnected = true;
                if (DateTime.UtcNow + backoff > deadline)
                {
                    _metrics.SinkError(ComponentId);
                    SiemSinkLog.GaveUp(_logger, ComponentId, messages.Count, attempt, ex.Message);
                    throw new IOException($"syslog sink: {_endpoint} unreachable for {_options.RetryTimeout}: {ex.Message}", ex);
                }

                _metrics.SinkRetry(ComponentId);
                SiemSinkLog.ConnectionFailed(_logger, ComponentId, _endpoint, attempt, backoff, ex.Message);
                await Task.Delay(backoff, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    private async Task SendDatagramsAsync(List<byte[]> messages, CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            var socket = new Socket(SocketType.Dgram, ProtocolType.Udp);
            try
            {
                await socket.ConnectAsync(_options.Host, Port, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _socket = socket;
        }

        foreach (byte[] message in messages)
        {
            await _socket.SendAsync(message, SocketFlags.None, cancellationToken);
        }
    }

    private async Task WriteStreamAsync(List<byte[]> messages, CancellationToken cancellationToken)
    {
        if (_stream is not null && (_reader is { IsCompleted: true } || PeerClosed(_socket!)))
        {
            // The receiver closed its side since the last write: anything written since it stopped reading may be lost.
            await CloseAsync();
            _reconnected = true;
        }

        _stream ??= await ConnectAsync(cancellationToken);
        List<byte[]> toWrite = messages;
        if (_reconnected && _recent.Count > 0)
        {
            toWrite = [.. _recent, .. messages];
            SiemSinkLog.Resending(_logger, ComponentId, _recent.Count);
        }

        int length = toWrite.Sum(m => m.Length);
        byte[] buffer = new byte[length];
        int offset = 0;
        foreach (byte[] message in toWrite)
        {
            message.CopyTo(buffer, offset);
            offset += message.Length;
        }

        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(_options.WriteTimeout);
            await _stream.WriteAsync(buffer, timeout.Token);
            await _stream.FlushAsync(timeout.Token);
        }

        if (_reconnected)
        {
            Resent += toWrite.Count - messages.Count;
            _recent.Clear();
            _reconnected = false;
        }

        foreach (byte[] message in messages)
        {
            _recent.Enqueue(message);
            if (_recent.Count > _options.ResendOnReconnect)
            {
                _recent.Dequeue();
            }
        }
    }

    private async Task<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.ConnectTimeout);
                await socket.ConnectAsync(_options.Host, Port, timeout.Token);
                if (socket.LocalEndPoint is { } local && local.Equals(socket.RemoteEndPoint))
                {
                    // With nothing listening on a local port, a connect whose ephemeral port happens to be that port
                    // connects to itself (TCP simultaneous open): everything written would vanish into our own socket,
                    // and the port stays taken so the receiver cannot come back. Treat it as the refusal it is.
                    throw new SocketException((int)SocketError.ConnectionRefused);
                }

                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                stream = new NetworkStream(socket, ownsSocket: true);
                if (_options.Transport == SyslogTransport.Tls)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    stream = tls;
                    await tls.AuthenticateAsClientAsync(TlsOptions(), timeout.Token);
                }
            }

            var reader = DrainAsync(stream);
            if (_options.Transport == SyslogTransport.Tls)
            {
                // In TLS 1.3 the client's handshake ends before the receiver has checked the client's certificate: a
                // receiver that rejects it closes the connection right after. Wait for that verdict, or every write
                // would go into a connection that is about to be dropped.
                if (await Task.WhenAny(reader, Task.Delay(_options.TlsAcceptanceWait, cancellationToken)) == reader)
                {
                    var reason = await reader;
                    throw new IOException(
                        $"{_endpoint} closed the connection right after the TLS handshake (a receiver that requires a client certificate it trusts does this): {reason?.Message ?? "no reason given"}",
                        reason);
                }
            }

            _socket = socket;
            _reader = reader;
            SiemSinkLog.Connected(_logger, ComponentId, _endpoint);
            return stream;
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }

            socket.Dispose();
            throw;
        }
    }

    private SslClientAuthenticationOptions TlsOptions()
    {
        var tls = new SslClientAuthenticationOptions
        {
            // The receiver's certificate must name this host (or ServerName) and chain to the CA: SslStream checks both.
            TargetHost = string.IsNullOrEmpty(_options.ServerName) ? _options.Host : _options.ServerName,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (_trustedCas is { Count: > 0 })
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(_trustedCas);
            tls.CertificateChainPolicy = policy;
        }

        if (_clientCertificate is not null)
        {
            tls.ClientCertificates = [_clientCertificate];
        }

        return tls;
    }

    /// <summary>
    /// Reads (and drops) whatever the receiver sends, which for syslog is nothing: the task ends when the receiver
    /// closes the connection or it fails (a TLS alert), with the failure, so the next write knows the connection is gone.
    /// </summary>
    private static async Task<Exception?> DrainAsync(Stream stream)
    {
        byte[] buffer = new byte[512];
        try
        {
            while (await stream.ReadAsync(buffer) > 0)
            {
            }

            return null;
        }
#pragma warning disable CA1031 // The failure is the result: the writer decides what to do with it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return ex;
        }
    }

    /// <summary>A syslog receiver never sends: readable with nothing to read means it closed the connection.</summary>
    private static bool PeerClosed(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private async Task CloseAsync()
    {
        var stream = _stream;
        var socket = _socket;
        _stream = null;
        _socket = null;
        _reader = null;
        if (stream is not null)
        {
            try
            {
                await stream.DisposeAsync();
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                // Closing a broken connection may fail; it is gone either way.
            }
        }

        socket?.Dispose();
    }
}
