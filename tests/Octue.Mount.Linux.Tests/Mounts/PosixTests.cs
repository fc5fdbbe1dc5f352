using System.Text;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>Everyday file operations through a real mount, checked in the bucket.</summary>
[Collection(MountCollection.Name)]
public sealed class PosixTests(EmulatorFixture fixture)
{
    private string Object(string bucket, string name) =>
        fixture.Emulator.Store.TryGetObject(bucket, name, out var stored) ? Encoding.UTF8.GetString(stored.Data) : "<missing>";

    private bool Exists(string bucket, string name) => fixture.Emulator.Store.TryGetObject(bucket, name, out _);

    [Fact]
    public async Task Mkdir_mv_rm_rmdir_symlinks_appends_sed_and_truncate_work()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("posix");
        fixture.Emulator.Store.PutObject(bucket, "notes/todo.txt", "milk\neggs\n"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));
        var m = mount.MountPoint;

        (await Tool.RunAsync("mkdir", "-p", $"{m}/a/b")).EnsureSuccess("mkdir -p");
        Assert.True(Exists(bucket, "a/b/"), "mkdir leaves a placeholder so the empty directory persists");

        (await Tool.BashAsync("echo hello > \"$1/a/b/f.txt\" && echo world >> \"$1/a/b/f.txt\"", m)).EnsureSuccess("write and append");
        Assert.Equal("hello\nworld\n", Object(bucket, "a/b/f.txt"));

        (await Tool.RunAsync("sed", "-i", "s/world/there/", $"{m}/a/b/f.txt")).EnsureSuccess("sed -i");
        Assert.Equal("hello\nthere\n", Object(bucket, "a/b/f.txt"));
        Assert.DoesNotContain(fixture.Emulator.Store.ListObjectNames(bucket), name => name.StartsWith("a/b/sed", StringComparison.Ordinal));

        (await Tool.RunAsync("mv", $"{m}/a/b/f.txt", $"{m}/a/g.txt")).EnsureSuccess("mv");
        Assert.False(Exists(bucket, "a/b/f.txt"));
        Assert.Equal("hello\nthere\n", Object(bucket, "a/g.txt"));

        (await Tool.RunAsync("truncate", "-s", "5", $"{m}/a/g.txt")).EnsureSuccess("truncate");
        Assert.Equal("hello", Object(bucket, "a/g.txt"));
        (await Tool.RunAsync("truncate", "-s", "8", $"{m}/a/g.txt")).EnsureSuccess("truncate up");
        Assert.Equal("hello\0\0\0", Object(bucket, "a/g.txt"));

        (await Tool.RunAsync("ln", "-s", "g.txt", $"{m}/a/link")).EnsureSuccess("ln -s");
        Assert.Equal("g.txt", (await Tool.RunAsync("readlink", $"{m}/a/link")).EnsureSuccess("readlink").Stdout.Trim());
        Assert.Equal("hello\0\0\0", (await Tool.RunAsync("cat", $"{m}/a/link")).EnsureSuccess("cat through the link").Stdout);

        (await Tool.RunAsync("mv", $"{m}/notes", $"{m}/archive")).EnsureSuccess("mv of a directory");
        Assert.Equal("milk\neggs\n", Object(bucket, "archive/todo.txt"));
        Assert.False(Exists(bucket, "notes/todo.txt"));

        var rmdirFull = await Tool.RunAsync("rmdir", $"{m}/archive");
        Assert.NotEqual(0, rmdirFull.ExitCode);
        Assert.Contains("not empty", rmdirFull.Stderr);

        (await Tool.RunAsync("rm", $"{m}/archive/todo.txt", $"{m}/a/link")).EnsureSuccess("rm");
        (await Tool.RunAsync("rmdir", $"{m}/a/b")).EnsureSuccess("rmdir");
        (await Tool.RunAsync("mkdir", "-p", $"{m}/tree/x/y")).EnsureSuccess("mkdir -p tree");
        (await Tool.BashAsync("echo 1 > \"$1/tree/x/y/one\" && echo 2 > \"$1/tree/x/two\"", m)).EnsureSuccess("fill tree");
        (await Tool.RunAsync("rm", "-r", $"{m}/tree")).EnsureSuccess("rm -r");
        Assert.DoesNotContain(fixture.Emulator.Store.ListObjectNames(bucket), name => name.StartsWith("tree/", StringComparison.Ordinal));
        Assert.False(Exists(bucket, "archive/todo.txt"));
        Assert.False(Exists(bucket, "a/b/"));

        var listing = (await Tool.RunAsync("ls", "-A", m, $"{m}/a")).EnsureSuccess("ls").Stdout;
        Assert.Contains("g.txt", listing);
        Assert.DoesNotContain("archive", listing);

        var stat = (await Tool.RunAsync("stat", "-c", "%s %F", $"{m}/a/g.txt")).EnsureSuccess("stat").Stdout.Trim();
        Assert.Equal("8 regular file", stat);

        var link = await Tool.RunAsync("ln", $"{m}/a/g.txt", $"{m}/a/hard");
        Assert.NotEqual(0, link.ExitCode);
        Assert.Contains("not permitted", link.Stderr);
    }

    [Fact]
    public async Task Chmod_and_touch_on_directories_are_kept_and_the_mount_root_refuses_them()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("dirattr");
        fixture.Emulator.Store.PutObject(bucket, "implicit/f.txt", "x"u8.ToArray());
        await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache1")))
        {
            var m = mount.MountPoint;
            (await Tool.RunAsync("mkdir", $"{m}/made")).EnsureSuccess("mkdir");
            (await Tool.RunAsync("chmod", "700", $"{m}/made", $"{m}/implicit")).EnsureSuccess("chmod on directories");
            (await Tool.RunAsync("touch", "-d", "@1600000000", $"{m}/made")).EnsureSuccess("touch -d on a directory");
            Assert.Equal("700 1600000000", (await Tool.RunAsync("stat", "-c", "%a %Y", $"{m}/made")).EnsureSuccess("stat").Stdout.Trim());

            var root = await Tool.RunAsync("chmod", "700", m);
            Assert.NotEqual(0, root.ExitCode);
            Assert.Contains("not permitted", root.Stderr);
        }

        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "made/", out var made));
        Assert.Equal("700", made.Metadata["goog-reserved-posix-mode"]);
        Assert.Equal("1600000000", made.Metadata["goog-reserved-file-mtime"]);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "implicit/", out var placeholder), "chmod of an implicit directory makes its placeholder");
        Assert.Equal("700", placeholder.Metadata["goog-reserved-posix-mode"]);

        // A new mount with an empty cache shows them, in a listing and on the directories themselves.
        await using var again = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache2"));
        var listed = (await Tool.RunAsync("ls", "-l", "--time-style=+%s", again.MountPoint)).EnsureSuccess("ls -l").Stdout;
        Assert.Contains(listed.Split('\n'), line => line.StartsWith("drwx------", StringComparison.Ordinal) && line.EndsWith(" 1600000000 made", StringComparison.Ordinal));
        Assert.Contains(listed.Split('\n'), line => line.StartsWith("drwx------", StringComparison.Ordinal) && line.EndsWith(" implicit", StringComparison.Ordinal));
        Assert.Equal("700 1600000000", (await Tool.RunAsync("stat", "-c", "%a %Y", again.Path("made"))).EnsureSuccess("stat after remount").Stdout.Trim());
    }

    [Fact]
    public async Task The_mount_shows_in_the_mount_table_and_df()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("df");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));
        var entry = global::Octue.Mount.Linux.Mounting.MountTable.Find(mount.MountPoint);
        Assert.NotNull(entry);
        Assert.Equal("fuse.octue-mount", entry.FileSystemType);
        Assert.Equal($"gs://{bucket}", entry.Source);
        var df = (await Tool.RunAsync("df", "-P", mount.MountPoint)).EnsureSuccess("df");
        Assert.Contains($"gs://{bucket}", df.Stdout);
        // The mount is private to its user: the mount options say neither allow_other nor the other users' access.
        Assert.DoesNotContain("allow_other", File.ReadAllText("/proc/self/mountinfo").Split('\n').Single(l => l.Contains(mount.MountPoint)));
    }
}
