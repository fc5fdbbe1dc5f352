using System.Runtime.CompilerServices;
using Octue.Mount.Linux.Protocol;

namespace Octue.Mount.Linux.Tests.Protocol;

/// <summary>The structs must match the kernel ABI (include/uapi/linux/fuse.h at 7.45) byte for byte.</summary>
public sealed class StructLayoutTests
{
    [Fact]
    public void Sizes_match_the_kernel_abi()
    {
        Assert.Equal(40, Unsafe.SizeOf<FuseInHeader>());
        Assert.Equal(16, Unsafe.SizeOf<FuseOutHeader>());
        Assert.Equal(64, Unsafe.SizeOf<FuseInitIn>());
        Assert.Equal(64, Unsafe.SizeOf<FuseInitOut>());
        Assert.Equal(88, Unsafe.SizeOf<FuseAttr>());
        Assert.Equal(128, Unsafe.SizeOf<FuseEntryOut>());
        Assert.Equal(104, Unsafe.SizeOf<FuseAttrOut>());
        Assert.Equal(16, Unsafe.SizeOf<FuseGetAttrIn>());
        Assert.Equal(88, Unsafe.SizeOf<FuseSetAttrIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseOpenIn>());
        Assert.Equal(16, Unsafe.SizeOf<FuseOpenOut>());
        Assert.Equal(16, Unsafe.SizeOf<FuseCreateIn>());
        Assert.Equal(40, Unsafe.SizeOf<FuseReadIn>());
        Assert.Equal(40, Unsafe.SizeOf<FuseWriteIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseWriteOut>());
        Assert.Equal(24, Unsafe.SizeOf<FuseReleaseIn>());
        Assert.Equal(24, Unsafe.SizeOf<FuseFlushIn>());
        Assert.Equal(16, Unsafe.SizeOf<FuseFsyncIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseAccessIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseInterruptIn>());
        Assert.Equal(80, Unsafe.SizeOf<FuseStatfsOut>());
        Assert.Equal(8, Unsafe.SizeOf<FuseForgetIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseBatchForgetIn>());
        Assert.Equal(16, Unsafe.SizeOf<FuseForgetOne>());
        Assert.Equal(16, Unsafe.SizeOf<FuseMknodIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseMkdirIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseRenameIn>());
        Assert.Equal(16, Unsafe.SizeOf<FuseRename2In>());
        Assert.Equal(8, Unsafe.SizeOf<FuseLinkIn>());
        Assert.Equal(24, Unsafe.SizeOf<FuseLseekIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseSetXattrIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseGetXattrIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseGetXattrOut>());
        Assert.Equal(24, Unsafe.SizeOf<FuseNotifyInvalInodeOut>());
        Assert.Equal(16, Unsafe.SizeOf<FuseNotifyInvalEntryOut>());
    }

    [Fact]
    public void Each_struct_declares_its_own_size()
    {
        Assert.Equal(FuseEntryOut.Size, Unsafe.SizeOf<FuseEntryOut>());
        Assert.Equal(FuseAttrOut.Size, Unsafe.SizeOf<FuseAttrOut>());
        Assert.Equal(FuseInitOut.Size, Unsafe.SizeOf<FuseInitOut>());
        Assert.Equal(FuseStatfsOut.Size, Unsafe.SizeOf<FuseStatfsOut>());
        Assert.Equal(FuseSetAttrIn.Size, Unsafe.SizeOf<FuseSetAttrIn>());
    }

    [Fact]
    public void Init_out_fields_sit_at_the_kernel_offsets()
    {
        var init = new FuseInitOut { MaxBackground = 0x1122, CongestionThreshold = 0x3344, MaxWrite = 0x55667788, MaxPages = 0x99AA, Flags2 = 0xBBCCDDEE };
        var bytes = new byte[64];
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, in init);
        Assert.Equal(0x1122, BitConverter.ToUInt16(bytes, 16));
        Assert.Equal(0x3344, BitConverter.ToUInt16(bytes, 18));
        Assert.Equal(0x55667788u, BitConverter.ToUInt32(bytes, 20));
        Assert.Equal(0x99AA, BitConverter.ToUInt16(bytes, 28));
        Assert.Equal(0xBBCCDDEEu, BitConverter.ToUInt32(bytes, 32));
    }
}
