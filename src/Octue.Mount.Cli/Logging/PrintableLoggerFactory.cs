using System.Text;
using Microsoft.Extensions.Logging;
using Octue.Mount.Vfs;

namespace Octue.Mount.Cli.Logging;

/// <summary>
/// Puts every logger of a command behind one rule: an entry is one line. Log messages carry text from the bucket
/// (object names, manifest keys and file lists, metadata and tags) and from local files; a line break or a NUL in it
/// would otherwise start a line of its own, one that reads as an entry of any level (a file line with a timestamp,
/// a journal line with a <c>&lt;0&gt;</c> priority: journald ends an entry at a NUL too). Here each message is
/// escaped (<see cref="PrintableText"/>) before any provider sees it, so the file, the console and the journal
/// formats all get the same guarantee. An exception keeps its stack trace (the program's own lines, each indented)
/// but its messages are escaped the same way.
/// </summary>
internal sealed class PrintableLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new PrintableLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class PrintableLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception is null ? null : new PrintableException(exception),
                (s, _) => PrintableText.Escape(formatter(s, exception)));
    }

    /// <summary>An exception as a log shows it: what <see cref="Exception.ToString"/> shows, with its messages escaped.</summary>
    private sealed class PrintableException(Exception original) : Exception(PrintableText.Escape(original.Message))
    {
        public override string ToString() => Describe(original, new StringBuilder()).ToString();

        public override string? StackTrace => original.StackTrace;

        private static StringBuilder Describe(Exception e, StringBuilder text)
        {
            text.Append(e.GetType().FullName);
            if (e.Message.Length > 0)
            {
                text.Append(": ").Append(PrintableText.Escape(e.Message));
            }

            if (e.InnerException is { } innerException)
            {
                Describe(innerException, text.Append(" ---> "));
                text.Append(Environment.NewLine).Append("   --- End of inner exception stack trace ---");
            }

            if (e.StackTrace is { } stack)
            {
                text.Append(Environment.NewLine).Append(stack);
            }

            return text;
        }
    }
}
