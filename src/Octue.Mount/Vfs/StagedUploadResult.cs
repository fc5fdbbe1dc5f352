using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>What became of an attempt to upload a staged copy (<see cref="StagedUploader"/>).</summary>
internal enum StagedUploadOutcome
{
    /// <summary>The object now holds the staged bytes: uploaded now, or found already there (an upload whose reply was lost).</summary>
    Uploaded,

    /// <summary>The object changed since the copy's base: the bytes were moved to <c>conflicts/</c>; the writer gets ESTALE.</summary>
    LostRace,

    /// <summary>
    /// GCS refused the upload for good (a 4xx other than 408 and 429: no such bucket, no permission, a name or an object
    /// it will not take): the bytes were moved to <c>conflicts/</c>, so no later start retries them.
    /// </summary>
    Refused,

    /// <summary>
    /// A failure that may pass (5xx or 429 after retries, a broken connection, a local read error, cancellation): the
    /// copy stays in <c>staging/</c> for a later attempt.
    /// </summary>
    Deferred,
}

/// <summary>The outcome of a staged upload, the error a caller reports for it, and what it left where.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Error">None when uploaded; else the error the writer gets (Stale for a lost race).</param>
/// <param name="Object">The object the copy now is, when uploaded.</param>
/// <param name="KeptPath">Where the bytes were kept, for a lost race or a refusal.</param>
/// <param name="Cause">The failure behind a refusal or a deferral.</param>
/// <param name="AlreadyThere">True when the object was found holding these bytes already (no upload was needed).</param>
internal readonly record struct StagedUploadResult(StagedUploadOutcome Outcome, VfsError Error, ObjectInfo? Object = null, string? KeptPath = null,
    Exception? Cause = null, bool AlreadyThere = false)
{
    public bool IsUploaded => Outcome == StagedUploadOutcome.Uploaded;

    /// <summary>True when the bytes left <c>staging/</c> for <c>conflicts/</c> (a lost race or a refusal).</summary>
    public bool IsKept => Outcome is StagedUploadOutcome.LostRace or StagedUploadOutcome.Refused;

    /// <summary>True when a deferral was caused by the local disk, not by the store.</summary>
    public bool IsLocalFailure => Cause is IOException or UnauthorizedAccessException;
}

/// <summary>
/// What an upload of a staged copy sends: the metadata (merged with changes made elsewhere since the copy's base) and
/// its preconditions. Made by <see cref="StagedUploader.PrepareAsync"/>; an upload that sends its bytes by other means
/// (a resumable session fed while the file is written) sends exactly this.
/// </summary>
/// <param name="Bucket">The bucket of the object.</param>
/// <param name="Name">The object's name.</param>
/// <param name="Options">Content type, metadata, IfGenerationMatch (the base generation, 0 for a new object) and
/// IfMetagenerationMatch (the base metageneration, when known).</param>
/// <param name="Base">The object as the merge last saw it, when it still has the copy's base generation.</param>
internal sealed record StagedUploadPlan(string Bucket, string Name, UploadOptions Options, ObjectInfo? Base)
{
    public string Uri => $"gs://{Bucket}/{Name}";
}
