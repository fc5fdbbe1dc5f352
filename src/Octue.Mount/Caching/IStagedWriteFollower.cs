namespace Octue.Mount.Caching;

/// <summary>
/// Follows a staged copy's changes as they happen (a streamed upload sends its bytes while they are written). The
/// copy calls it around each change, from the one thread that owns the copy at a time.
/// </summary>
internal interface IStagedWriteFollower
{
    /// <summary>A write of <paramref name="count"/> bytes at <paramref name="offset"/> is about to change the copy.</summary>
    void Writing(long offset, int count);

    /// <summary>The write before ended well: the copy now holds its bytes, which end at <paramref name="end"/>.</summary>
    ValueTask WrittenAsync(long end, CancellationToken ct);

    /// <summary>The copy's length is about to be set to <paramref name="length"/> (a truncation or extension).</summary>
    void Resizing(long length);

    /// <summary>The copy is closed (deleted, kept elsewhere, or left for a recovery): nothing more of it is followed.</summary>
    void Discarded();
}
