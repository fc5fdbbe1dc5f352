using System.Text;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// The POSIX answers a program gets from the mount where a local file system would give them: limits of the store
/// refused with their errno at the call that meets them, mode 0, ctimes, RENAME_EXCHANGE. Each is driven with
/// ordinary commands through a real mount.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class PosixSemanticsTests(EmulatorFixture fixture)
{
    private IReadOnlyList<string> Names(string bucket) => fixture.Emulator.Store.ListObjectNames(bucket);

    [Fact]
    public async Task Names_over_1024_bytes_give_File_name_too_long_at_mkdir_touch_ln_and_mv_and_stage_nothing()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("longname");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));
        // Four folders of 250 bytes: a 1,004-byte prefix, so a 30-byte name passes the store's 1,024 bytes.
        var deep = string.Join('/', "abcd".Select(c => new string(c, 250)));
        const string script = """
            set -u
            err=$(mktemp)
            trap 'rm -f "$err"' EXIT
            cd "$1"
            mkdir -p "$2" && echo fits > "$2/ok" || exit 10
            n=$(printf 'n%.0s' $(seq 30))
            for what in "mkdir $2/$n" "touch $2/$n" "ln -s ok $2/$n" "mv $2/ok $2/$n" "sh -c 'echo data > $2/$n'"; do
              if eval "$what" 2>"$err"; then echo "$what: succeeded"; else sed 's/.*: //' "$err"; fi
            done
            """;
        var lines = (await Tool.BashAsync(script, mount.MountPoint, deep)).EnsureSuccess("the long names").Stdout.Trim().Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.All(lines, line => Assert.EndsWith("File name too long", line));
        Assert.Equal([$"{deep}/", $"{deep}/ok"], Names(bucket).Where(n => !n.EndsWith('/') || n == $"{deep}/").Order(StringComparer.Ordinal));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(mount.CacheDirectory, "staging")));
        Assert.Equal("fits\n", (await Tool.RunAsync("cat", mount.Path(deep, "ok"))).EnsureSuccess("cat").Stdout);
    }

    [Fact]
    public async Task Umask_777_makes_mode_0_files_and_folders_and_truncate_past_5_TiB_is_File_too_large()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("mode0");
        fixture.Emulator.Store.PutObject(bucket, "f", "12345"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));

        (await Tool.BashAsync("cd \"$1\" && umask 777 && touch m0 && mkdir d0", mount.MountPoint)).EnsureSuccess("umask 777; touch; mkdir");
        Assert.Equal("0 regular empty file\n0 directory", (await Tool.RunAsync("stat", "-c", "%a %F", mount.Path("m0"), mount.Path("d0"))).EnsureSuccess("stat").Stdout.Trim());
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "m0", out var m0));
        Assert.Equal("0", m0.Metadata["goog-reserved-posix-mode"]);

        var truncate = await Tool.RunAsync("truncate", "-s", "999999999999999", mount.Path("f"));
        Assert.NotEqual(0, truncate.ExitCode);
        Assert.Contains("File too large", truncate.Stderr);
        Assert.Equal("5", (await Tool.RunAsync("stat", "-c", "%s", mount.Path("f"))).EnsureSuccess("stat").Stdout.Trim());
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "f", out var f));
        Assert.Equal("12345", Encoding.UTF8.GetString(f.Data));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(mount.CacheDirectory, "staging")));
    }

    [Fact]
    public async Task Chmod_and_chown_of_a_folder_move_its_ctime_and_RENAME_EXCHANGE_is_Invalid_argument()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("ctime");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));
        const string script = """
            set -eu
            cd "$1"
            mkdir d
            touch -d @1500000000 d
            before=$(stat -c %Z d)
            sleep 1.1
            chmod 700 d
            afterChmod=$(stat -c %Z d)
            sleep 1.1
            chown 1234:1234 d
            afterChown=$(stat -c %Z d)
            echo "$(stat -c %Y d) $((afterChmod > before)) $((afterChown > afterChmod))"
            """;
        Assert.Equal("1500000000 1 1", (await Tool.BashAsync(script, mount.MountPoint)).EnsureSuccess("ctime").Stdout.Trim());

        const string exchange = """
            import ctypes, os, sys
            d = sys.argv[1]
            for name in ("a", "b"):
                with open(os.path.join(d, name), "w") as f:
                    f.write(name)
            libc = ctypes.CDLL(None, use_errno=True)
            RENAME_EXCHANGE = 2
            r = libc.renameat2(-100, os.path.join(d, "a").encode(), -100, os.path.join(d, "b").encode(), RENAME_EXCHANGE)
            print(os.strerror(ctypes.get_errno()) if r != 0 else "exchanged")
            """;
        Assert.Equal("Invalid argument", (await Tool.RunAsync("/usr/bin/python3", "-c", exchange, mount.MountPoint)).EnsureSuccess("renameat2").Stdout.Trim());
    }
}
