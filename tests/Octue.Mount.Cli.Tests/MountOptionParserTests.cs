using Microsoft.Extensions.Logging;
using Octue.Mount.Cli.Mounting;

namespace Octue.Mount.Cli.Tests;

public sealed class MountOptionParserTests
{
    private static MountSettings Base => new() { Source = "gs://bucket", MountPoint = "/mnt/x" };

    [Fact]
    public void An_fstab_option_list_sets_every_known_option_and_ignores_mount8_ones()
    {
        var settings = MountOptionParser.ApplyList(Base,
            "rw,_netdev,allow_other,noauto,nofail,x-systemd.automount,cache_dir=/var/cache/x,cache_size=2G,metadata_ttl=500ms,uid=1000,gid=100,file_mode=0640,dir_mode=750,log_level=debug,log_file=/var/log/om.log,nosuid,nodev");
        Assert.False(settings.ReadOnly);
        Assert.True(settings.AllowOther);
        Assert.Equal("/var/cache/x", settings.CacheDirectory);
        Assert.Equal(2L << 30, settings.CacheSizeBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.MetadataTtl);
        Assert.Equal(1000u, settings.Uid);
        Assert.Equal(100u, settings.Gid);
        Assert.Equal(0x1A0u, settings.FileMode); // 0640
        Assert.Equal(0x1E8u, settings.DirectoryMode); // 0750
        Assert.Equal(LogLevel.Debug, settings.LogLevel);
        Assert.Equal("/var/log/om.log", settings.LogFile);
    }

    [Fact]
    public void Ro_makes_the_mount_read_only_and_rw_undoes_it()
    {
        Assert.True(MountOptionParser.ApplyList(Base, "ro").ReadOnly);
        Assert.False(MountOptionParser.ApplyList(Base, "ro,rw").ReadOnly);
    }

    [Fact]
    public void Commas_can_be_escaped_inside_values()
    {
        Assert.Equal(["a=1,2", "b"], MountOptionParser.Split("a=1\\,2,b"));
        Assert.Empty(MountOptionParser.Split(""));
    }

    [Theory]
    [InlineData("colour=blue", "Unknown mount option 'colour'")]
    [InlineData("uid=alice", "numeric id")]
    [InlineData("file_mode=0999", "octal")]
    [InlineData("cache_size=lots", "size such as")]
    [InlineData("cache_dir", "needs a value")]
    [InlineData("metadata_ttl=-1", "duration")]
    [InlineData("log_level=loud", "Unknown log level")]
    public void Bad_options_are_refused_with_a_message_naming_them(string option, string expected)
    {
        var error = Assert.Throws<MountOptionException>(() => MountOptionParser.ApplyList(Base, option));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("4K", 4096L)]
    [InlineData("512M", 512L << 20)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("10GiB", 10L << 30)]
    [InlineData("2TB", 2L << 40)]
    public void Sizes_take_binary_suffixes(string text, long expected)
    {
        Assert.Equal(expected, MountOptionParser.ParseSize("cache_size", text));
    }

    [Theory]
    [InlineData("2", 2000)]
    [InlineData("0.5", 500)]
    [InlineData("250ms", 250)]
    [InlineData("3s", 3000)]
    [InlineData("1m", 60000)]
    [InlineData("0", 0)]
    public void Durations_default_to_seconds(string text, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), MountOptionParser.ParseDuration("ttl", text));
    }

    [Fact]
    public void The_default_cache_folder_is_per_source_and_safe()
    {
        Assert.Equal("my-bucket_data", MountSettings.SafeFolderName("gs://my-bucket/data/"));
        Assert.Equal("b_m.json", MountSettings.SafeFolderName("gs://b/m.json"));
        var folder = new MountSettings { Source = "gs://bucket/x", MountPoint = "/m" }.ResolveCacheDirectory();
        Assert.EndsWith(Path.Combine("octue-mount", "bucket_x"), folder);
        Assert.Equal("/tmp/c", new MountSettings { Source = "gs://b", MountPoint = "/m", CacheDirectory = "/tmp/c" }.ResolveCacheDirectory());
    }
}
