using Octue.Mount.Vfs;
using Octue.Mount.Windows.Mapping;

namespace Octue.Mount.Windows.Adapter;

/// <summary>The outcome of walking a Windows path down the VFS tree.</summary>
internal readonly record struct ResolvedPath(VfsError Error, bool MissingParent, NodeAttributes Attributes, bool Held)
{
    public bool IsOk => Error == VfsError.None;
}

/// <summary>
/// Turns WinFsp's path-based requests into the VFS's node-based calls: <c>\a\b\c</c> is walked from the root with one
/// <see cref="IFileSystem.LookupAsync"/> per component (names decoded with <see cref="WindowsNames"/>). Each lookup
/// takes a lookup count, so every intermediate node is forgotten as soon as its child is found, and the final node is
/// either forgotten too or kept (<c>hold</c>) for the caller, which gives it back with <see cref="Release"/>.
/// The root is never counted, as in FUSE.
/// </summary>
internal sealed class PathWalker
{
    private readonly IFileSystem _fs;

    public PathWalker(IFileSystem fs) => _fs = fs;

    public async ValueTask<ResolvedPath> ResolveAsync(string windowsPath, bool hold, CancellationToken ct)
    {
        ulong current = IFileSystem.RootId;
        NodeAttributes attributes = default;
        bool atRoot = true;
        int start = 0;
        while (true)
        {
            while (start < windowsPath.Length && windowsPath[start] == '\\')
                start++;
            if (start >= windowsPath.Length)
                break;
            int end = windowsPath.IndexOf('\\', start);
            if (end < 0)
                end = windowsPath.Length;
            string name = WindowsNames.ToObjectName(windowsPath[start..end]);
            bool last = windowsPath.AsSpan(end).TrimStart('\\').IsEmpty;

            VfsResult<NodeAttributes> found = await _fs.LookupAsync(current, name, ct).ConfigureAwait(false);
            if (!atRoot)
                _fs.Forget(current, 1);
            if (!found.IsOk)
            {
                VfsError error = found.Error;
                // A missing directory on the way, or a file used as one, is "path not found" on Windows (as NTFS says).
                bool missingParent = error == VfsError.NotDirectory || (!last && error == VfsError.NotFound);
                return new ResolvedPath(error, missingParent, default, false);
            }
            attributes = found.Value;
            current = attributes.NodeId;
            atRoot = false;
            start = end;
        }

        if (atRoot)
        {
            VfsResult<NodeAttributes> root = await _fs.GetAttributesAsync(IFileSystem.RootId, null, ct).ConfigureAwait(false);
            return root.IsOk ? new ResolvedPath(VfsError.None, false, root.Value, false) : new ResolvedPath(root.Error, false, default, false);
        }
        if (!hold)
            _fs.Forget(current, 1);
        return new ResolvedPath(VfsError.None, false, attributes, hold);
    }

    /// <summary>Gives back the lookup count a held resolution took.</summary>
    public void Release(in ResolvedPath resolved)
    {
        if (resolved.Held)
            _fs.Forget(resolved.Attributes.NodeId, 1);
    }

    /// <summary>Splits <c>\a\b\c</c> into the parent path <c>\a\b</c> and the decoded object name of <c>c</c>.</summary>
    public static (string ParentPath, string Name) Split(string windowsPath)
    {
        string trimmed = windowsPath.TrimEnd('\\');
        int slash = trimmed.LastIndexOf('\\');
        string parent = slash <= 0 ? "\\" : trimmed[..slash];
        return (parent, WindowsNames.ToObjectName(trimmed[(slash + 1)..]));
    }
}
