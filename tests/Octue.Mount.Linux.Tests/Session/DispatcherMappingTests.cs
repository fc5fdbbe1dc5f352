using System.Runtime.InteropServices;
using Octue.Mount.Linux.Protocol;
using Octue.Mount.Linux.Session;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Tests.Session;

public sealed class DispatcherMappingTests
{
    [Theory]
    [InlineData(0x0000u, OpenFlags.Read)]
    [InlineData(0x0001u, OpenFlags.Write)]
    [InlineData(0x0002u, OpenFlags.ReadWrite)]
    [InlineData(0x8241u, OpenFlags.Write | OpenFlags.Truncate)] // O_WRONLY|O_CREAT|O_TRUNC|O_LARGEFILE, as dd sends it
    [InlineData(0x0401u, OpenFlags.Write | OpenFlags.Append)]
    [InlineData(0x00C2u, OpenFlags.ReadWrite | OpenFlags.Exclusive)]
    public void Open_flags_map_to_the_vfs(uint kernelFlags, OpenFlags expected)
    {
        Assert.Equal(expected, FuseDispatcher.ToOpenFlags(kernelFlags));
    }

    [Theory]
    [InlineData(0x0000u, true)]      // O_RDONLY
    [InlineData(0x8000u, true)]      // O_RDONLY | O_LARGEFILE
    [InlineData(0x0001u, false)]     // O_WRONLY
    [InlineData(0x0002u, false)]     // O_RDWR
    [InlineData(0x0200u, false)]     // O_RDONLY | O_TRUNC: Linux truncates
    [InlineData(0x0400u, false)]     // O_RDONLY | O_APPEND
    public void Only_an_open_that_can_change_nothing_cannot_write(uint kernelFlags, bool expected)
    {
        Assert.Equal(expected, FuseDispatcher.CannotWrite(kernelFlags));
    }

    [Fact]
    public void Setattr_maps_only_the_valid_fields()
    {
        var setattr = new FuseSetAttrIn
        {
            Valid = SetAttrValid.Size | SetAttrValid.MTime | SetAttrValid.Mode,
            FileSize = 123,
            MTime = 10,
            MTimeNsec = 5,
            Mode = FileModes.Regular | 0x1ED,
            Uid = 77,
            ATime = 99,
        };
        var changes = FuseDispatcher.ToSetAttributes(setattr, DateTimeOffset.UnixEpoch);
        Assert.Equal(123L, changes.Size);
        Assert.Equal(10_000_000_005L, changes.ModifiedNs);
        Assert.Equal(0x1EDu, changes.Mode);
        Assert.Null(changes.AccessedNs);
        Assert.Null(changes.Uid);
        Assert.Null(changes.Gid);
    }

