using Microsoft.Extensions.Logging;
using Octue.Mount.Vfs;
using Octue.Mount.Windows.Mapping;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Adapter;

internal sealed partial class WinFspAdapter
{
    /// <summary>
    /// GetEa: every extended attribute of the node as a FILE_FULL_EA_INFORMATION chain (same names as the Linux
    /// xattrs). When the buffer cannot hold them all, the ones that fit are returned, as WinFsp's own file systems do;
    /// Windows then asks again with a larger buffer.
    /// </summary>
    public unsafe int GetEa(OpenFile file, void* buffer, uint length, out uint bytesTransferred)
    {
        var outcome = new EaOutcome();
        int status = DispatcherWait.Run(CollectEasAsync(file.Node, outcome));
        bytesTransferred = 0;
        if (status != NtStatus.Success)
            return status;
        var writer = new EaBuffer(buffer, length);
        foreach ((string name, byte[] value) in outcome.Attributes)
        {
            if (!writer.TryAdd(name, value))
            {
                bytesTransferred = writer.BytesTransferred;
                return NtStatus.Success;
            }
        }
        writer.AddEnd();
        bytesTransferred = writer.BytesTransferred;
        return NtStatus.Success;
    }

    private async ValueTask<int> CollectEasAsync(ulong node, EaOutcome outcome)
    {
        VfsResult<IReadOnlyList<string>> names = await _fs.ListXattrAsync(node, Ct).ConfigureAwait(false);
        if (!names.IsOk)
            return NtStatusMap.FromVfsError(names.Error);
        foreach (string name in names.Value)
        {
            if (!EaNames.CanBeEaName(name))
            {
                _log.LogDebug("Extended attribute {Name} of node {Node} cannot be a Windows EA name; not listed", name, node);
                continue;
            }
            VfsResult<byte[]> value = await _fs.GetXattrAsync(node, name, Ct).ConfigureAwait(false);
            if (value.Error == VfsError.NoData)
                continue; // removed between listing and reading
            if (!value.IsOk)
                return NtStatusMap.FromVfsError(value.Error);
            if (value.Value.Length > EaBuffer.MaxValueLength)
            {
                _log.LogWarning("Extended attribute {Name} of node {Node} is longer than an EA value can be; not listed", name, node);
                continue;
            }
            outcome.Attributes.Add((name, value.Value));
        }
        return NtStatus.Success;
    }

    /// <summary>
    /// SetEa: each entry of the chain sets (or, with an empty value, removes) one extended attribute, names mapped
    /// by <see cref="EaNames"/>. The entries are applied in order; the first failure stops and is returned (the VFS
    /// applies each attribute atomically, so nothing is half-written).
    /// </summary>
    public int SetEa(OpenFile file, ReadOnlySpan<byte> ea, out FspFileInfo info)
    {
        info = default;
        List<ExtendedAttribute> attributes;
        try
        {
            attributes = EaBuffer.Parse(ea);
        }
        catch (InvalidDataException e)
        {
            _log.LogWarning("Malformed FILE_FULL_EA_INFORMATION from Windows: {Message}", e.Message);
            return NtStatus.InvalidParameter;
        }
        int status = DispatcherWait.Run(SetEasAsync(file.Node, attributes));
        return status != NtStatus.Success ? status : GetFileInfo(file, out info);
    }

    private async ValueTask<int> SetEasAsync(ulong node, List<ExtendedAttribute> attributes)
    {
        VfsResult<IReadOnlyList<string>> existing = await _fs.ListXattrAsync(node, Ct).ConfigureAwait(false);
        if (!existing.IsOk)
            return NtStatusMap.FromVfsError(existing.Error);
        foreach (ExtendedAttribute ea in attributes)
        {
            string name = EaNames.ToXattrName(ea.Name, existing.Value);
            VfsError error = ea.Value.Length == 0
                ? await _fs.RemoveXattrAsync(node, name, Ct).ConfigureAwait(false)
                : await _fs.SetXattrAsync(node, name, ea.Value, XattrFlags.None, Ct).ConfigureAwait(false);
            if (error == VfsError.NoData && ea.Value.Length == 0)
                continue; // removing an EA that is not there is not an error on Windows
            if (error != VfsError.None)
            {
                _log.LogWarning("Setting EA {Name} on node {Node} failed: {Error}", name, node, error);
                return NtStatusMap.FromVfsError(error);
            }
        }
        return NtStatus.Success;
    }

    private sealed class EaOutcome
    {
        public readonly List<(string Name, byte[] Value)> Attributes = [];
    }
}
