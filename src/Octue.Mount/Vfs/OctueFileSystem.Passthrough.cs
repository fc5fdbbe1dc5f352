namespace Octue.Mount.Vfs;

// Whole, verified cached copies handed to adapters that can let the kernel read them directly (FUSE passthrough).
public sealed partial class OctueFileSystem
{
    /// <inheritdoc/>
    public string? GetPassthroughFile(ulong handle)
    {
        if (!_files.TryGetValue(handle, out var h) || h.CanWrite || h.Unconfirmed || h.Staged is not null || h.Base is not { } baseObject)
        {
            return null;
        }

        return _reads.GetWholeFile(baseObject);
    }
}
