using Octue.Mount.Octue;

namespace Octue.Mount.Vfs;

/// <summary>The file-name rule (<see cref="FileNameRule"/>, docs/naming.md) as the error a call naming a file gets.</summary>
internal static class FileNameErrors
{
    /// <summary>None when <paramref name="segment"/> can be a file name; NameTooLong over 255 bytes; InvalidArgument otherwise.</summary>
    public static VfsError Check(string segment) => FileNameRule.Check(segment) switch
    {
        FileNameVerdict.Valid => VfsError.None,
        FileNameVerdict.TooLong => VfsError.NameTooLong,
        _ => VfsError.InvalidArgument,
    };
}
