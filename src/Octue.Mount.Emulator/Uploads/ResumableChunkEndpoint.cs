using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Octue.Mount.Emulator;

/// <summary>
/// PUT or POST on a resumable session URI: a chunk (308 with the persisted range until the last byte, then 200 with
/// the object), or a status query (<c>bytes */total</c>). Only chunks that arrived whole count; a chunk that overlaps
/// bytes already persisted is accepted from where the persisted bytes end. The object is created only when the
/// persisted length equals the declared total, never short. A request with <c>X-GUploader-No-308: yes</c> (Go's
/// client sends it: its HTTP stack reads 308 as a redirect) is told "incomplete" with a 200 carrying
/// <c>X-HTTP-Status-Code-Override: 308</c> and the same <c>Range</c> instead.
/// </summary>
internal static class ResumableChunkEndpoint
{
    public static async Task ChunkAsync(EmulatorContext c)
    {
        var session = c.Uploads.Find(QueryParameters.String(c.Request, "upload_id"))
            ?? throw GcsException.NotFound("No such upload session (it completed with an error, was cancelled, or never existed).");
        await session.Gate.WaitAsync(c.Aborted).ConfigureAwait(false);
        try
        {
            await ChunkLockedAsync(c, session).ConfigureAwait(false);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    public static async Task CancelAsync(EmulatorContext c)
    {
        var session = c.Uploads.Find(QueryParameters.String(c.Request, "upload_id"))
            ?? throw GcsException.NotFound("No such upload session.");
        c.Uploads.Remove(session);
        await JsonReplies.WriteErrorAsync(c.Http, 499, "clientClosedRequest", "The upload was cancelled.").ConfigureAwait(false);
    }

    private static async Task ChunkLockedAsync(EmulatorContext c, ResumableSession session)
    {
        if (session.Result is { } done)
        {
            await RequestBody.DrainAsync(c.Request, c.Aborted).ConfigureAwait(false);
            await c.WriteObjectAsync(done).ConfigureAwait(false);
            return;
        }

        var header = c.Request.Headers.ContentRange.ToString();
        var range = string.IsNullOrWhiteSpace(header)
            ? new ContentRange(0, null, null) // no range: the body is the whole object
            : ContentRange.Parse(header);
        if (range.Total is { } total)
        {
            if (session.Total is { } known && known != total)
                throw GcsException.BadRequest($"The total length changed from {known} to {total} during the upload.");
            RefusedForGood(c, session, () => c.Uploads.EnsureWithinLimit(total));
            session.Total = total;
        }

        if (!range.IsStatusQuery)
        {
            var first = range.First!.Value;
            if (first > session.Persisted || range.Last < session.Persisted)
            {
                // A gap (the client is ahead of what arrived) or a chunk persisted already: say where the bytes end.
                await RequestBody.DrainAsync(c.Request, c.Aborted).ConfigureAwait(false);
                await ReplyIncompleteAsync(c, session).ConfigureAwait(false);
                return;
            }
            var body = RequestBody.Open(c.Request);
            long? count = RequestBody.DeclaredLength(c.Request);
            if (range.Last is { } last && count is { } declared && declared != last - first + 1)
                throw GcsException.BadRequest($"Content-Range '{header}' covers {last - first + 1} bytes but the body has {declared}.");
            var overlap = session.Persisted - first;
            if (overlap > 0)
            {
                await SkipAsync(body, overlap, c.Aborted).ConfigureAwait(false);
                count -= overlap;
            }
            ReadOnlyMemory<byte> committed;
            try
            {
                committed = await session.Buffer!.AppendAsync(body, count, c.Aborted).ConfigureAwait(false);
            }
            catch (GcsException)
            {
                // Too large, or longer than declared: the upload can never complete, so its bytes go now.
                c.Uploads.Remove(session);
                throw;
            }
            session.Commit(committed.Span);
            // No Content-Range, or "bytes N-*/*": the body runs to the end of the object.
            if (range.Last is null && session.Total is null)
                session.Total = session.Persisted;
        }
        else
        {
            await RequestBody.DrainAsync(c.Request, c.Aborted).ConfigureAwait(false);
        }

        if (session.Total is { } expected)
        {
            if (session.Persisted > expected)
            {
                c.Uploads.Remove(session);
                throw GcsException.BadRequest($"The upload has {session.Persisted} bytes, more than its declared total {expected}.");
            }
            if (session.Persisted == expected)
            {
                await FinalizeAsync(c, session).ConfigureAwait(false);
                return;
            }
        }
        await ReplyIncompleteAsync(c, session).ConfigureAwait(false);
    }

    private static async Task FinalizeAsync(EmulatorContext c, ResumableSession session)
    {
        ClientHashes[] declared = [session.DeclaredHashes, HashHeader.Read(c.Request)];
        var (data, md5) = session.TakeContent();
        StoredObject stored;
        try
        {
            stored = await UploadFinalizer.CommitAsync(c, session.Bucket, session.Name, data, session.Crc32c, md5,
                session.Attributes, session.Preconditions, declared).ConfigureAwait(false);
        }
        catch (GcsException)
        {
            // A refused upload (hash mismatch, precondition) ends its session: nothing was created.
            c.Uploads.Remove(session);
            throw;
        }
        session.Result = stored;
        await c.WriteObjectAsync(stored).ConfigureAwait(false);
    }

    /// <summary>Runs a check whose failure means the upload can never complete: the session (and its bytes) is dropped.</summary>
    private static void RefusedForGood(EmulatorContext c, ResumableSession session, Action check)
    {
        try
        {
            check();
        }
        catch (GcsException)
        {
            c.Uploads.Remove(session);
            throw;
        }
    }

    private static Task ReplyIncompleteAsync(EmulatorContext c, ResumableSession session)
    {
        if (session.Persisted > 0)
            c.Response.Headers.Range = "bytes=0-" + (session.Persisted - 1).ToString(CultureInfo.InvariantCulture);
        if (!AsksForNo308(c.Request))
            return JsonReplies.WriteEmptyAsync(c.Http, 308);
        c.Response.Headers["X-HTTP-Status-Code-Override"] = "308";
        return JsonReplies.WriteEmptyAsync(c.Http, 200);
    }

    private static bool AsksForNo308(HttpRequest request) =>
        string.Equals(request.Headers["X-GUploader-No-308"].ToString().Trim(), "yes", StringComparison.OrdinalIgnoreCase);

    private static async Task SkipAsync(Stream body, long count, CancellationToken ct)
    {
        var buffer = new byte[(int)Math.Min(count, 64 * 1024)];
        while (count > 0)
        {
            var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), ct).ConfigureAwait(false);
            if (read == 0)
                throw new EndOfStreamException("The chunk ended inside bytes already persisted.");
            count -= read;
        }
    }
}
