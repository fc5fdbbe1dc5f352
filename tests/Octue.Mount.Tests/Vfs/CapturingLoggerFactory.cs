using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Octue.Mount.Tests.Vfs;

/// <summary>A logger factory that keeps every message logged at warning or above, for tests of what is logged and how often.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _warnings = new();

    public IReadOnlyList<string> Warnings => _warnings.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(_warnings);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> warnings) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                warnings.Enqueue(formatter(state, exception));
        }
    }
}
