using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Octue.Mount.Cli.Logging;

/// <summary>
/// Builds the logger factory of a command: to a file when one is named; else to stderr, in the journal's format
/// (<c>&lt;N&gt;</c> priority prefixes, one line per entry, no timestamps: the journal adds its own) when the process
/// runs under systemd, and as timestamped lines otherwise. Every entry is one line whatever text it carries
/// (<see cref="PrintableLoggerFactory"/>).
/// </summary>
internal static class CliLogging
{
    /// <summary>
    /// Whether stderr goes to systemd's journal: systemd sets <c>JOURNAL_STREAM</c> when it connects a service's
    /// output to the journal, and <c>INVOCATION_ID</c> for every process it starts as (part of) a unit.
    /// </summary>
    public static bool UnderSystemd(Func<string, string?> environment) =>
        !string.IsNullOrEmpty(environment("JOURNAL_STREAM")) || !string.IsNullOrEmpty(environment("INVOCATION_ID"));

    public static ILoggerFactory Create(LogLevel level, string? logFile) =>
        Create(level, logFile, UnderSystemd(Environment.GetEnvironmentVariable));

    public static ILoggerFactory Create(LogLevel level, string? logFile, bool underSystemd) => new PrintableLoggerFactory(LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        if (!string.IsNullOrEmpty(logFile))
            builder.AddProvider(new FileLoggerProvider(logFile));
        else if (underSystemd)
        {
            builder.AddSystemdConsole(options => options.TimestampFormat = null);
            builder.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        else
        {
            builder.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
            });
            // stdout is for the command's own output (and the readiness line of a background mount).
            builder.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        }
    }));
}
