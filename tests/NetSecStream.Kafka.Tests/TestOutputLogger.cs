using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace NetSecStream.Kafka.Tests;

/// <summary>Writes a component's log lines (from <paramref name="minimum"/> up) to the test's output, with the time since the test began.</summary>
internal sealed class TestOutputLogger<T>(ITestOutputHelper output, string prefix, LogLevel minimum = LogLevel.Information) : ILogger<T>
{
    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        try
        {
            output.WriteLine($"{Clock.Elapsed.TotalSeconds,7:F2}s {prefix} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished; a late line from a component shutting down has nowhere to go.
        }
    }
}