    [Fact]
    public void Setattr_now_uses_the_clock()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var changes = FuseDispatcher.ToSetAttributes(new FuseSetAttrIn { Valid = SetAttrValid.ATimeNow | SetAttrValid.MTimeNow | SetAttrValid.ATime | SetAttrValid.MTime }, now);
        Assert.Equal(1_700_000_000L * 1_000_000_000, changes.ModifiedNs);
        Assert.Equal(1_700_000_000L * 1_000_000_000, changes.AccessedNs);
    }

    [Fact]
    public void Rename2_carries_flags_and_names()
    {
        var args = new byte[16 + 4 + 4];
        MemoryMarshal.Write(args, new FuseRename2In { NewDir = 3, Flags = FuseRename2In.NoReplace });
        "a.x\0b.y\0"u8.CopyTo(args.AsSpan(16));
        Assert.True(FuseDispatcher.TryParseRename(args, plain: false, out var dir, out var flags, out var oldName, out var newName));
        Assert.Equal(3UL, dir);
        Assert.Equal(FuseRename2In.NoReplace, flags);
        Assert.Equal(("a.x", "b.y"), (oldName, newName));
        Assert.False(FuseDispatcher.TryParseRename(args.AsSpan(0, 20), plain: false, out _, out _, out _, out _));
    }

    [Fact]
    public void Setxattr_finds_the_value_after_the_name()
    {
        var args = new byte[8 + 22 + 7];
        MemoryMarshal.Write(args, new FuseSetXattrIn { ValueSize = 7, Flags = FuseSetXattrIn.XattrReplace });
        "user.octue.tags.site\0\0"u8[..21].CopyTo(args.AsSpan(8));
        "\"north\""u8.CopyTo(args.AsSpan(29));
        Assert.True(FuseDispatcher.TryParseSetXattr(args.AsSpan(0, 36), ext: false, out var name, out var flags, out var offset, out var length));
        Assert.Equal("user.octue.tags.site", name);
        Assert.Equal(XattrFlags.Replace, flags);
        Assert.Equal(29, offset);
        Assert.Equal(7, length);
        // A value shorter than it claims is refused.
        Assert.False(FuseDispatcher.TryParseSetXattr(args.AsSpan(0, 33), ext: false, out _, out _, out _, out _));
    }

    [Fact]
    public void Every_vfs_error_has_a_distinct_positive_errno()
    {
        var errnos = Enum.GetValues<VfsError>().Where(e => e != VfsError.None).Select(ErrnoMap.ToErrno).ToList();
        Assert.All(errnos, e => Assert.InRange(e, 1, 999));
        Assert.Equal(errnos.Count, errnos.Distinct().Count());
        Assert.Equal(Errno.ESTALE, ErrnoMap.ToErrno(VfsError.Stale));
        Assert.Equal(Errno.ENODATA, ErrnoMap.ToErrno(VfsError.NoData));
    }

    [Fact]
    public void Attributes_become_stat_fields()
    {
        var attributes = new NodeAttributes
        {
            NodeId = 42, Kind = NodeKind.File, Size = 1000, Mode = 0x1A4, Uid = 1000, Gid = 100,
            ModifiedNs = 1_700_000_000_123_456_789, CacheFor = TimeSpan.FromMilliseconds(1500), LinkCount = 1,
        };
        var entry = AttrMapper.ToEntry(attributes);
        Assert.Equal(42UL, entry.NodeId);
        Assert.Equal(1UL, entry.EntryValid);
        Assert.Equal(500_000_000u, entry.EntryValidNsec);
        Assert.Equal(42UL, entry.Attr.Ino);
        Assert.Equal(FileModes.Regular | 0x1A4, entry.Attr.Mode);
        Assert.Equal(2UL, entry.Attr.Blocks);
        Assert.Equal(1_700_000_000UL, entry.Attr.MTime);
        Assert.Equal(123_456_789u, entry.Attr.MTimeNsec);
        Assert.Equal(1u, entry.Attr.NLink);
        // A file unlinked while open has no link left (fstat shows 0); a directory always has its two.
        Assert.Equal(0u, AttrMapper.ToAttr(attributes with { LinkCount = 0 }).NLink);
        Assert.Equal(2u, AttrMapper.ToAttr(attributes with { Kind = NodeKind.Directory, LinkCount = 0 }).NLink);
        // The stable inode number is st_ino when the file system gives one; the node id otherwise.
        Assert.Equal(9_000_000_000UL, AttrMapper.ToAttr(attributes with { Inode = 9_000_000_000 }).Ino);
        var directory = AttrMapper.ToAttr(attributes with { Kind = NodeKind.Directory, LinkCount = 0 });
        Assert.Equal(FileModes.Directory | 0x1A4, directory.Mode);
        Assert.Equal(2u, directory.NLink);
    }

    [Fact]
    public void Readdirplus_packs_dot_entries_without_a_node_and_counts_only_real_ones()
    {
        NodeAttributes Dir(ulong id) => new() { NodeId = id, Kind = NodeKind.Directory, Mode = 0x1ED };
        var entries = new List<DirectoryEntry>
        {
            new(".", Dir(5), 1),
            new("..", Dir(1), 2),
            new("child", Dir(9), 3),
        };
        var buffer = new byte[4096];
        var used = DirectoryPacker.Pack(buffer, entries, plus: true, out var count);
        Assert.Equal(3, count);
        Assert.Equal(DirentEncoder.DirentPlusSize(1) + DirentEncoder.DirentPlusSize(2) + DirentEncoder.DirentPlusSize(5), used);
        Assert.Equal(0UL, BitConverter.ToUInt64(buffer, 0)); // "." carries nodeid 0 ...
        Assert.Equal(5UL, BitConverter.ToUInt64(buffer, 128)); // ... but its dirent has the inode number
        Assert.False(DirectoryPacker.CountsAsLookup(entries[0]));
        Assert.False(DirectoryPacker.CountsAsLookup(entries[1]));
        Assert.True(DirectoryPacker.CountsAsLookup(entries[2]));

        var small = DirectoryPacker.Pack(buffer.AsSpan(0, 200), entries, plus: true, out var fitted);
        Assert.Equal(1, fitted);
        Assert.Equal(DirentEncoder.DirentPlusSize(1), small);
    }

    [Fact]
    public void Xattr_names_are_each_nul_terminated()
    {
        Assert.Equal("user.a\0user.bb\0"u8.ToArray(), XattrNameList.Encode(["user.a", "user.bb"]));
        Assert.Empty(XattrNameList.Encode([]));
    }
}
