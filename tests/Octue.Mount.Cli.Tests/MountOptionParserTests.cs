using Microsoft.Extensions.Logging;
using Octue.Mount.Cli.Mounting;
using Octue.Mount.Vfs;

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
    [InlineData("read_chunk_size=100K", "'read_chunk_size' must be a multiple of 64K from 64K to 256M")]
    [InlineData("read_chunk_size=0", "'read_chunk_size' must be a multiple of 64K")]
    [InlineData("read_chunk_size=512M", "'read_chunk_size' must be a multiple of 64K from 64K to 256M")]
    [InlineData("read_chunk_size=big", "'read_chunk_size' takes a size such as")]
    [InlineData("read_parallelism=0", "'read_parallelism' takes a whole number from 1 to 64")]
    [InlineData("read_parallelism=65", "'read_parallelism' takes a whole number from 1 to 64")]
    [InlineData("read_parallelism=2.5", "'read_parallelism' takes a whole number")]
    [InlineData("read_memory_limit=lots", "'read_memory_limit' takes a size such as")]
    [InlineData("write_chunk_size=100K", "'write_chunk_size' must be 0 (no streaming) or a multiple of 256K from 256K to 256M")]
    [InlineData("write_chunk_size=512M", "'write_chunk_size' must be 0 (no streaming) or a multiple of 256K from 256K to 256M")]
    [InlineData("write_chunk_size=big", "'write_chunk_size' takes a size such as")]
    [InlineData("file_mode=7777", "'file_mode' takes permission bits from 000 to 777, not '7777'")]
    [InlineData("file_mode=4755", "'file_mode' takes permission bits from 000 to 777")]
    [InlineData("dir_mode=7777", "'dir_mode' takes permission bits from 000 to 777, not '7777'")]
    [InlineData("dir_mode=1777", "setuid, setgid and sticky bits cannot be a default")]
    [InlineData("uid=4294967295", "'uid' takes a numeric id from 0 to 4294967294, not '4294967295'")]
    [InlineData("gid=4294967295", "'gid' takes a numeric id from 0 to 4294967294, not '4294967295'")]
    [InlineData("uid=-1", "'uid' takes a numeric id from 0 to 4294967294, not '-1'")]
    [InlineData("gid=-5", "'gid' takes a numeric id")]
    [InlineData("uid=99999999999", "'uid' takes a numeric id")]
    [InlineData("gid=staff", "'gid' takes a numeric id")]
    [InlineData("nosymfollow=maybe", "'nosymfollow' takes true or false")]
    public void Bad_options_are_refused_with_a_message_naming_them(string option, string expected)
    {
        var error = Assert.Throws<MountOptionException>(() => MountOptionParser.ApplyList(Base, option));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_write_chunk_size_sets_the_streamed_request_size_or_turns_streaming_off()
    {
        Assert.Equal(16L << 20, Base.WriteChunkSize);
        Assert.Equal(32L << 20, MountOptionParser.ApplyList(Base, "write_chunk_size=32M").WriteChunkSize);
        Assert.Equal(256L << 10, MountOptionParser.ApplyList(Base, "write_chunk_size=256K").WriteChunkSize);
        Assert.Equal(0, MountOptionParser.ApplyList(Base, "write_chunk_size=0").WriteChunkSize);
    }

    [Fact]
    public void Read_options_set_the_chunk_size_parallelism_and_memory_limit()
    {
        var settings = MountOptionParser.Validate(MountOptionParser.ApplyList(Base, "read_chunk_size=1M,read_parallelism=16,read_memory_limit=64M"));
        Assert.Equal(1 << 20, settings.ReadChunkSize);
        Assert.Equal(16, settings.ReadParallelism);
        Assert.Equal(64L << 20, settings.ReadMemoryLimit);
        Assert.Equal(1536 << 10, MountOptionParser.ApplyList(Base, "read_chunk_size=1.5M").ReadChunkSize);
        Assert.Equal(256 << 20, MountOptionParser.ApplyList(Base, "read_chunk_size=256M").ReadChunkSize);
    }

    [Theory]
    [InlineData("read_memory_limit=4M", "'read_memory_limit' (4M) must be at least 'read_chunk_size' (8M)")]
    [InlineData("read_memory_limit=32M,read_chunk_size=64M", "'read_memory_limit' (32M) must be at least 'read_chunk_size' (64M)")]
    [InlineData("read_chunk_size=64M,read_memory_limit=32M", "'read_memory_limit' (32M) must be at least 'read_chunk_size' (64M)")]
    public void A_memory_limit_smaller_than_one_chunk_is_refused_whatever_the_order(string options, string expected)
    {
        var settings = MountOptionParser.ApplyList(Base, options);
        var error = Assert.Throws<MountOptionException>(() => MountOptionParser.Validate(settings));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_read_options_reach_the_file_system_and_default_to_its_own_defaults()
    {
        var source = MountSource.Parse("gs://bucket", null);
        using var loggers = LoggerFactory.Create(_ => { });
        var defaults = new FileSystemOptions { Source = source, CacheDirectory = "/tmp/c" };
        var unset = new MountHost(Base, loggers).FileSystemOptionsFor(source);
        Assert.Equal(defaults.Read.ChunkSize, unset.Read.ChunkSize);
        Assert.Equal(defaults.Read.Parallelism, unset.Read.Parallelism);
        Assert.Equal(defaults.Read.MemoryBudget, unset.Read.MemoryBudget);

        var given = new MountHost(MountOptionParser.ApplyList(Base, "read_chunk_size=2M,read_parallelism=8,read_memory_limit=1G"), loggers).FileSystemOptionsFor(source);
        Assert.Equal(2 << 20, given.Read.ChunkSize);
        Assert.Equal(8, given.Read.Parallelism);
        Assert.Equal(1L << 30, given.Read.MemoryBudget);
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
        var source = MountSource.Parse("gs://bucket/x", null);
        var folder = new MountSettings { Source = "gs://bucket/x", MountPoint = "/m" }.ResolveCacheDirectory(source);
        Assert.Matches(@"octue-mount/bucket_x-[0-9a-f]{12}$", folder);
        Assert.Equal("/tmp/c", new MountSettings { Source = "gs://b", MountPoint = "/m", CacheDirectory = "/tmp/c" }.ResolveCacheDirectory(source));
    }

    [Fact]
    public void Default_cache_folders_of_different_sources_differ_and_spellings_of_one_source_share_one()
    {
        string Name(string text) => MountSettings.DefaultFolderName(MountSource.Parse(text, null));
        // These all read "b_a_b": the readable parts agree, the hashes of the sources do not.
        string[] lookalikes = ["gs://b0b/a b", "gs://b0b/a_b", "gs://b0b/a/b", "gs://b0b/a.b", "gs://b0b/a:b"];
        Assert.Equal(lookalikes.Length, lookalikes.Select(Name).Distinct().Count());
        Assert.Equal(Name("gs://b0b/a/b"), Name("gs://b0b/a/b/"));
        Assert.Equal(Name("gs://b0b/a/b"), Name("b0b/a/b"));
        Assert.Equal(Name("gs://b0b/a/b"), Name("https://storage.googleapis.com/b0b/a/b"));
        Assert.NotEqual(Name("gs://b0b/m.json"), Name("gs://b0b/m.json/"));
        Assert.NotEqual(Name("gs://b0b"), MountSettings.DefaultFolderName(MountSource.Parse(null, "b0b")));
    }

    [Fact]
    public void A_default_cache_folder_name_stays_short_for_a_long_prefix_and_can_be_made()
    {
        var prefix = string.Join('/', Enumerable.Repeat(new string('x', 200), 5));
        var name = MountSettings.DefaultFolderName(MountSource.Parse($"gs://b0b/{prefix}", null));
        Assert.InRange(name.Length, 13, 64 + 13);
        var root = Directory.CreateTempSubdirectory("octue-cache-name-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, name));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Ids_and_modes_at_the_edge_of_their_range_are_taken()
    {
        var settings = MountOptionParser.ApplyList(Base, "uid=4294967294,gid=0,file_mode=777,dir_mode=000");
        Assert.Equal(4294967294u, settings.Uid);
        Assert.Equal(0u, settings.Gid);
        Assert.Equal(0x1FFu, settings.FileMode);
        Assert.Equal(0u, settings.DirectoryMode);
    }

    [Fact]
    public void Suid_and_nosymfollow_are_options_of_their_own_and_nosuid_is_the_default()
    {
        Assert.False(Base.AllowSetuid);
        Assert.False(Base.NoSymFollow);
        Assert.False(MountOptionParser.ApplyList(Base, "nosuid").AllowSetuid);
        Assert.True(MountOptionParser.ApplyList(Base, "suid").AllowSetuid);
        Assert.False(MountOptionParser.ApplyList(Base, "suid,nosuid").AllowSetuid);
        Assert.True(MountOptionParser.ApplyList(Base, "nosymfollow").NoSymFollow);
        Assert.False(MountOptionParser.ApplyList(Base, "nosymfollow,symfollow").NoSymFollow);
    }
}
