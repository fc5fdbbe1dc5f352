namespace Octue.Mount.Vfs;

public sealed partial class OctueFileSystem
{
    public ValueTask<VfsResult<byte[]>> GetXattrAsync(ulong node, string name, CancellationToken ct = default) => ValueTask.FromResult<VfsResult<byte[]>>(VfsError.NoData);
    public ValueTask<VfsResult<IReadOnlyList<string>>> ListXattrAsync(ulong node, CancellationToken ct = default) => ValueTask.FromResult<VfsResult<IReadOnlyList<string>>>(Array.Empty<string>());
    public ValueTask<VfsError> SetXattrAsync(ulong node, string name, ReadOnlyMemory<byte> value, XattrFlags flags, CancellationToken ct = default) => ValueTask.FromResult(VfsError.NotSupported);
    public ValueTask<VfsError> RemoveXattrAsync(ulong node, string name, CancellationToken ct = default) => ValueTask.FromResult(VfsError.NotSupported);
}
