using System.Security.Cryptography;
using Octue.Mount.Emulator;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Linux.Tests.Mounts;
using Octue.Mount.Testing;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// A mount made by an ordinary user, not root pretending: the path through the setuid fusermount3, with the
/// mounting user's uid on the files and the mount closed to everyone else, root included.
/// </summary>
[Collection(CliMountCollection.Name)]
public sealed class UnprivilegedMountTests
{
    /// <summary>A system account the test creates if it is missing; a uid of its own, unlike nobody's 65534 (the overflow uid).</summary>
    private const string User = "octue-mount-test";

    /// <summary>
    /// Runs in a private mount namespace, so no mount outside it changes (only the test account, created once, stays):
    /// the host's /dev/fuse is often 0600 in containers, so /dev is replaced by a tmpfs with the ordinary devices
    /// bound in and a /dev/fuse anyone may open.
    /// The user mounts in the foreground as a job of this shell, so its exit status can be read. Results are printed
    /// as <c>key=value</c> lines for the test to check. Whatever happens, the trap unmounts, kills the daemon if it is
    /// still there and waits for it; the namespace (and anything left in it) goes when its last process exits.
    /// Arguments: $1 CLI, $2 test folder, $3 bucket, $4 a file the user copies in, $5 the user.
    /// </summary>
    private const string Script = """
        set -u
        cli=$1; dir=$2; bucket=$3; source=$4; user=$5
        mnt=$dir/mnt
        daemon=
        cleanup() {
            if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
                umount -l "$mnt" 2>/dev/null
                kill -KILL "$daemon" 2>/dev/null
                wait "$daemon" 2>/dev/null
            fi
            umount -l "$mnt" 2>/dev/null
            umount -l "$dir/app" 2>/dev/null
            umount -l /dev 2>/dev/null
        }
        trap cleanup EXIT
        as_user() { setpriv --reuid="$user_id" --regid="$group_id" --init-groups -- "$@"; }

        set -e
        # Idempotent, and safe against a concurrent run creating the same account first.
        id -u "$user" >/dev/null 2>&1 ||
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
            id -u "$user" >/dev/null
        user_id=$(id -u "$user"); group_id=$(id -g "$user")
        echo "uid=$user_id"
        echo "gid=$group_id"
        # The test's folder is root's (0700): the user may pass through it to folders of its own, no more.
        chmod 0711 "$dir"
        install -d -o "$user_id" -g "$group_id" -m 0700 "$mnt" "$dir/cache" "$dir/home"
        install -o "$user_id" -g "$group_id" -m 0600 "$source" "$dir/home/source.bin"

        mount --make-rprivate /
        mkdir "$dir/host-dev"
        mount --rbind /dev "$dir/host-dev"
        mount -t tmpfs -o mode=0755 none /dev
        for device in null zero full random urandom tty; do
            touch "/dev/$device"
            mount --bind "$dir/host-dev/$device" "/dev/$device"
        done
        umount -l "$dir/host-dev"
        mknod -m 0666 /dev/fuse c 10 229
        # The build output may sit in a folder the user cannot enter (a checkout under /root): it is shown to the
        # user at a path of its own, read-only.
        mkdir "$dir/app"
        mount --bind -o ro "$(dirname "$cli")" "$dir/app"
        cli=$dir/app/$(basename "$cli")
        as_user "$cli" version >/dev/null
        set +e

        HOME=$dir/home as_user "$cli" mount "gs://$bucket" "$mnt" --foreground --cache-dir "$dir/cache" \
            --log-level debug --log-file "$dir/home/mount.log" >"$dir/home/mount.out" 2>&1 &
        daemon=$!
        # Ready once it says so; a daemon that exits first has failed, and its output says why.
        until grep -q '^Mounted ' "$dir/home/mount.out"; do
            if ! kill -0 "$daemon" 2>/dev/null; then
                wait "$daemon"; echo "daemon=$?"; cat "$dir/home/mount.out"; exit 1
            fi
            sleep 0.1
        done
        echo "mountinfo=$(grep " $mnt " /proc/self/mountinfo)"

        as_user cp "$dir/home/source.bin" "$mnt/written.bin"; echo "cp=$?"
        echo "read_back=$(as_user sha256sum "$mnt/written.bin" | cut -d' ' -f1)"
        echo "owner_written=$(as_user stat -c %u:%g "$mnt/written.bin")"
        echo "owner_existing=$(as_user stat -c %u:%g "$mnt/existing.txt")"
        echo "root_stat=$(stat "$mnt/existing.txt" 2>&1 >/dev/null)"
        echo "root_ls=$(ls "$mnt" 2>&1 >/dev/null)"

        as_user "$cli" unmount "$mnt"; echo "unmount=$?"
        wait "$daemon"; echo "daemon=$?"
        daemon=
        echo "still_mounted=$(grep -c " $mnt " /proc/self/mountinfo)"
        """;

    private readonly GcsEmulator _emulator;

    public UnprivilegedMountTests(EmulatorFixture fixture) => _emulator = CliEmulator.Fresh(fixture);

    [Fact]
    public async Task A_user_mounts_through_fusermount3_owns_the_files_and_root_is_kept_out()
    {
        using var temp = new TempDirectory();
        _emulator.Store.CreateBucket("user-mount");
        _emulator.Store.PutObject("user-mount", "existing.txt", "there before\n"u8.ToArray());
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var source = temp.Combine("source.bin");
        await File.WriteAllBytesAsync(source, content);
        var expected = Convert.ToHexStringLower(SHA256.HashData(content));

        var result = await Tool.RunAsync("unshare", ["--mount", "bash", "-c", Script, "bash", MountProcess.CliPath, temp.Path, "user-mount", source, User],
            TimeSpan.FromSeconds(120), new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort });
        var report = result.Stdout.Split('\n').Where(l => l.Contains('=')).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
        var context = $"{result.Stdout}{result.Stderr}\n{ReadIfThere(temp.Combine("home", "mount.log"))}";
        Assert.True(result.ExitCode == 0, context);
        var uid = report["uid"];
        Assert.NotEqual("0", uid);

        // fusermount3 made the mount for the user: the kernel records the user as its owner, without allow_other.
        Assert.Contains($"user_id={uid},", report["mountinfo"]);
        Assert.DoesNotContain("allow_other", report["mountinfo"]);
        Assert.Contains("through fusermount3", ReadIfThere(temp.Combine("home", "mount.log")));

        Assert.Equal("0", report["cp"]);
        Assert.Equal(expected, report["read_back"]);
        Assert.True(_emulator.Store.TryGetObject("user-mount", "written.bin", out var stored), context);
        Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(stored.Data)));
        // Both an object stored without POSIX attributes and the file the user wrote belong to the user.
        var owner = $"{uid}:{report["gid"]}";
        Assert.Equal(owner, report["owner_existing"]);
        Assert.Equal(owner, report["owner_written"]);

        Assert.Contains("Permission denied", report["root_stat"]);
        Assert.Contains("Permission denied", report["root_ls"]);

        Assert.Equal("0", report["unmount"]);
        Assert.Equal("0", report["daemon"]);
        Assert.Equal("0", report["still_mounted"]);
        Assert.Null(MountTable.Find(temp.Combine("mnt")));
    }

    private static string ReadIfThere(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
