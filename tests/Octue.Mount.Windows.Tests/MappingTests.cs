using Octue.Mount.Vfs;
using Octue.Mount.Windows.Mapping;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Tests;

public class MappingTests
{
    [Theory]
    [InlineData(VfsError.None, 0x00000000u)]
    [InlineData(VfsError.NotFound, 0xC0000034u)]
    [InlineData(VfsError.Exists, 0xC0000035u)]
    [InlineData(VfsError.NotDirectory, 0xC0000103u)]
    [InlineData(VfsError.IsDirectory, 0xC00000BAu)]
    [InlineData(VfsError.NotEmpty, 0xC0000101u)]
    [InlineData(VfsError.Stale, 0xC0000098u)]
    [InlineData(VfsError.IoError, 0xC00000E9u)]
    [InlineData(VfsError.InvalidArgument, 0xC000000Du)]
    [InlineData(VfsError.NotPermitted, 0xC0000022u)]
    [InlineData(VfsError.AccessDenied, 0xC0000022u)]
    [InlineData(VfsError.ReadOnly, 0xC00000A2u)]
    [InlineData(VfsError.NoData, 0xC0000051u)]
    [InlineData(VfsError.NotSupported, 0xC00000BBu)]
    [InlineData(VfsError.NameTooLong, 0xC0000033u)]
    [InlineData(VfsError.BadHandle, 0xC0000008u)]
    [InlineData(VfsError.NoSpace, 0xC000007Fu)]
    [InlineData(VfsError.Interrupted, 0xC0000120u)]
    [InlineData(VfsError.CrossDevice, 0xC00000D4u)]
    [InlineData(VfsError.TooBig, 0xC0000050u)]
    [InlineData(VfsError.TryAgain, 0xC00000BFu)]
    [InlineData(VfsError.FileTooBig, 0xC0000904u)]
    public void Every_VfsError_has_its_NTSTATUS(VfsError error, uint status)
    {
        Assert.Equal(unchecked((int)status), NtStatusMap.FromVfsError(error));
    }

    [Fact]
    public void Every_VfsError_maps_to_a_failure_except_None()
    {
        foreach (VfsError error in Enum.GetValues<VfsError>())
        {
            int status = NtStatusMap.FromVfsError(error);
            Assert.True(error == VfsError.None ? status == 0 : status < 0, $"{error} -> 0x{status:X8}");
        }
        Assert.Equal(NtStatus.UnexpectedIoError, NtStatusMap.FromVfsError((VfsError)999));
    }

    [Theory]
    [InlineData(0L, 116444736000000000UL)]
    [InlineData(1_000_000_000L, 116444736010000000UL)]
    [InlineData(1_700_000_000_123_456_700L, 133444736001234567UL)]
    public void FILETIME_from_Unix_nanoseconds(long ns, ulong fileTime)
    {
        Assert.Equal(fileTime, FileTime.FromUnixNanoseconds(ns));
    }

