namespace Octue.Mount.Vfs;

/// <summary>Where a name may be made, removed or renamed.</summary>
internal static class ChangeRules
{
    /// <summary>
    /// Checks a change to a name in a directory (null: the kernel's id names no node): the directory is a writable
    /// projection of a bucket prefix and the name is valid.
    /// </summary>
    public static VfsError Check(Node? dir, string name, bool readOnly)
    {
        if (dir is null)
        {
            return VfsError.NotFound;
        }

        if (!dir.IsDirectory)
        {
            return VfsError.NotDirectory;
        }

        if (readOnly)
        {
            return VfsError.ReadOnly;
        }

        var check = FileNameErrors.Check(name);
        if (check != VfsError.None)
        {
            return check;
        }

        return dir.Role == DirectoryRole.Prefix ? VfsError.None : VfsError.AccessDenied;
    }
}
