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
    public async Task What_another_user_creates_on_an_allow_other_mount_is_theirs_and_they_can_chmod_it()
    {
        using var temp = new TempDirectory();
        // The other user must be able to reach the mount point.
        (await Tool.RunAsync("chmod", "755", temp.Path)).EnsureSuccess("chmod of the test folder");
        var bucket = fixture.NewBucket("owner");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"), "--allow-other");
        const string script = """
            set -eu
            cd "$1"
            mkdir s
            chmod 777 s
            as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
            as_nobody touch s/f
            as_nobody chmod 600 s/f
            as_nobody mkdir s/d
            as_nobody ln -s f s/l
            as_nobody sh -c 'echo mine > s/f'
            touch s/by-root
            stat -c '%n %u:%g %a' s/f s/d s/l s/by-root
            """;
        var lines = (await Tool.BashAsync(script, mount.MountPoint)).EnsureSuccess("files made by another user").Stdout.Trim().Split('\n');
        Assert.Equal(["s/f 65534:65534 600", "s/d 65534:65534 755", "s/l 65534:65534 777", "s/by-root 0:0 644"], lines);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "s/f", out var f));
        Assert.Equal("mine\n", Encoding.UTF8.GetString(f.Data));
        Assert.Equal(("65534", "65534", "600"), (f.Metadata["goog-reserved-posix-uid"], f.Metadata["goog-reserved-posix-gid"], f.Metadata["goog-reserved-posix-mode"]));
    }

    [Fact]
    public async Task A_chmod_and_chown_while_another_process_writes_stay_visible_through_its_writes()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("chmodw");
        fixture.Emulator.Store.PutObject(bucket, "f", "base\n"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));
        // Python, not the shell: a shell's redirection closes a duplicate of the descriptor (a flush, so an upload)
        // after every command; a program that keeps writing does not.
        const string script = """
            import os, sys
            path = os.path.join(sys.argv[1], "f")
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            os.chmod(path, 0o600)
            os.chown(path, 1234, 1234)
            os.write(fd, b"more\n")
            def show():
                st = os.stat(path)
                print(oct(st.st_mode & 0o7777)[2:], f"{st.st_uid}:{st.st_gid}", st.st_size)
            show()
            os.write(fd, b"")
            os.fsync(fd)
            show()
            # Again once the writer holds a staged copy: the change lands in that copy's metadata.
            os.chmod(path, 0o640)
            os.chown(path, 4321, 4321)
            os.write(fd, b"last\n")
            show()
            os.fsync(fd)
            show()
            os.close(fd)
            show()
            """;
        Assert.Equal(["600 1234:1234 10", "600 1234:1234 10", "640 4321:4321 15", "640 4321:4321 15", "640 4321:4321 15"],
            (await Tool.RunAsync("/usr/bin/python3", "-c", script, mount.MountPoint)).EnsureSuccess("chmod while written").Stdout.Trim().Split('\n'));
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "f", out var f));
        Assert.Equal("base\nmore\nlast\n", Encoding.UTF8.GetString(f.Data));
        Assert.Equal(("640", "4321", "4321"), (f.Metadata["goog-reserved-posix-mode"], f.Metadata["goog-reserved-posix-uid"], f.Metadata["goog-reserved-posix-gid"]));
    }

    [Fact]
    public async Task Inode_numbers_survive_the_kernel_dropping_its_caches_a_remount_and_a_rename()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("inode");
        fixture.Emulator.Store.PutObject(bucket, "d/old.txt", "x"u8.ToArray());
        const string script = """
            set -eu
            cd "$1"
            touch f
            mkdir -p d/e
            stat -c '%n %i' f d d/e d/old.txt
            sync
            echo 2 > /proc/sys/vm/drop_caches
            stat -c '%n %i' f d d/e d/old.txt
            """;
        string[] before, afterRemount;
        await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache1")))
        {
            var lines = (await Tool.BashAsync(script, mount.MountPoint)).EnsureSuccess("stat around drop_caches").Stdout.Trim().Split('\n');
            before = lines[..4];
            Assert.Equal(before, lines[4..]);
            Assert.Equal(4, before.Select(l => l.Split(' ')[1]).Distinct().Count());
        }

        await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache2")))
        {
            afterRemount = (await Tool.BashAsync("cd \"$1\" && stat -c '%n %i' f d d/e d/old.txt", mount.MountPoint)).EnsureSuccess("stat after remount").Stdout.Trim().Split('\n');
            Assert.Equal(before, afterRemount);
            // rename(2) keeps the inode, for the name looked up again after the kernel forgot it too.
            var moved = (await Tool.BashAsync("cd \"$1\" && mv d/old.txt d/e/new.txt && mv d moved && sync && echo 2 > /proc/sys/vm/drop_caches && stat -c %i moved/e/new.txt moved", mount.MountPoint))
                .EnsureSuccess("mv").Stdout.Trim().Split('\n');
            Assert.Equal([before[3].Split(' ')[1], before[1].Split(' ')[1]], moved);
        }
    }

    [Fact]
    public async Task An_open_file_stays_readable_after_rm_and_other_processes_read_what_a_writer_wrote()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("unlinked");
        var content = new byte[3 << 20];
        new Random(7).NextBytes(content);
        fixture.Emulator.Store.PutObject(bucket, "u", content);
        fixture.Emulator.Store.PutObject(bucket, "w", "0123456789"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));

        // The issue's own words: exec 3<u; rm u; cat <&3.
        var cat = await Tool.BashAsync("cd \"$1\" && exec 3<u && rm u && cat <&3 | sha256sum && stat -L -c '%s %h' /dev/fd/3", mount.MountPoint);
        Assert.Equal($"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))}  -\n{content.Length} 0", cat.EnsureSuccess("cat after rm").Stdout.Trim());
        Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "u", out _));

        const string script = """
            import os, sys
            d = sys.argv[1]
            w = os.path.join(d, "w")
            reader = os.open(w, os.O_RDONLY)
            writer = os.open(w, os.O_RDWR)
            os.pwrite(writer, b"abcdef", 8)
            print(os.stat(w).st_size, os.pread(reader, 100, 0).decode())
            os.close(writer)
            print(os.stat(w).st_size, os.pread(reader, 100, 0).decode())
            os.close(reader)
            # Open for writing, then unlinked: writes go on, nothing is uploaded.
            g = os.path.join(d, "gone")
            with open(g, "w") as f:
                f.write("first")
            fd = os.open(g, os.O_RDWR)
            os.unlink(g)
            os.pwrite(fd, b"SECOND", 0)
            os.fsync(fd)
            print(os.pread(fd, 100, 0).decode(), os.fstat(fd).st_nlink)
            os.close(fd)
            print(sorted(os.listdir(d)))
            """;
        var lines = (await Tool.RunAsync("/usr/bin/python3", "-c", script, mount.MountPoint)).EnsureSuccess("python").Stdout.Trim().Split('\n');
        Assert.Equal(["14 01234567abcdef", "14 01234567abcdef", "SECOND 0", "['w']"], lines);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "w", out var w));
        Assert.Equal("01234567abcdef", Encoding.UTF8.GetString(w.Data));
        Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "gone", out _));
    }

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
