using System.Runtime.InteropServices;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Tests;

/// <summary>The managed structs must match the sizes and offsets winfsp.h / fsctl.h assert.</summary>
public unsafe class StructLayoutTests
{
    [Fact]
    public void Sizes_match_the_WinFsp_headers()
    {
        Assert.Equal(72, sizeof(FspFileInfo));
        Assert.Equal(88, sizeof(FspVolumeInfo));
        Assert.Equal(104, sizeof(FspDirInfo));
        Assert.Equal(504, sizeof(FspVolumeParams));
        Assert.Equal(128, sizeof(FspTransactResponse));
    }

    [Fact]
    public void Field_offsets_match_the_WinFsp_headers()
    {
        Assert.Equal(8, (int)Marshal.OffsetOf<FspFileInfo>(nameof(FspFileInfo.AllocationSize)));
        Assert.Equal(56, (int)Marshal.OffsetOf<FspFileInfo>(nameof(FspFileInfo.IndexNumber)));
        Assert.Equal(68, (int)Marshal.OffsetOf<FspFileInfo>(nameof(FspFileInfo.EaSize)));
        Assert.Equal(16, (int)Marshal.OffsetOf<FspVolumeInfo>(nameof(FspVolumeInfo.VolumeLabelLength)));
        Assert.Equal(18, (int)Marshal.OffsetOf<FspVolumeInfo>(nameof(FspVolumeInfo.VolumeLabel)));
        Assert.Equal(8, (int)Marshal.OffsetOf<FspDirInfo>(nameof(FspDirInfo.FileInfo)));
        Assert.Equal(80, (int)Marshal.OffsetOf<FspDirInfo>(nameof(FspDirInfo.NextOffset)));
        Assert.Equal(32, (int)Marshal.OffsetOf<FspVolumeParams>(nameof(FspVolumeParams.FileInfoTimeout)));
        Assert.Equal(36, (int)Marshal.OffsetOf<FspVolumeParams>(nameof(FspVolumeParams.Flags)));
        Assert.Equal(40, (int)Marshal.OffsetOf<FspVolumeParams>(nameof(FspVolumeParams.Prefix)));
        Assert.Equal(424, (int)Marshal.OffsetOf<FspVolumeParams>(nameof(FspVolumeParams.FileSystemName)));
        Assert.Equal(456, (int)Marshal.OffsetOf<FspVolumeParams>(nameof(FspVolumeParams.Flags2)));
        Assert.Equal(476, (int)Marshal.OffsetOf<FspVolumeParams>(nameof(FspVolumeParams.EaTimeout)));
        Assert.Equal(16, (int)Marshal.OffsetOf<FspTransactResponse>(nameof(FspTransactResponse.IoStatusInformation)));
        Assert.Equal(20, (int)Marshal.OffsetOf<FspTransactResponse>(nameof(FspTransactResponse.IoStatusStatus)));
        Assert.Equal(24, (int)Marshal.OffsetOf<FspTransactResponse>(nameof(FspTransactResponse.WriteFileInfo)));
    }

    [Fact]
    public void UserContext_of_FSP_FILE_SYSTEM_follows_the_UINT16_version_at_pointer_alignment()
    {
        Assert.Equal(IntPtr.Size, FspOffsets.FileSystemUserContext);
    }

    [Fact]
    public void Volume_params_carry_the_documented_flags_and_timeouts()
    {
        var options = new WinFspMountOptions { FileInfoTimeout = TimeSpan.FromMilliseconds(1500), ReadOnly = true };
        FspVolumeParams p = VolumeParamsBuilder.Build(options, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        Assert.Equal(504, p.Version);
        Assert.Equal(1500u, p.FileInfoTimeout);
        Assert.Equal(600_000u, p.IrpTimeout);
        Assert.True(options.DispatcherThreads >= 8);
        Assert.Equal(1500u, p.DirInfoTimeout);
        Assert.Equal(1500u, p.EaTimeout);
        Assert.True(p.Flags.HasFlag(VolumeFlags.CasePreservedNames));
        Assert.True(p.Flags.HasFlag(VolumeFlags.CaseSensitiveSearch));
        Assert.True(p.Flags.HasFlag(VolumeFlags.UnicodeOnDisk));
        Assert.True(p.Flags.HasFlag(VolumeFlags.ExtendedAttributes));
        Assert.True(p.Flags.HasFlag(VolumeFlags.UmFileContextIsFullContext));
        Assert.True(p.Flags.HasFlag(VolumeFlags.PostCleanupWhenModifiedOnly));
        Assert.True(p.Flags.HasFlag(VolumeFlags.FlushAndPurgeOnCleanup));
        Assert.True(p.Flags.HasFlag(VolumeFlags.PassQueryDirectoryFileName));
        Assert.False(p.Flags.HasFlag(VolumeFlags.PassQueryDirectoryPattern));
        Assert.True(p.Flags.HasFlag(VolumeFlags.ReadOnlyVolume));
        Assert.False(p.Flags.HasFlag(VolumeFlags.PersistentAcls));
        Assert.False(p.Flags.HasFlag(VolumeFlags.UmFileContextIsUserContext2));
        // The bit positions of the C bitfield, spelled out as raw numbers.
        Assert.Equal(0x2u, (uint)VolumeFlags.CasePreservedNames);
        Assert.Equal(0x100u, (uint)VolumeFlags.ExtendedAttributes);
        Assert.Equal(0x400u, (uint)VolumeFlags.PostCleanupWhenModifiedOnly);
        Assert.Equal(0x4000u, (uint)VolumeFlags.FlushAndPurgeOnCleanup);
        Assert.Equal(0x20000u, (uint)VolumeFlags.UmFileContextIsFullContext);
        Assert.Equal(0x2000000u, (uint)VolumeFlags.CasePreservedExtendedAttributes);
        Assert.Equal("octue-mount", new string(p.FileSystemName));
        Assert.False(VolumeParamsBuilder.Build(new WinFspMountOptions(), DateTimeOffset.UnixEpoch).Flags.HasFlag(VolumeFlags.ReadOnlyVolume));
    }

    [Fact]
    public void The_interface_table_has_64_slots_with_only_implemented_ones_set()
    {
        void** table = FileSystemInterfaceTable.Pointer;
        int[] implemented =
        [
            FileSystemInterfaceTable.GetVolumeInfo, FileSystemInterfaceTable.GetSecurityByName, FileSystemInterfaceTable.Create,
            FileSystemInterfaceTable.Open, FileSystemInterfaceTable.Overwrite, FileSystemInterfaceTable.Cleanup,
            FileSystemInterfaceTable.Close, FileSystemInterfaceTable.Read, FileSystemInterfaceTable.Write,
            FileSystemInterfaceTable.Flush, FileSystemInterfaceTable.GetFileInfo, FileSystemInterfaceTable.SetBasicInfo,
            FileSystemInterfaceTable.SetFileSize, FileSystemInterfaceTable.CanDelete, FileSystemInterfaceTable.Rename,
            FileSystemInterfaceTable.GetSecurity, FileSystemInterfaceTable.ReadDirectory, FileSystemInterfaceTable.GetDirInfoByName,
            FileSystemInterfaceTable.SetDelete, FileSystemInterfaceTable.GetEa,
            FileSystemInterfaceTable.SetEa,
        ];
        for (int slot = 0; slot < FileSystemInterfaceTable.SlotCount; slot++)
        {
            bool set = table[slot] != null;
            Assert.True(set == implemented.Contains(slot), $"slot {slot} is {(set ? "set" : "empty")}");
        }
        Assert.Equal((nint)table, (nint)FileSystemInterfaceTable.Pointer);
    }
}
