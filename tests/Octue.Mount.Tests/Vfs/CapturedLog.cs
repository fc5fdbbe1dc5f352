using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Octue.Mount.Tests.Vfs;

/// <summary>A logger factory that keeps every message (formatted), so tests can check what was logged and how often.</summary>
public sealed class CapturedLog : ILoggerFactory
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => _entries.ToArray();

    /// <summary>The messages at warning level or above that contain <paramref name="text"/>.</summary>
    public List<string> Warnings(string text) =>
        _entries.Where(e => e.Level >= LogLevel.Warning && e.Message.Contains(text, StringComparison.Ordinal)).Select(e => e.Message).ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log._entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
