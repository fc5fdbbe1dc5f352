using Octue.Mount.Storage;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class PosixMetadataTests
{
    private static ObjectInfo Object(params (string Key, string Value)[] metadata) => new()
    {
        Bucket = "b",
        Name = "o",
        Updated = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero),
        Metadata = metadata.ToDictionary(p => p.Key, p => p.Value),
    };

    [Fact]
    public void Mtime_prefers_gsutil_then_gcsfuse_then_rclone_then_updated()
    {
        Assert.Equal(1_700_000_000L * 1_000_000_000, PosixMetadata.ModifiedNs(Object(("goog-reserved-file-mtime", "1700000000"), ("mtime", "2001-01-01T00:00:00Z"))));
        Assert.Equal(PosixMetadata.ToNs(new DateTimeOffset(2020, 5, 6, 7, 8, 9, 500, TimeSpan.Zero)),
            PosixMetadata.ModifiedNs(Object(("gcsfuse_mtime", "2020-05-06T07:08:09.5Z"), ("mtime", "2001-01-01T00:00:00Z"))));
        Assert.Equal(PosixMetadata.ToNs(new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero)), PosixMetadata.ModifiedNs(Object(("mtime", "2001-01-01T00:00:00+00:00"))));
        Assert.Equal(PosixMetadata.ToNs(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero)), PosixMetadata.ModifiedNs(Object()));
    }

    [Fact]
    public void Mode_uid_gid_are_read_from_gsutil_keys()
    {
        var info = Object(("goog-reserved-posix-mode", "750"), ("goog-reserved-posix-uid", "1000"), ("goog-reserved-posix-gid", "100"));
        Assert.Equal(0b111_101_000u, PosixMetadata.Mode(info, allowSetuid: false));
        Assert.Equal(1000u, PosixMetadata.Uid(info));
        Assert.Equal(100u, PosixMetadata.Gid(info));
        Assert.Null(PosixMetadata.Mode(Object(("goog-reserved-posix-mode", "9x")), allowSetuid: false));
        Assert.Equal("644", PosixMetadata.FormatMode(0b110_100_100));
    }

    [Fact]
    public void Setting_mtime_refreshes_foreign_keys_that_exist()
    {
        var metadata = new Dictionary<string, string> { ["mtime"] = "old" };
        PosixMetadata.SetModified(metadata, 1_700_000_000L * 1_000_000_000 + 123);
        Assert.Equal("1700000000", metadata["goog-reserved-file-mtime"]);
        Assert.StartsWith("2023-11-14T22:13:20", metadata["mtime"]);
        Assert.False(metadata.ContainsKey("gcsfuse_mtime"));
    }

    [Theory]
    [InlineData("104755", 0b111_101_101u, 0b100_111_101_101u)]   // S_IFREG | setuid 0755
    [InlineData("4755", 0b111_101_101u, 0b100_111_101_101u)]
    [InlineData("2775", 0b111_111_101u, 0b010_111_111_101u)]
    [InlineData("1777", 0b111_111_111u, 0b001_111_111_111u)]
    [InlineData("7777777", 0b111_111_111u, 0b111_111_111_111u)]  // every bit, type bits included
    [InlineData("020644", 0b110_100_100u, 0b110_100_100u)]      // S_IFCHR: a device's type bits on a file
    [InlineData("644", 0b110_100_100u, 0b110_100_100u)]
    public void Setuid_setgid_sticky_and_type_bits_from_the_bucket_are_dropped_unless_asked_for(string stored, uint shown, uint shownWithSetuid)
    {
        var info = Object(("goog-reserved-posix-mode", stored));
        Assert.Equal(shown, PosixMetadata.Mode(info, allowSetuid: false));
        Assert.Equal(shownWithSetuid, PosixMetadata.Mode(info, allowSetuid: true));
        Assert.Equal(shown, PosixMetadata.ParseMode(stored, allowSetuid: false));
    }

    [Fact]
    public void An_owner_of_minus_one_is_no_owner()
    {
        var info = Object(("goog-reserved-posix-uid", "4294967295"), ("goog-reserved-posix-gid", "4294967295"));
        Assert.Null(PosixMetadata.Uid(info));
        Assert.Null(PosixMetadata.Gid(info));
        Assert.Equal(4294967294u, PosixMetadata.Uid(Object(("goog-reserved-posix-uid", "4294967294"))));
    }

    [Theory]
    [InlineData("goog-reserved-file-mtime", "99999999999999")]
    [InlineData("goog-reserved-file-mtime", "-99999999999999")]
    [InlineData("gcsfuse_mtime", "9999-12-31T23:59:59Z")]
    [InlineData("mtime", "0001-01-01T00:00:00Z")]
    public void An_mtime_that_cannot_be_nanoseconds_since_1970_is_ignored_not_wrapped(string key, string value) =>
        Assert.Equal(PosixMetadata.ToNs(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero)), PosixMetadata.ModifiedNs(Object((key, value))));

    [Fact]
    public void Symlink_targets_the_kernel_cannot_take_are_named()
    {
        Assert.Null(PosixMetadata.SymlinkTargetProblem("/tmp/x"));
        Assert.Null(PosixMetadata.SymlinkTargetProblem(new string('a', 4095)));
        Assert.Contains("longer than 4095", PosixMetadata.SymlinkTargetProblem(new string('a', 4096)));
        Assert.Contains("empty", PosixMetadata.SymlinkTargetProblem(""));
        Assert.Contains("NUL", PosixMetadata.SymlinkTargetProblem("/etc/pass\0wd"));
    }
}

