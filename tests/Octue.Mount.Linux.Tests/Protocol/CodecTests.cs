using System.Runtime.InteropServices;
using System.Text;
using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Tests.Protocol;

public sealed class CodecTests
{
    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Bytes<T>(T value) where T : unmanaged
    {
        var bytes = new byte[System.Runtime.CompilerServices.Unsafe.SizeOf<T>()];
        MemoryMarshal.Write(bytes, in value);
        return bytes;
    }

    [Fact]
    public void Arg_reader_reads_struct_then_nul_terminated_names()
    {
        var args = Concat(Bytes(new FuseRenameIn { NewDir = 42 }), "old\0"u8.ToArray(), "néw\0"u8.ToArray());
        var reader = new FuseArgReader(args);
        Assert.True(reader.TryRead(out FuseRenameIn rename));
        Assert.Equal(42UL, rename.NewDir);
        Assert.True(reader.TryReadName(out var oldName));
        Assert.True(reader.TryReadName(out var newName));
        Assert.Equal("old", oldName);
        Assert.Equal("néw", newName);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Arg_reader_refuses_short_structs_unterminated_names_and_bad_utf8()
    {
        var shortArgs = new byte[7];
        var reader = new FuseArgReader(shortArgs);
        Assert.False(reader.TryRead(out FuseRenameIn _));

        var unterminated = new FuseArgReader("abc"u8);
        Assert.False(unterminated.TryReadName(out _));

        var invalid = new FuseArgReader(new byte[] { 0xFF, 0xFE, 0 });
        Assert.False(invalid.TryReadName(out _));
    }

    [Fact]
    public void Arg_reader_skips_the_wire_size_of_a_bigger_struct()
    {
        // SETXATTR_EXT makes fuse_setxattr_in 16 bytes, of which the first 8 are the fields we use.
        var args = Concat(Bytes(new FuseSetXattrIn { ValueSize = 3, Flags = 1 }), new byte[8], "user.a\0"u8.ToArray(), "xyz"u8.ToArray());
        var reader = new FuseArgReader(args);
        Assert.True(reader.TryRead(FuseSetXattrIn.ExtSize, out FuseSetXattrIn setxattr));
        Assert.Equal(3u, setxattr.ValueSize);
        Assert.True(reader.TryReadName(out var name));
        Assert.Equal("user.a", name);
        Assert.True(reader.TryReadBytes(3, out var value));
        Assert.Equal("xyz", Encoding.ASCII.GetString(value));
    }

    [Fact]
    public void Error_replies_are_16_bytes_with_a_negative_errno()
    {
        var buffer = new byte[64];
        var length = FuseReplyEncoder.WriteError(buffer, 1234, Errno.ENOENT);
        Assert.Equal(16, length);
        var header = MemoryMarshal.Read<FuseOutHeader>(buffer);
        Assert.Equal(16u, header.Length);
        Assert.Equal(-2, header.Error);
        Assert.Equal(1234UL, header.Unique);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(1000)]
    public void Errnos_the_kernel_would_refuse_are_never_encoded(int errno)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FuseReplyEncoder.WriteError(new byte[16], 1, errno));
    }

    [Fact]
    public void Struct_replies_carry_the_exact_length()
    {
        var buffer = new byte[256];
        var entry = new FuseEntryOut { NodeId = 7 };
        var length = FuseReplyEncoder.WriteStruct(buffer, 10, in entry);
        Assert.Equal(16 + 128, length);
        Assert.Equal((uint)length, MemoryMarshal.Read<FuseOutHeader>(buffer).Length);
        Assert.Equal(7UL, BitConverter.ToUInt64(buffer, 16));

        var both = FuseReplyEncoder.WriteStructs(buffer, 10, in entry, new FuseOpenOut { Fh = 99 });
        Assert.Equal(16 + 128 + 16, both);
        Assert.Equal(99UL, BitConverter.ToUInt64(buffer, 16 + 128));
    }

    [Fact]
    public void Inval_entry_notification_ends_with_a_nul_and_counts_it()
    {
        var buffer = new byte[128];
        var length = FuseReplyEncoder.WriteInvalEntry(buffer, 5, "abc"u8);
        Assert.Equal(16 + 16 + 3 + 1, length);
        var header = MemoryMarshal.Read<FuseOutHeader>(buffer);
        Assert.Equal((uint)length, header.Length);
        Assert.Equal((int)FuseNotifyCode.InvalEntry, header.Error);
        Assert.Equal(0UL, header.Unique);
        var payload = MemoryMarshal.Read<FuseNotifyInvalEntryOut>(buffer.AsSpan(16));
        Assert.Equal(5UL, payload.Parent);
        Assert.Equal(3u, payload.NameLength);
        Assert.Equal(0, buffer[length - 1]);
    }

    [Fact]
    public void Inval_inode_notification_is_40_bytes()
    {
        var buffer = new byte[64];
        var length = FuseReplyEncoder.WriteInvalInode(buffer, 9, -1, 0);
        Assert.Equal(40, length);
        var payload = MemoryMarshal.Read<FuseNotifyInvalInodeOut>(buffer.AsSpan(16));
        Assert.Equal(9UL, payload.Ino);
        Assert.Equal(-1L, payload.Offset);
        Assert.Equal((int)FuseNotifyCode.InvalInode, MemoryMarshal.Read<FuseOutHeader>(buffer).Error);
    }

    [Fact]
    public void Dirents_are_padded_to_8_bytes_and_refused_when_they_do_not_fit()
    {
        var buffer = new byte[64];
        Array.Fill(buffer, (byte)0xAA);
        var used = DirentEncoder.TryWriteDirent(buffer, 11, 3, 8, "hello"u8);
        Assert.Equal(32, used); // 24 + 5 = 29, padded to 32
        Assert.Equal(11UL, BitConverter.ToUInt64(buffer, 0));
        Assert.Equal(3UL, BitConverter.ToUInt64(buffer, 8));
        Assert.Equal(5u, BitConverter.ToUInt32(buffer, 16));
        Assert.Equal(8u, BitConverter.ToUInt32(buffer, 20));
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 24, 5));
        Assert.All(buffer[29..32], b => Assert.Equal(0, b));
        Assert.Equal(0xAA, buffer[32]);

        Assert.Equal(0, DirentEncoder.TryWriteDirent(buffer.AsSpan(0, 31), 11, 3, 8, "hello"u8));
    }

    [Fact]
    public void Direntplus_puts_the_entry_before_the_dirent()
    {
        var buffer = new byte[512];
        var entry = new FuseEntryOut { NodeId = 12, Attr = new FuseAttr { Ino = 12, Mode = FileModes.Regular | 0x1A4 } };
        var used = DirentEncoder.TryWriteDirentPlus(buffer, in entry, 4, 8, "file.txt"u8);
        Assert.Equal(DirentEncoder.Align8(152 + 8), used);
        Assert.Equal(12UL, BitConverter.ToUInt64(buffer, 0));
        Assert.Equal(12UL, BitConverter.ToUInt64(buffer, 128)); // dirent.ino
        Assert.Equal(4UL, BitConverter.ToUInt64(buffer, 136)); // dirent.off
        Assert.Equal("file.txt", Encoding.ASCII.GetString(buffer, 152, 8));
        Assert.Equal(0, DirentEncoder.TryWriteDirentPlus(buffer.AsSpan(0, 159), in entry, 4, 8, "file.txt"u8));
    }

    [Fact]
    public void Dirent_types_come_from_the_mode()
    {
        Assert.Equal(4u, FileModes.DirentType(FileModes.Directory | 0x1ED));
        Assert.Equal(8u, FileModes.DirentType(FileModes.Regular));
        Assert.Equal(10u, FileModes.DirentType(FileModes.Symlink));
    }
}
