using System.Net;
using System.Text;

namespace NetSecStream.Cli.Tests;

/// <summary>
/// Just enough of the Kubernetes API for the <c>kubernetes</c> enricher's contract probe: an empty pod list, and
/// watches that alternately answer with an ERROR 410 (Gone: the enricher must count it and list again) and stay open
/// without events.
/// </summary>
internal sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _watches;

    public FakeKubernetesApi(string kubeconfigPath)
    {
        int port = FreeTcpPort();
        Address = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Address + "/");
        _listener.Start();
        File.WriteAllText(kubeconfigPath, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {Address}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: fake
            current-context: fake
            users:
            - name: fake
              user:
                token: probe
            """);
        _loop = Task.Run(AcceptLoopAsync);
    }

    public string Address { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        _listener.Close();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        try
        {
            var response = context.Response;
            response.ContentType = "application/json";
            bool watch = context.Request.QueryString["watch"] is "true" or "1";
            if (!watch)
            {
                await WriteAsync(response, """{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"100"},"items":[]}""");
                response.Close();
                return;
            }

            response.SendChunked = true;
            if (Interlocked.Increment(ref _watches) % 2 == 1)
            {
                await WriteAsync(response, """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version","reason":"Expired","code":410}}""" + "\n");
                response.Close();
                return;
            }

            await response.OutputStream.FlushAsync();
            await Task.Delay(Timeout.Infinite, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            response.Abort();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // The client went away or the server is stopping.
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, string body)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        await response.OutputStream.WriteAsync(bytes);
        await response.OutputStream.FlushAsync();
    }

    private static int FreeTcpPort()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
