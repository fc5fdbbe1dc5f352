using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>Turns the file system's <see cref="NodeAttributes"/> into the kernel's attr/entry structs.</summary>
internal static class AttrMapper
{
    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>
    /// Reported as st_blksize. cp, rsync and dd size their buffers from it, and 1 MiB matches max_write, so
    /// copies arrive as full-size WRITEs instead of 128 KiB ones.
    /// </summary>
    public const uint PreferredIoSize = 1 << 20;

    public static uint TypeBits(NodeKind kind) => kind switch
    {
        NodeKind.Directory => FileModes.Directory,
        NodeKind.Symlink => FileModes.Symlink,
        _ => FileModes.Regular,
    };

    public static FuseAttr ToAttr(in NodeAttributes attributes)
    {
        var (aSec, aNsec) = Split(attributes.AccessedNs);
        var (mSec, mNsec) = Split(attributes.ModifiedNs);
        var (cSec, cNsec) = Split(attributes.ChangedNs);
        var size = attributes.Size < 0 ? 0UL : (ulong)attributes.Size;
        // 0 links is a file unlinked while open; a directory always has its two.
        var links = attributes.LinkCount != 0 || attributes.Kind != NodeKind.Directory ? attributes.LinkCount : 2u;
        return new FuseAttr
        {
            Ino = InodeOf(attributes),
            FileSize = size,
            Blocks = (size + 511) / 512,
            ATime = aSec,
            ATimeNsec = aNsec,
            MTime = mSec,
            MTimeNsec = mNsec,
            CTime = cSec,
            CTimeNsec = cNsec,
            Mode = TypeBits(attributes.Kind) | (attributes.Mode & FileModes.PermissionMask),
            NLink = links,
            Uid = attributes.Uid,
            Gid = attributes.Gid,
            BlkSize = PreferredIoSize,
        };
    }

    /// <summary>st_ino: the file system's stable inode number; the nodeid only for attributes that carry none.</summary>
    public static ulong InodeOf(in NodeAttributes attributes) => attributes.Inode != 0 ? attributes.Inode : attributes.NodeId;

    public static FuseEntryOut ToEntry(in NodeAttributes attributes)
    {
        var (validSec, validNsec) = SplitTimeout(attributes.CacheFor);
        return new FuseEntryOut
        {
            NodeId = attributes.NodeId,
            Generation = 0,
            EntryValid = validSec,
            EntryValidNsec = validNsec,
            AttrValid = validSec,
            AttrValidNsec = validNsec,
            Attr = ToAttr(attributes),
        };
    }

    public static FuseAttrOut ToAttrOut(in NodeAttributes attributes)
    {
        var (validSec, validNsec) = SplitTimeout(attributes.CacheFor);
        return new FuseAttrOut { AttrValid = validSec, AttrValidNsec = validNsec, Attr = ToAttr(attributes) };
    }

    public static (ulong Seconds, uint Nanoseconds) SplitTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
            return (0, 0);
        var ticks = timeout.Ticks;
        return ((ulong)(ticks / TimeSpan.TicksPerSecond), (uint)(ticks % TimeSpan.TicksPerSecond * 100));
    }

    /// <summary>Splits nanoseconds since the epoch into seconds and nanoseconds (times before 1970 clamp to 0).</summary>
    public static (ulong Seconds, uint Nanoseconds) Split(long nanoseconds)
    {
        if (nanoseconds <= 0)
            return (0, 0);
        return ((ulong)(nanoseconds / NanosPerSecond), (uint)(nanoseconds % NanosPerSecond));
    }

    public static long Join(ulong seconds, uint nanoseconds) => (long)seconds * NanosPerSecond + nanoseconds;
}
