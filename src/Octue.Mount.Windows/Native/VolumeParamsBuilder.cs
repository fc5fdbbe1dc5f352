namespace Octue.Mount.Windows.Native;

/// <summary>
/// Builds the <c>FSP_FSCTL_VOLUME_PARAMS</c> of a mount. The choices, and why:
/// <list type="bullet">
/// <item>Version 504 (the V1 struct) so the per-kind timeouts are honoured.</item>
/// <item>CaseSensitiveSearch and CasePreservedNames: GCS names are case-sensitive (<c>a.txt</c> and <c>A.txt</c> are
/// two objects), so the volume is too; names reach the adapter exactly as typed.</item>
/// <item>UnicodeOnDisk; ExtendedAttributes with CasePreservedExtendedAttributes (the xattrs as EAs, names as typed);
/// PersistentAcls off (access is the bucket's business; see SecurityDescriptors).</item>
/// <item>UmFileContextIsFullContext: per-open contexts (UserContext2) for the adapter's GCHandles.</item>
/// <item>PostCleanupWhenModifiedOnly: Cleanup only reaches user mode when there is something to do (a write to flush,
/// a delete), so read-only opens cost one round-trip less.</item>
/// <item>FlushAndPurgeOnCleanup: the kernel writes a file's dirty cached pages to the file system <em>before</em> the
/// Cleanup of its last handle (otherwise the lazy writer may send them later), so the upload the adapter does at
/// Cleanup has every byte and CloseHandle returning means the object is in GCS. Re-reads then come from the VFS's
/// local content cache rather than the Windows standby list.</item>
/// <item>FileInfoTimeout, and the directory, volume, security and EA timeouts, from the VFS metadata TTL, so Windows
/// never caches longer than the VFS itself would.</item>
/// <item>IrpTimeout at WinFsp's maximum, 10 minutes: WinFsp cancels a request the file system has not answered by
/// then, and an upload at Cleanup of a large file over a slow link can take minutes. (A longer upload still
/// completes and is verified; only the application's CloseHandle stops waiting for it.)</item>
/// <item>PassQueryDirectoryFileName: a directory query for one exact name (FindFirstFile without wildcards) becomes a
/// GetDirInfoByName, one lookup, instead of a listing of the whole directory.</item>
/// <item>MaxComponentLength 255 characters, sector 4096, FileSystemName "octue-mount".</item>
/// </list>
/// </summary>
internal static unsafe class VolumeParamsBuilder
{
    public const string FileSystemName = "octue-mount";

    /// <summary>FspFsctlIrpTimeoutMaximum (fsctl.h), in milliseconds.</summary>
    public const uint IrpTimeoutMaximum = 600_000;

    public static FspVolumeParams Build(WinFspMountOptions options, DateTimeOffset now)
    {
        uint timeoutMs = (uint)Math.Clamp(options.FileInfoTimeout.TotalMilliseconds, 0, uint.MaxValue);
        var p = new FspVolumeParams
        {
            Version = (ushort)sizeof(FspVolumeParams),
            SectorSize = 4096,
            SectorsPerAllocationUnit = 1,
            MaxComponentLength = 255,
            VolumeCreationTime = Mapping.FileTime.FromUnixNanoseconds(now.ToUnixTimeMilliseconds() * 1_000_000),
            VolumeSerialNumber = (uint)(now.ToUnixTimeSeconds() & 0xFFFFFFFF),
            IrpTimeout = IrpTimeoutMaximum,
            FileInfoTimeout = timeoutMs,
            Flags = VolumeFlags.CaseSensitiveSearch | VolumeFlags.CasePreservedNames | VolumeFlags.UnicodeOnDisk |
                    VolumeFlags.ExtendedAttributes | VolumeFlags.CasePreservedExtendedAttributes |
                    VolumeFlags.UmFileContextIsFullContext | VolumeFlags.PostCleanupWhenModifiedOnly | VolumeFlags.FlushAndPurgeOnCleanup |
                    VolumeFlags.PassQueryDirectoryFileName |
                    (options.ReadOnly ? VolumeFlags.ReadOnlyVolume : VolumeFlags.None),
            Flags2 = VolumeFlags2.VolumeInfoTimeoutValid | VolumeFlags2.DirInfoTimeoutValid |
                     VolumeFlags2.SecurityTimeoutValid | VolumeFlags2.EaTimeoutValid,
            VolumeInfoTimeout = timeoutMs,
            DirInfoTimeout = timeoutMs,
            SecurityTimeout = timeoutMs,
            EaTimeout = timeoutMs,
        };
        FileSystemName.AsSpan().CopyTo(new Span<char>(p.FileSystemName, 16));
        return p;
    }
}
