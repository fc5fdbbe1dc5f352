using System.Text;

namespace Octue.Mount.Windows.Control;

/// <summary>How an unmount request ended, as the requesting side sees it.</summary>
internal enum UnmountOutcome
{
    /// <summary>No mount of this user answers at that mount point.</summary>
    NotMounted,

    /// <summary>The mount is gone; what was staged has been uploaded (or kept in the cache folder, as the log says).</summary>
    Unmounted,

    /// <summary>The serving process reported a failure, or ended before confirming.</summary>
    Failed,
}

/// <summary>The answer to an unmount request: the outcome and, for <see cref="UnmountOutcome.Failed"/>, why.</summary>
internal readonly record struct UnmountReply(UnmountOutcome Outcome, string? Reason = null);

/// <summary>
/// The unmount conversation, one UTF-8 line per message, over any duplex stream (a named pipe in the product):
/// the client sends <c>unmount</c>; the server answers <c>unmounting</c> at once, then <c>unmounted</c> once the
/// mount is gone or <c>failed REASON</c>. Anything else is answered with <c>failed</c> and the connection closed.
/// Two steps, so the client can tell the user that uploads are being finished while it waits.
/// </summary>
internal static class UnmountProtocol
{
    public const string Request = "unmount";
    public const string Accepted = "unmounting";
    public const string Done = "unmounted";
    public const string FailedPrefix = "failed";

    /// <summary>Longest line either side reads; a request or reply is a few words.</summary>
    private const int MaxLineLength = 4096;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Client side: asks for the unmount and waits for its end; <paramref name="accepted"/> runs when the server agrees.</summary>
    public static async Task<UnmountReply> RequestAsync(Stream stream, Action? accepted, CancellationToken ct)
    {
        await WriteLineAsync(stream, Request, ct).ConfigureAwait(false);
        var reader = new LineReader(stream);
        string? first = await reader.ReadLineAsync(ct).ConfigureAwait(false);
        if (first != Accepted)
            return Failure(first);
        accepted?.Invoke();
        string? second = await reader.ReadLineAsync(ct).ConfigureAwait(false);
        return second == Done ? new UnmountReply(UnmountOutcome.Unmounted) : Failure(second);
    }

    /// <summary>
    /// Server side, one connection: reads the request; for an unmount, runs <paramref name="requested"/>, answers
    /// that it is under way, waits for <paramref name="unmounted"/> (null: success, else the reason it failed) and
    /// reports it.
    /// </summary>
    public static async Task ServeAsync(Stream stream, Action requested, Task<string?> unmounted, CancellationToken ct)
    {
        string? line = await new LineReader(stream).ReadLineAsync(ct).ConfigureAwait(false);
        if (line != Request)
        {
            await WriteLineAsync(stream, $"{FailedPrefix} unknown request", ct).ConfigureAwait(false);
            return;
        }
        requested();
        await WriteLineAsync(stream, Accepted, ct).ConfigureAwait(false);
        string? failure = await unmounted.WaitAsync(ct).ConfigureAwait(false);
        await WriteLineAsync(stream, failure is null ? Done : $"{FailedPrefix} {OneLine(failure)}", ct).ConfigureAwait(false);
    }

    private static UnmountReply Failure(string? line)
    {
        if (line is null)
            return new UnmountReply(UnmountOutcome.Failed, "the mount process ended without confirming the unmount");
        string reason = line.StartsWith(FailedPrefix, StringComparison.Ordinal) ? line[FailedPrefix.Length..].Trim() : $"unexpected answer '{line}'";
        return new UnmountReply(UnmountOutcome.Failed, reason.Length == 0 ? "no reason given" : reason);
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static async Task WriteLineAsync(Stream stream, string line, CancellationToken ct)
    {
        await stream.WriteAsync(Utf8.GetBytes(line + "\n"), ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads "\n"-terminated lines byte by byte: the conversation has two or three short lines, and reading no further
    /// than a line's end means nothing meant for a later read is swallowed by a buffer.
    /// </summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _one = new byte[1];

        public async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            var line = new List<byte>(32);
            while (true)
            {
                int read = await stream.ReadAsync(_one, ct).ConfigureAwait(false);
                if (read == 0)
                    return null;
                if (_one[0] == (byte)'\n')
                    return Utf8.GetString(line.ToArray()).TrimEnd('\r');
                if (line.Count == MaxLineLength)
                    return null;
                line.Add(_one[0]);
            }
        }
    }
}
