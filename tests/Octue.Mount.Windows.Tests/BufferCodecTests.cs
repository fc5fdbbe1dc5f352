using System.Runtime.InteropServices;
using System.Text;
using Octue.Mount.Windows.Mapping;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Tests;

public unsafe class BufferCodecTests
{
    [Fact]
    public void DirInfo_records_are_packed_and_padded_to_8_bytes_like_FspFileSystemAddDirInfo()
    {
        byte* buffer = (byte*)NativeMemory.AllocZeroed(1024);
        try
        {
            new Span<byte>(buffer, 1024).Fill(0xCC);
            var writer = new DirInfoBuffer(buffer, 1024);
            Assert.True(writer.TryAdd("abc", new FspFileInfo { FileSize = 7, IndexNumber = 3 }));
            Assert.Equal(112u, writer.BytesTransferred); // 104 + 6 = 110 -> 112
            Assert.True(writer.TryAdd("\u65E5\u672C.txt", new FspFileInfo { FileAttributes = 0x10 }));
            Assert.Equal(112u + 120u, writer.BytesTransferred); // 104 + 12 = 116 -> 120
            Assert.True(writer.TryAddEnd());
            Assert.Equal(234u, writer.BytesTransferred);

            Assert.Equal(110, *(ushort*)buffer);
            Assert.Equal(7UL, ((FspDirInfo*)buffer)->FileInfo.FileSize);
            Assert.Equal("abc", new string((char*)(buffer + 104), 0, 3));
            Assert.Equal(0, buffer[110]); // padding zeroed
            Assert.Equal(116, *(ushort*)(buffer + 112));
            Assert.Equal(0, *(ushort*)(buffer + 232));

            var parsed = DirInfoBuffer.Parse(new ReadOnlySpan<byte>(buffer, (int)writer.BytesTransferred), out bool sawEnd);
            Assert.True(sawEnd);
            Assert.Equal(["abc", "\u65E5\u672C.txt"], parsed.Select(e => e.Name));
            Assert.Equal(0x10u, parsed[1].Info.FileAttributes);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    [Fact]
    public void A_DirInfo_record_that_does_not_fit_is_not_written()
    {
        byte* buffer = (byte*)NativeMemory.AllocZeroed(200);
        try
        {
            var writer = new DirInfoBuffer(buffer, 200);
            Assert.True(writer.TryAdd("a", default));
            Assert.False(writer.TryAdd("b", default)); // needs 112 more, only 88 left
            Assert.Equal(112u, writer.BytesTransferred);
            Assert.True(writer.TryAddEnd());
            var tiny = new DirInfoBuffer(buffer, 1);
            Assert.False(tiny.TryAddEnd());
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    [Fact]
    public void EA_chains_encode_like_FspFileSystemAddEa_and_decode_back()
    {
        byte[] buffer = new byte[256];
        fixed (byte* p = buffer)
        {
            var writer = new EaBuffer(p, (uint)buffer.Length);
            Assert.True(writer.TryAdd("user.octue.tags", "{\"a\":1}"u8));
            // 8 + 15 + 1 + 7 = 31 bytes; the next entry starts at 32.
            Assert.Equal(31u, writer.BytesTransferred);
            Assert.True(writer.TryAdd("user.gcs.uri", "gs://b/o"u8));
            Assert.Equal(32u + 8 + 12 + 1 + 8, writer.BytesTransferred);
            writer.AddEnd();

            Assert.Equal(32u, BitConverter.ToUInt32(buffer, 0));
            Assert.Equal(15, buffer[5]);
            Assert.Equal(7, BitConverter.ToUInt16(buffer, 6));
            Assert.Equal("user.octue.tags", Encoding.ASCII.GetString(buffer, 8, 15));
            Assert.Equal(0, buffer[8 + 15]);
            Assert.Equal(0u, BitConverter.ToUInt32(buffer, 32)); // last entry terminates the chain

            List<ExtendedAttribute> parsed = EaBuffer.Parse(buffer.AsSpan(0, (int)writer.BytesTransferred));
            Assert.Equal(2, parsed.Count);
            Assert.Equal("user.octue.tags", parsed[0].Name);
            Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(parsed[0].Value));
            Assert.Equal("gs://b/o", Encoding.UTF8.GetString(parsed[1].Value));
        }
        Assert.Equal(5u + 15 + 7, EaBuffer.PackedSize(15, 7));
    }

    [Fact]
    public void An_EA_that_does_not_fit_is_not_written()
    {
        byte[] buffer = new byte[40];
        fixed (byte* p = buffer)
        {
            var writer = new EaBuffer(p, 40);
            Assert.True(writer.TryAdd("a", [1, 2, 3]));
            Assert.False(writer.TryAdd("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", [1]));
            Assert.Equal(13u, writer.BytesTransferred);
        }
    }

    [Fact]
    public void Malformed_EA_chains_are_rejected_with_the_reason()
    {
        Assert.Throws<InvalidDataException>(() => EaBuffer.Parse(new byte[4]));
        byte[] overrun = [0, 0, 0, 0, 0, 3, 50, 0, (byte)'a', (byte)'b', (byte)'c', 0];
        Assert.Contains("runs past", Assert.Throws<InvalidDataException>(() => EaBuffer.Parse(overrun)).Message);
        byte[] noNul = [0, 0, 0, 0, 0, 1, 0, 0, (byte)'a', (byte)'b'];
        Assert.Contains("invalid name", Assert.Throws<InvalidDataException>(() => EaBuffer.Parse(noNul)).Message);
        byte[] loop = [4, 0, 0, 0, 0, 1, 0, 0, (byte)'a', 0, 0, 0];
        Assert.Contains("inside itself", Assert.Throws<InvalidDataException>(() => EaBuffer.Parse(loop)).Message);
    }
}