    [Fact]
    public void FILETIME_round_trips_at_100ns_precision_and_clamps_at_the_edges()
    {
        long ns = 1_700_000_000_123_456_789L;
        Assert.Equal(1_700_000_000_123_456_700L, FileTime.ToUnixNanoseconds(FileTime.FromUnixNanoseconds(ns)));
        Assert.Equal(0L, FileTime.ToUnixNanoseconds(FileTime.UnixEpoch));
        Assert.Equal(long.MinValue / 100 * 100, FileTime.ToUnixNanoseconds(0));
        Assert.True(FileTime.FromUnixNanoseconds(long.MinValue) < FileTime.UnixEpoch);
        Assert.True(FileTime.ToUnixNanoseconds(ulong.MaxValue) > 0);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).ToFileTime(), (long)FileTime.FromUnixNanoseconds(1_700_000_000L * 1_000_000_000));
    }

    [Fact]
    public void Posix_attributes_become_Windows_file_info()
    {
        var file = new NodeAttributes { NodeId = 42, Kind = NodeKind.File, Size = 5000, Mode = 0x1A4, ModifiedNs = 1_000_000_000 };
        FspFileInfo fi = FileInfoMapper.ToFileInfo(file);
        Assert.Equal(WinFileAttributes.Normal, fi.FileAttributes);
        Assert.Equal(5000UL, fi.FileSize);
        Assert.Equal(8192UL, fi.AllocationSize);
        Assert.Equal(42UL, fi.IndexNumber);
        Assert.Equal(116444736010000000UL, fi.LastWriteTime);
        Assert.Equal(fi.LastWriteTime, fi.CreationTime);
        Assert.Equal(fi.LastWriteTime, fi.ChangeTime);

        FspFileInfo readOnly = FileInfoMapper.ToFileInfo(file with { Mode = 0x124 });
        Assert.Equal(WinFileAttributes.ReadOnly, readOnly.FileAttributes);

        FspFileInfo dir = FileInfoMapper.ToFileInfo(file with { Kind = NodeKind.Directory, Mode = 0x1ED, Size = 4096 });
        Assert.Equal(WinFileAttributes.Directory, dir.FileAttributes);
        // A 0555 directory is not READONLY: WinFsp would refuse to delete it, POSIX would not.
        FspFileInfo lockedDir = FileInfoMapper.ToFileInfo(file with { Kind = NodeKind.Directory, Mode = 0x16D });
        Assert.Equal(WinFileAttributes.Directory, lockedDir.FileAttributes);
        Assert.Equal(0UL, dir.FileSize);

        FspFileInfo link = FileInfoMapper.ToFileInfo(file with { Kind = NodeKind.Symlink, Mode = 0x1FF, Size = 12 });
        Assert.Equal(WinFileAttributes.ReadOnly, link.FileAttributes);
        Assert.Equal(0UL, link.FileSize);
    }

    [Fact]
    public void The_readonly_attribute_maps_to_write_bits()
    {
        Assert.Equal(0x124u, FileInfoMapper.ModeForAttributes(WinFileAttributes.ReadOnly, 0x1A4));
        Assert.Equal(0x1A4u, FileInfoMapper.ModeForAttributes(WinFileAttributes.Normal, 0x124));
        Assert.Null(FileInfoMapper.ModeForAttributes(WinFileAttributes.Normal, 0x1A4));
        Assert.Null(FileInfoMapper.ModeForAttributes(WinFileAttributes.Unchanged, 0x124));
    }

    [Fact]
    public void EA_names_map_back_to_the_xattr_spelling()
    {
        string[] existing = ["user.octue.tags", "user.gcs.meta.MixedKey"];
        Assert.Equal("user.octue.tags", EaNames.ToXattrName("USER.OCTUE.TAGS", existing));
        Assert.Equal("user.gcs.meta.MixedKey", EaNames.ToXattrName("USER.GCS.META.MIXEDKEY", existing));
        Assert.Equal("user.octue.labels", EaNames.ToXattrName("USER.OCTUE.LABELS", existing));
        Assert.True(EaNames.CanBeEaName("user.octue.tags"));
        Assert.False(EaNames.CanBeEaName("user.gcs.meta.é"));
        Assert.False(EaNames.CanBeEaName(new string('a', 256)));
    }

    [Fact]
    public void The_security_descriptor_is_well_formed_self_relative()
    {
        ReadOnlySpan<byte> sd = SecurityDescriptors.EveryoneFullAccess;
        Assert.Equal(72, sd.Length);
        Assert.Equal(1, sd[0]);
        Assert.Equal(0x9004, BitConverter.ToUInt16(sd[2..]));
        int dacl = BitConverter.ToInt32(sd[16..]);
        Assert.Equal(44, dacl);
        Assert.Equal(28, BitConverter.ToUInt16(sd[(dacl + 2)..]));
        Assert.Equal(dacl + 28, sd.Length);
        Assert.Equal(0x001F01FFu, BitConverter.ToUInt32(sd[(dacl + 12)..]));
    }

    [Fact]
    public void Mount_options_follow_the_file_system_options()
    {
        var fs = new FileSystemOptions
        {
            Source = MountSource.Parse("gs://my-bucket/some/prefix", null),
            CacheDirectory = "/tmp/x",
            MetadataTtl = TimeSpan.FromSeconds(3),
            ReadOnly = true,
            FileMode = 0x180,
        };
        WinFspMountOptions options = WinFspMountOptions.For(fs);
        Assert.Equal("my-bucket", options.VolumeLabel);
        Assert.True(options.ReadOnly);
        Assert.Equal(TimeSpan.FromSeconds(3), options.FileInfoTimeout);
        Assert.Equal(0x180u, options.FileMode);
    }

    [Fact]
    public async Task Mounting_anywhere_but_Windows_says_so_plainly()
    {
        if (OperatingSystem.IsWindows())
            return;
        // The platform is checked before anything else, so no file system is needed to see the message.
        var e = Assert.Throws<PlatformNotSupportedException>(() => WinFspHost.Mount(null!, "X:", new WinFspMountOptions()));
        Assert.Contains("Windows", e.Message);
        var output = new StringWriter();
        Assert.Equal(1, await WindowsMountRunner.RunAsync(null!, "X:", new WinFspMountOptions(), output, CancellationToken.None));
        Assert.Contains("cannot mount at X:", output.ToString());
        Assert.False(WindowsMountRunner.IsWinFspInstalled());
    }
}
