using System.Text;
using System.Threading.Channels;
using NetSecStream.Core.Components;

namespace NetSecStream.Collectors.Tests.Hubble;

/// <summary>Runs a source's ReadAsync in the background so a test can wait, with a timeout, for each record.</summary>
internal sealed class SourcePump : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<RawRecord> _records = Channel.CreateUnbounded<RawRecord>();

    public SourcePump(IRecordSource source)
    {
        Completion = Task.Run(async () =>
        {
            try
            {
                await foreach (var record in source.ReadAsync(_stop.Token))
                {
                    await _records.Writer.WriteAsync(record);
                }

                _records.Writer.Complete();
            }
            catch (Exception ex)
            {
                _records.Writer.Complete(ex);
                throw;
            }
        });
    }

    public Task Completion { get; }

    public async Task<(string Text, long Line, string Origin)> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var record = await _records.Reader.ReadAsync(timeout.Token);
        return (Encoding.UTF8.GetString(record.Payload.Span), record.Position, record.Origin);
    }

    public async Task<List<(string Text, long Line)>> TakeAsync(int count)
    {
        var taken = new List<(string Text, long Line)>();
        for (int i = 0; i < count; i++)
        {
            var (text, line, _) = await NextAsync();
            taken.Add((text, line));
        }

        return taken;
    }

    /// <summary>True when nothing more arrives within <paramref name="wait"/>.</summary>
    public async Task<bool> StaysQuietAsync(TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return !await _records.Reader.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Completion.WaitAsync(Timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        try
        {
            await Completion.WaitAsync(Timeout);
        }
        catch (Exception) when (Completion.IsFaulted || !Completion.IsCompleted)
        {
            // The test already asserted what it needed; a source that failed to stop is caught by the tests that stop it.
        }

        _stop.Dispose();
    }
}

/// <summary>A temporary folder removed after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "netsec-hubble-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder is not a test failure.
        }
    }
}
