namespace Octue.Mount.Vfs;

/// <summary>
/// A staged copy that does not hold what its sidecar says it holds: its bytes were never changed, so they must be
/// the base object's, yet its size differs (a copy-in cut short by a crash under an older sidecar format, a damaged
/// disk). Uploading it would publish a partial object; <see cref="StagedUploader"/> keeps it in <c>conflicts/</c>.
/// </summary>
internal sealed class StagedCopyIncompleteException(string message) : Exception(message);
