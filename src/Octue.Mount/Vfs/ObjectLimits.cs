using System.Text;

namespace Octue.Mount.Vfs;

/// <summary>
/// Cloud Storage's own limits, checked before anything is staged or sent, so a request the store must refuse is
/// refused at the call that asked for it (mkdir, create, rename, symlink, truncate, write) with the errno a local file
/// system gives, never later at close with EIO.
/// </summary>
internal static class ObjectLimits
{
    /// <summary>Longest object name Cloud Storage accepts, in bytes of UTF-8 (the mount's prefix included).</summary>
    public const int MaxObjectNameBytes = 1024;

    /// <summary>Largest object Cloud Storage accepts (5 TiB): a file cannot grow past it (EFBIG).</summary>
    public const long MaxObjectSize = 5L << 40;

    /// <summary>True when <paramref name="objectName"/> is a name Cloud Storage accepts by length.</summary>
    public static bool NameFits(string objectName) =>
        // 1024 UTF-16 units hold more than 1024 UTF-8 bytes only when some are not ASCII.
        objectName.Length <= MaxObjectNameBytes / 3 ||
        (objectName.Length <= MaxObjectNameBytes && Encoding.UTF8.GetByteCount(objectName) <= MaxObjectNameBytes);

    /// <summary>True when a file of <paramref name="size"/> bytes can be stored.</summary>
    public static bool SizeFits(long size) => size <= MaxObjectSize;
}
