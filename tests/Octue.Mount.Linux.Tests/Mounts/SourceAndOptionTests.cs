using System.Security.Cryptography;
using System.Text;
using Octue.Mount.Emulator;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>What can be mounted (a prefix, a project) and the options that shape a mount, seen through real tools.</summary>
[Collection(MountCollection.Name)]
public sealed class SourceAndOptionTests(EmulatorFixture fixture)
{
    private string Object(string bucket, string name) =>
        fixture.Emulator.Store.TryGetObject(bucket, name, out var stored) ? Encoding.UTF8.GetString(stored.Data) : "<missing>";

    [Fact]
    public async Task A_prefix_mount_shows_only_its_sub_tree_and_writes_land_under_the_prefix()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("prefix");
        fixture.Emulator.Store.PutObject(bucket, "some/prefix/a.txt", "a\n"u8.ToArray());
        fixture.Emulator.Store.PutObject(bucket, "some/prefix/sub/b.txt", "b\n"u8.ToArray());
        fixture.Emulator.Store.PutObject(bucket, "some/prefixed.txt", "beside the prefix\n"u8.ToArray());
        fixture.Emulator.Store.PutObject(bucket, "other/c.txt", "elsewhere\n"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}/some/prefix", temp.Combine("mnt"), temp.Combine("cache"));

        var top = (await Tool.RunAsync("ls", "-A", mount.MountPoint)).EnsureSuccess("ls").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["a.txt", "sub"], top);
        Assert.Equal("b\n", (await Tool.RunAsync("cat", mount.Path("sub", "b.txt"))).EnsureSuccess("cat").Stdout);

        (await Tool.BashAsync("echo new > \"$1/new.txt\" && mkdir \"$1/made\" && echo deep > \"$1/made/deep.txt\"", mount.MountPoint)).EnsureSuccess("write");
        Assert.Equal("new\n", Object(bucket, "some/prefix/new.txt"));
        Assert.Equal("deep\n", Object(bucket, "some/prefix/made/deep.txt"));
        Assert.DoesNotContain(fixture.Emulator.Store.ListObjectNames(bucket), name => name.StartsWith("new.txt", StringComparison.Ordinal) || name.StartsWith("made/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_project_mount_shows_every_bucket_as_a_top_level_folder()
    {
        using var temp = new TempDirectory();
        var first = fixture.NewBucket("project-a");
        var second = fixture.NewBucket("project-b");
        fixture.Emulator.Store.PutObject(first, "one.txt", "first bucket\n"u8.ToArray());
        fixture.Emulator.Store.PutObject(second, "dir/two.txt", "second bucket\n"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, null, temp.Combine("mnt"), temp.Combine("cache"),
            "--project", "test-project");

        var top = (await Tool.RunAsync("ls", "-A", mount.MountPoint)).EnsureSuccess("ls").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(first, top);
        Assert.Contains(second, top);
        Assert.Equal("directory", (await Tool.RunAsync("stat", "-c", "%F", mount.Path(first))).EnsureSuccess("stat").Stdout.Trim());
        Assert.Equal("first bucket\n", (await Tool.RunAsync("cat", mount.Path(first, "one.txt"))).EnsureSuccess("cat").Stdout);
        Assert.Equal("second bucket\n", (await Tool.RunAsync("cat", mount.Path(second, "dir", "two.txt"))).EnsureSuccess("cat").Stdout);

        (await Tool.BashAsync("echo added > \"$1\"", mount.Path(second, "added.txt"))).EnsureSuccess("write");
        Assert.Equal("added\n", Object(second, "added.txt"));
        Assert.False(fixture.Emulator.Store.TryGetObject(first, "added.txt", out _));
    }

    [Fact]
    public async Task A_read_only_mount_refuses_every_change_with_erofs_and_the_bucket_stays_as_it_was()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("readonly");
        fixture.Emulator.Store.PutObject(bucket, "keep/file.txt", "unchanged\n"u8.ToArray());
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "keep/file.txt", out var before));
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--read-only");
        var file = mount.Path("keep", "file.txt");

        Assert.Equal("unchanged\n", (await Tool.RunAsync("cat", file)).EnsureSuccess("cat").Stdout);
        var attempts = new[]
        {
            await Tool.BashAsync("echo new > \"$1\"", mount.Path("new.txt")),
            await Tool.BashAsync("echo more >> \"$1\"", file),
            await Tool.RunAsync("rm", file),
            await Tool.RunAsync("mkdir", mount.Path("made")),
            await Tool.RunAsync("mv", file, mount.Path("moved.txt")),
            await Tool.RunAsync("touch", "-d", "2001-01-01", file),
            await Tool.RunAsync("chmod", "600", file),
            await Tool.RunAsync("setfattr", "-n", "user.octue.tags.site", "-v", "north", file),
        };
        Assert.All(attempts, attempt =>
        {
            Assert.NotEqual(0, attempt.ExitCode);
            Assert.Contains("Read-only file system", attempt.Stderr);
        });

        Assert.Equal(["keep/file.txt"], fixture.Emulator.Store.ListObjectNames(bucket));
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "keep/file.txt", out var after));
        Assert.Equal((before.Generation, before.Metageneration), (after.Generation, after.Metageneration));
    }

    [Fact]
    public async Task Uid_gid_and_modes_given_to_the_mount_show_in_stat()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("owners");
        fixture.Emulator.Store.PutObject(bucket, "dir/file.txt", "owned\n"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--uid", "1234", "--gid", "2345", "--dir-mode", "750", "--file-mode", "640");

        Assert.Equal("1234 2345 750 directory", (await Tool.RunAsync("stat", "-c", "%u %g %a %F", mount.Path("dir"))).EnsureSuccess("stat dir").Stdout.Trim());
        Assert.Equal("1234 2345 640 regular file", (await Tool.RunAsync("stat", "-c", "%u %g %a %F", mount.Path("dir", "file.txt"))).EnsureSuccess("stat file").Stdout.Trim());
        Assert.Equal("1234 2345 750", (await Tool.RunAsync("stat", "-c", "%u %g %a", mount.MountPoint)).EnsureSuccess("stat root").Stdout.Trim());
    }

    [Fact]
    public async Task A_read_chunk_size_given_to_the_mount_sets_how_many_ranged_gets_a_cold_read_makes()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("chunks");
        // Five and a bit MiB: one chunk at the default 8 MiB, six at 1 MiB. Read backwards, a MiB at a time, so no
        // read is sequential (a sequential reader is served by one streaming GET whatever the chunk size): each
        // chunk is one ranged GET.
        var content = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 1000);
        fixture.Emulator.Store.PutObject(bucket, "large.bin", content);
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--read-chunk-size", "1M");

        var downloadsBefore = fixture.Emulator.Requests.Count(RequestKind.Download);
        for (var mib = 5; mib >= 0; mib--)
            (await Tool.RunAsync("dd", $"if={mount.Path("large.bin")}", "of=/dev/null", "bs=1M", $"skip={mib}", "count=1", "status=none")).EnsureSuccess("dd");
        Assert.Equal(6, fixture.Emulator.Requests.Count(RequestKind.Download) - downloadsBefore);
        var read = (await Tool.RunAsync("sha256sum", mount.Path("large.bin"))).EnsureSuccess("sha256sum").Stdout;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), read.Split(' ')[0]);
        Assert.Equal(6, fixture.Emulator.Requests.Count(RequestKind.Download) - downloadsBefore);
    }
}
