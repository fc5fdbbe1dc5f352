namespace Octue.Mount.Windows.Mapping;

/// <summary>
/// FILETIME (100 ns ticks since 1601-01-01 UTC) ⇄ nanoseconds since the Unix epoch (the VFS's clock).
/// Times before 1601 clamp to 0, the smallest FILETIME; sub-100 ns precision is truncated towards the past.
/// </summary>
internal static class FileTime
{
    /// <summary>FILETIME of 1970-01-01T00:00:00Z: (1970 - 1601) years of 100 ns ticks, 11644473600 s × 10⁷.</summary>
    public const long UnixEpoch = 116_444_736_000_000_000;

    public static ulong FromUnixNanoseconds(long ns)
    {
        long ticks = Math.DivRem(ns, 100, out long rem);
        if (rem < 0)
            ticks--; // floor, so negative times stay ordered
        long fileTime = ticks + UnixEpoch;
        return fileTime < 0 ? 0 : (ulong)fileTime;
    }

    public static long ToUnixNanoseconds(ulong fileTime)
    {
        // Unix nanoseconds in a long span 1677-2262; FILETIMEs outside clamp instead of overflowing.
        const ulong maxFileTime = (ulong)(long.MaxValue / 100) + UnixEpoch;
        const ulong minFileTime = (ulong)(long.MinValue / 100 + UnixEpoch);
        if (fileTime > maxFileTime)
            return long.MaxValue / 100 * 100;
        if (fileTime < minFileTime)
            return long.MinValue / 100 * 100;
        return ((long)fileTime - UnixEpoch) * 100;
    }
}
