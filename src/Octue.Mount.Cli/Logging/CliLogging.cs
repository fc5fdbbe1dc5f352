using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Octue.Mount.Cli.Logging;

/// <summary>Builds the logger factory of a command: to a file when one is named, else to stderr.</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(LogLevel level, string? logFile) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        if (!string.IsNullOrEmpty(logFile))
            builder.AddProvider(new FileLoggerProvider(logFile));
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
    });
}
