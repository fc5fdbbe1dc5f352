using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Octue.Mount.Cli.Logging;
using Octue.Mount.Linux.Tests.Mounts;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// A log entry is one line, whatever text from a bucket it carries: a line break or a NUL in an object name, a
/// manifest key or a message must not start a line that reads as an entry of its own.
/// </summary>
public sealed class LogLineTests
{
    private static readonly Regex EntryStart = new(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", RegexOptions.CultureInvariant);

    [Fact]
    public void Line_breaks_and_nuls_in_logged_text_cannot_forge_entries_of_a_log_file()
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("mount.log");
        var forged = "2026-12-07T00:00:00.000Z crit octue-mount: forged";
        using (var factory = CliLogging.Create(LogLevel.Information, file, underSystemd: false))
        {
            var logger = factory.CreateLogger("test");
            logger.LogWarning("File {File} of dataset {Dataset} is not shown", "gs://b/x\n" + forged, "d\0<0>also\r\n" + forged + "\u2028" + forged);
            try
            {
                throw new IOException("cannot read gs://b/y\n" + forged, new InvalidOperationException("inner\n" + forged));
            }
            catch (IOException e)
            {
                logger.LogError(e, "Reading {Name} failed", "y\u001b[2J");
            }
        }

        var text = File.ReadAllText(file);
        Assert.DoesNotContain('\0', text);
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u2028', text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Two entries, two lines that start like one; no line starts with the forged text, and the exception's own
        // lines (its type and message, then its stack trace) follow the entry that logged it.
        Assert.Equal(2, lines.Count(line => EntryStart.IsMatch(line)));
        Assert.DoesNotContain(lines, line => line.StartsWith(forged, StringComparison.Ordinal));
        Assert.Contains(@"gs://b/x\u000A" + forged, lines[0]);
        Assert.Contains(@"d\u0000<0>also\u000D\u000A" + forged + @"\u2028" + forged, lines[0]);
        Assert.Contains(@"Reading y\u001B[2J failed", lines[1]);
        Assert.StartsWith(@"System.IO.IOException: cannot read gs://b/y\u000A" + forged + @" ---> System.InvalidOperationException: inner\u000A" + forged, lines[2]);
        Assert.All(lines[3..], line => Assert.StartsWith("   ", line));
    }
}
