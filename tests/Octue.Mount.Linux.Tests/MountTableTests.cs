using Octue.Mount.Linux.Mounting;
using Octue.Mount.Linux.Native;

namespace Octue.Mount.Linux.Tests;

public sealed class MountTableTests
{
    private const string Sample =
        "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n" +
        "120 28 0:39 / /tmp/my\\040mount rw,nosuid,nodev,relatime shared:60 - fuse.octue-mount gs://bucket rw,user_id=0,group_id=0,default_permissions\n" +
        "121 28 0:40 / /tmp/other rw,relatime - fuse.octue-mount gs://b2 rw\n";

    [Fact]
    public void Parses_devices_types_sources_and_escaped_paths()
    {
        var entries = MountTable.Parse(Sample);
        Assert.Equal(3, entries.Count);
        var fuse = MountTable.Find("/tmp/my mount", entries);
        Assert.NotNull(fuse);
        Assert.Equal(0, fuse.Major);
        Assert.Equal(39, fuse.Minor);
        Assert.Equal("fuse.octue-mount", fuse.FileSystemType);
        Assert.Equal("gs://bucket", fuse.Source);
        Assert.Null(MountTable.Find("/tmp/missing", entries));
    }

    [Fact]
    public void Unescapes_octal_sequences()
    {
        Assert.Equal("a b\tc\\d", MountTable.Unescape("a\\040b\\011c\\134d"));
        Assert.Equal("plain", MountTable.Unescape("plain"));
    }

    [Fact]
    public void Reads_this_process_mount_table()
    {
        Assert.Contains(MountTable.Read(), e => e.MountPoint == "/");
    }

    [Fact]
    public void Kernel_mount_options_hold_only_what_the_kernel_parses()
    {
        var options = KernelMounter.KernelOptions(7, 1000, 100, 1 << 20, new FuseMountOptions { AllowOther = true });
        Assert.Equal("fd=7,rootmode=40000,user_id=1000,group_id=100,max_read=1048576,allow_other,default_permissions", options);
        var fusermount = KernelMounter.FusermountOptions(new FuseMountOptions { Source = "gs://a,b", ReadOnly = true, DefaultPermissions = false });
        Assert.Equal("ro,nosuid,nodev,fsname=gs://a\\,b,subtype=octue-mount", fusermount);
    }

    [Fact]
    public void Mounts_are_nosuid_and_nodev_unless_setuid_is_allowed_and_nosymfollow_when_asked()
    {
        Assert.Equal(LibC.MS_NOSUID | LibC.MS_NODEV, KernelMounter.MountFlags(new FuseMountOptions()));
        Assert.Equal(LibC.MS_NODEV, KernelMounter.MountFlags(new FuseMountOptions { AllowSetuid = true }));
        Assert.Equal(LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOSYMFOLLOW | LibC.MS_RDONLY,
            KernelMounter.MountFlags(new FuseMountOptions { NoSymFollow = true, ReadOnly = true }));
        Assert.Equal(256UL, LibC.MS_NOSYMFOLLOW);
        Assert.Equal("rw,nosuid,nodev,nosymfollow,fsname=octue-mount,subtype=octue-mount",
            KernelMounter.FusermountOptions(new FuseMountOptions { NoSymFollow = true, DefaultPermissions = false }));
        Assert.Equal("rw,suid,nodev,fsname=octue-mount,subtype=octue-mount",
            KernelMounter.FusermountOptions(new FuseMountOptions { AllowSetuid = true, DefaultPermissions = false }));
    }
}
