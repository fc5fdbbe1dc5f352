using Octue.Mount.Linux.Mounting;
using Octue.Mount.Storage;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// What a bucket's content may do to the machine that mounts it (DESIGN.md, "Trust boundary"): no setuid, setgid or
/// sticky bits from object metadata unless the mount asks for them, and, with nosymfollow, no symlink a bucket writer
/// made is followed out of the mount.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class TrustBoundaryTests(EmulatorFixture fixture)
{
    private static Dictionary<string, string> Mode(string octal) => new() { ["goog-reserved-posix-mode"] = octal };

    private static async Task<string> StatAsync(string format, string path) =>
        (await Tool.RunAsync("stat", "-c", format, path)).EnsureSuccess("stat " + format).Stdout.Trim();

    private static string MountOptionsOf(string mountPoint) =>
        File.ReadAllLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == mountPoint).Split(' ')[5];

    [Fact]
    public async Task Setuid_setgid_sticky_and_type_bits_stored_in_objects_are_not_shown_unless_allow_suid_asks()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("suid");
        var store = fixture.Emulator.Store;
        store.PutObject(bucket, "suid.bin", "#!/bin/sh\n"u8.ToArray(), Mode("104755"));
        store.PutObject(bucket, "every-bit.bin", "x"u8.ToArray(), Mode("7777777"));
        store.PutObject(bucket, "chardev.bin", "x"u8.ToArray(), Mode("020644"));
        store.PutObject(bucket, "minus-one.bin", "x"u8.ToArray(), new Dictionary<string, string>
        {
            ["goog-reserved-posix-uid"] = "4294967295",
            ["goog-reserved-posix-gid"] = "4294967295",
        });
        store.PutObject(bucket, "sticky/", [], Mode("41777"));

        await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache")))
        {
            Assert.Equal("-rwxr-xr-x", await StatAsync("%A", mount.Path("suid.bin")));
            Assert.Equal("-rwxrwxrwx", await StatAsync("%A", mount.Path("every-bit.bin")));
            Assert.Equal("-rw-r--r-- regular file", await StatAsync("%A %F", mount.Path("chardev.bin")));
            Assert.Equal("drwxrwxrwx", await StatAsync("%A", mount.Path("sticky")));
            Assert.Equal("0 0", await StatAsync("%u %g", mount.Path("minus-one.bin")));
            Assert.Contains("nosuid", MountOptionsOf(mount.MountPoint).Split(','));

            // cp -a as root keeps modes: the local copy must not become setuid.
            var copy = temp.Combine("copy.bin");
            (await Tool.RunAsync("cp", "-a", mount.Path("suid.bin"), copy)).EnsureSuccess("cp -a");
            Assert.Equal("755", await StatAsync("%a", copy));
        }

        await using (var trusted = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt2"), temp.Combine("cache2"),
                         "--allow-suid"))
        {
            Assert.Equal("-rwsr-xr-x", await StatAsync("%A", trusted.Path("suid.bin")));
            Assert.Equal("-rwsrwsrwt", await StatAsync("%A", trusted.Path("every-bit.bin")));
            Assert.Equal("-rw-r--r-- regular file", await StatAsync("%A %F", trusted.Path("chardev.bin")));
            Assert.Equal("drwxrwxrwt", await StatAsync("%A", trusted.Path("sticky")));
            // As root the mount is made with mount(2), without MS_NOSUID: the bits shown are the bits honoured.
            Assert.DoesNotContain("nosuid", MountOptionsOf(trusted.MountPoint).Split(','));
        }
    }

    [Fact]
    public async Task Bad_default_modes_and_ids_are_refused_naming_the_option()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("badopt");
        var mountPoint = temp.CreateDirectory("mnt");
        try
        {
            foreach (var (option, value) in new[] { ("--file-mode", "7777"), ("--dir-mode", "7777"), ("--uid", "4294967295"), ("--gid", "4294967295"), ("--uid", "-1"), ("--gid", "staff") })
            {
                var run = await Tool.RunAsync(MountProcess.CliPath, ["mount", $"gs://{bucket}", mountPoint, "--foreground", $"{option}={value}"],
                    TimeSpan.FromSeconds(30), new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = fixture.Emulator.HostAndPort });
                Assert.Equal(2, run.ExitCode);
                Assert.Contains($"'{option[2..].Replace('-', '_')}'", run.Stderr);
                Assert.Contains(value, run.Stderr);
                Assert.Null(MountTable.Find(mountPoint));
            }
        }
        finally
        {
            // Only reached with a mount when the option was wrongly taken: never leave it behind.
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    /// <summary>A link a bucket writer points at a local file by a metadata PATCH, as any writer can.</summary>
    private async Task<(string Bucket, string Victim)> CraftLinkAsync(TempDirectory temp)
    {
        var bucket = fixture.NewBucket("symlink");
        var victim = temp.Combine("victim.txt");
        await File.WriteAllTextAsync(victim, "local secret\n");
        fixture.Emulator.Store.PutObject(bucket, "innocent.txt", []);
        using var client = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = fixture.Emulator.HostAndPort });
        await client.PatchMetadataAsync(bucket, "innocent.txt", new MetadataPatch
        {
            Metadata = new Dictionary<string, string?> { ["gcsfuse_symlink_target"] = victim },
        });
        return (bucket, victim);
    }

    [Fact]
    public async Task With_nosymfollow_a_link_a_bucket_writer_made_is_shown_but_never_followed()
    {
        using var temp = new TempDirectory();
        var (bucket, victim) = await CraftLinkAsync(temp);

        // Without the option the link works as gcsfuse's would: this is the risk the option exists for.
        await using (var plain = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("plain"), temp.Combine("cache-plain")))
        {
            Assert.Equal(victim, (await Tool.RunAsync("readlink", plain.Path("innocent.txt"))).EnsureSuccess("readlink").Stdout.Trim());
            Assert.Equal("local secret\n", (await Tool.RunAsync("cat", plain.Path("innocent.txt"))).Stdout);
        }

        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--nosymfollow");
        var link = mount.Path("innocent.txt");
        Assert.Contains("nosymfollow", MountOptionsOf(mount.MountPoint).Split(','));
        Assert.Equal(victim, (await Tool.RunAsync("readlink", link)).EnsureSuccess("readlink").Stdout.Trim());
        Assert.StartsWith("l", await StatAsync("%A", link));

        var read = await Tool.RunAsync("cat", link);
        Assert.NotEqual(0, read.ExitCode);
        Assert.Contains("Too many levels of symbolic links", read.Stderr);
        var append = await Tool.BashAsync("echo appended >> \"$1\"", link);
        Assert.NotEqual(0, append.ExitCode);
        Assert.Contains("Too many levels of symbolic links", append.Stderr);
        Assert.Equal("local secret\n", await File.ReadAllTextAsync(victim));
    }

    [Fact]
    public async Task Nosymfollow_through_fusermount3_works_or_says_which_fusermount3_cannot_and_what_to_do()
    {
        using var temp = new TempDirectory();
        var (bucket, victim) = await CraftLinkAsync(temp);
        var version = (await Tool.RunAsync("fusermount3", "--version")).Stdout + (await Tool.RunAsync("fusermount3", "--version")).Stderr;
        var parts = version.Trim().Split(' ').Last().Split('.').Select(p => int.TryParse(p, out var n) ? n : 0).ToArray();
        var knowsNosymfollow = parts.Length >= 2 && (parts[0] > 3 || (parts[0] == 3 && parts[1] >= 17));

        var mountPoint = temp.CreateDirectory("mnt");
        if (knowsNosymfollow)
        {
            await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, temp.Combine("cache"),
                "--via-fusermount", "--nosymfollow");
            Assert.Contains("nosymfollow", MountOptionsOf(mount.MountPoint).Split(','));
            Assert.Contains("Too many levels of symbolic links", (await Tool.RunAsync("cat", mount.Path("innocent.txt"))).Stderr);
            return;
        }

        try
        {
            var run = await Tool.RunAsync(MountProcess.CliPath,
                ["mount", $"gs://{bucket}", mountPoint, "--foreground", "--via-fusermount", "--nosymfollow", "--cache-dir", temp.Combine("cache")],
                TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = fixture.Emulator.HostAndPort });
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("nosymfollow cannot be set", run.Stderr);
            Assert.Contains("fusermount3 " + version.Trim().Split(' ').Last(), run.Stderr);
            Assert.Contains("3.17", run.Stderr);
            Assert.Contains("as root", run.Stderr);
            Assert.Null(MountTable.Find(mountPoint));
        }
        finally
        {
            await MountProcess.CleanUpAsync(mountPoint);
        }
        Assert.Equal("local secret\n", await File.ReadAllTextAsync(victim));
    }

    [Fact]
    public async Task Symlink_targets_the_kernel_cannot_take_give_a_clear_error_not_a_refused_reply()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("badlink");
        static Dictionary<string, string> Target(string target) => new() { ["gcsfuse_symlink_target"] = target };
        fixture.Emulator.Store.PutObject(bucket, "long", [], Target("/" + new string('a', 5000)));
        fixture.Emulator.Store.PutObject(bucket, "empty", [], Target(""));
        fixture.Emulator.Store.PutObject(bucket, "nul", [], Target("/etc/passwd\0.trusted"));
        fixture.Emulator.Store.PutObject(bucket, "fine", [], Target("/tmp/elsewhere"));
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));

        Assert.Contains("File name too long", (await Tool.RunAsync("readlink", mount.Path("long"))).Stderr + (await Tool.RunAsync("cat", mount.Path("long"))).Stderr);
        Assert.Contains("Invalid argument", (await Tool.RunAsync("cat", mount.Path("empty"))).Stderr);
        Assert.Contains("Invalid argument", (await Tool.RunAsync("cat", mount.Path("nul"))).Stderr);
        Assert.NotEqual(0, (await Tool.RunAsync("readlink", mount.Path("nul"))).ExitCode);
        Assert.Equal("/tmp/elsewhere", (await Tool.RunAsync("readlink", mount.Path("fine"))).EnsureSuccess("readlink").Stdout.Trim());
        // ls -l says it cannot read the three links (exit 1) and lists everything.
        var listing = await Tool.RunAsync("ls", "-l", mount.MountPoint);
        Assert.Contains("fine -> /tmp/elsewhere", listing.Stdout);
        Assert.Contains("cannot read symbolic link", listing.Stderr);

        var log = mount.ReadLog();
        Assert.DoesNotContain("refused by the kernel", log);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(log, "Symlink gs://[^ ]+/long cannot be read: its target is longer than 4095 bytes"));
    }
}

