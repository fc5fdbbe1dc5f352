using System.Security.Cryptography;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// FUSE passthrough of whole, verified cached copies: after a full read verified an object and its whole-object file
/// was made, a later open hands that file to the kernel, which serves the reads without a single READ to the daemon
/// (counted by the daemon); a copy changed on disk is not handed over.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class PassthroughTests(EmulatorFixture fixture)
{
    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<string> Sha256Async(string path) =>
        (await Tool.BashAsync("sha256sum < \"$1\" | cut -d' ' -f1", path)).EnsureSuccess("sha256sum").Stdout.Trim();

    /// <summary>Waits until the cache folder holds the checked whole-object file (made in the background after the verified read).</summary>
    private static async Task<string> WholeFileAsync(string cacheDirectory)
    {
        var content = Path.Combine(cacheDirectory, "content");
        for (var i = 0; i < 300; i++)
        {
            var found = Directory.Exists(content) ? Directory.GetFiles(content, "object.data", SearchOption.AllDirectories) : [];
            if (found.Length == 1 && File.ReadAllText(Path.Combine(Path.GetDirectoryName(found[0])!, "state.json")).Contains("WholeFileLength"))
                return found[0];
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException("no whole-object file was made after a verified full read");
    }

    [Fact]
    public async Task A_verified_cached_object_is_read_by_the_kernel_without_a_read_request_to_the_daemon()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("passthrough");
        var data = RandomBytes(3 * 1024 * 1024 + 123, seed: 7);
        fixture.Emulator.Store.PutObject(bucket, "big/data.bin", data);
        var expected = Convert.ToHexStringLower(SHA256.HashData(data));
        var cache = temp.Combine("cache");

        await using (var first = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt1"), cache, "--passthrough"))
        {
            Assert.Equal(expected, await Sha256Async(first.Path("big", "data.bin")));
            await WholeFileAsync(cache);
            var requests = await first.StopAndCountRequestsAsync();
            Assert.True(requests.GetValueOrDefault("READ") > 0, "the first, cold read is served by the daemon");
        }

        await using var second = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt2"), cache, "--passthrough");
        Assert.Equal(expected, await Sha256Async(second.Path("big", "data.bin")));
        var partial = (await Tool.BashAsync("tail -c 100 \"$1\" | od -An -tx1 | tr -d ' \\n'", second.Path("big", "data.bin"))).EnsureSuccess("tail").Stdout;
        Assert.Equal(Convert.ToHexStringLower(data.AsSpan(data.Length - 100)), partial);
        var warm = await second.StopAndCountRequestsAsync();
        Assert.Equal(2, warm.GetValueOrDefault("OPEN"));
        Assert.Equal(0, warm.GetValueOrDefault("READ"));
    }

    [Fact]
    public async Task A_whole_object_file_changed_on_disk_is_not_handed_to_the_kernel_and_reads_stay_right()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("passthrough-damaged");
        var data = RandomBytes(2 * 1024 * 1024, seed: 8);
        fixture.Emulator.Store.PutObject(bucket, "data.bin", data);
        var expected = Convert.ToHexStringLower(SHA256.HashData(data));
        var cache = temp.Combine("cache");

        await using (var first = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt1"), cache, "--passthrough"))
        {
            Assert.Equal(expected, await Sha256Async(first.Path("data.bin")));
            await WholeFileAsync(cache);
            await first.StopAndCountRequestsAsync();
        }

        // Damage the whole-object file behind the mount's back (a write changes its last-write time).
        var whole = Directory.GetFiles(Path.Combine(cache, "content"), "object.data", SearchOption.AllDirectories).Single();
        await using (var file = new FileStream(whole, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 1000;
            file.WriteByte((byte)(data[1000] ^ 0xFF));
        }
        File.SetLastWriteTimeUtc(whole, DateTime.UtcNow.AddMinutes(-5));

        await using var second = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt2"), cache, "--passthrough");
        Assert.Equal(expected, await Sha256Async(second.Path("data.bin")));
        var requests = await second.StopAndCountRequestsAsync();
        Assert.True(requests.GetValueOrDefault("READ") > 0, "a changed whole-object file must not be served by passthrough");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_open_after_the_object_changed_never_reads_the_old_generation_while_an_old_reader_is_open(bool passthrough)
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("passthrough-generations");
        // Larger than the objects an open downloads whole (1 MiB), so reads go through the content cache.
        var old = RandomBytes(2 * 1024 * 1024, seed: 9);
        fixture.Emulator.Store.PutObject(bucket, "data.bin", old);
        string[] options = passthrough ? ["--metadata-ttl", "0", "--passthrough"] : ["--metadata-ttl", "0"];
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"), options);
        var file = mount.Path("data.bin");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(old)), await Sha256Async(file));
        if (passthrough)
            await WholeFileAsync(temp.Combine("cache")); // without passthrough no whole-object file is made

        // A reader keeps the old generation open (through passthrough, when on) while the object is replaced, read
        // in full (verified, its own whole-object file made), and opened again.
        var fresh = RandomBytes(2 * 1024 * 1024, seed: 10);
        var script = """
            exec 3<"$1"
            head -c 16 <&3 >/dev/null
            echo replace
            read -r _
            echo "sha:$(sha256sum < "$1" 2>/dev/null | cut -d' ' -f1)"
            read -r _
            echo "sha:$(sha256sum < "$1" 2>/dev/null | cut -d' ' -f1)"
            exec 3<&-
            echo "sha:$(sha256sum < "$1" 2>/dev/null | cut -d' ' -f1)"
            """;
        var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = "/tmp" };
        foreach (var argument in new[] { "-c", script, "bash", file })
            start.ArgumentList.Add(argument);
        using var reader = System.Diagnostics.Process.Start(start)!;
        Assert.Equal("replace", await reader.StandardOutput.ReadLineAsync());
        fixture.Emulator.Store.PutObject(bucket, "data.bin", fresh);
        await reader.StandardInput.WriteLineAsync("go");
        await reader.StandardInput.FlushAsync();
        var expected = "sha:" + Convert.ToHexStringLower(SHA256.HashData(fresh));
        var stale = "sha:" + Convert.ToHexStringLower(SHA256.HashData(old));
        var whileOpen = await reader.StandardOutput.ReadLineAsync();
        await reader.StandardInput.WriteLineAsync("go");
        await reader.StandardInput.FlushAsync();
        var again = await reader.StandardOutput.ReadLineAsync();
        var afterClose = await reader.StandardOutput.ReadLineAsync();
        await reader.WaitForExitAsync();

        // Every open after the change reads the new generation, with or without a passthrough reader of the old one
        // (with one, the new opens are answered on its backing file with direct I/O, and the daemon serves them).
        Assert.Equal(expected, whileOpen);
        Assert.Equal(expected, again);
        Assert.Equal(expected, afterClose);
    }

    [Fact]
    public async Task Writers_can_open_a_file_that_a_passthrough_reader_holds_and_their_bytes_reach_the_bucket()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("passthrough-writers");
        var data = RandomBytes(2 * 1024 * 1024, seed: 11);
        fixture.Emulator.Store.PutObject(bucket, "data.bin", data);
        var cache = temp.Combine("cache");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), cache, "--passthrough");
        var file = mount.Path("data.bin");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), await Sha256Async(file));
        await WholeFileAsync(cache);

        // fd 3 reads through passthrough; while it is open the file is truncated and written (O_WRONLY|O_TRUNC), read
        // by a new open, opened for reading and writing (refused: ETXTBSY, as a shared writable mapping of it would
        // write into the reader's cached copy), appended to (O_WRONLY|O_APPEND) and read again; then fd 3 reads on
        // and closes, and the read-write open succeeds once the daemon has the reader's RELEASE (sent after close returns). Every other open must succeed (the kernel fails an open of an
        // inode in passthrough mode that does not name its backing file) and every writer's bytes must be what later
        // opens read and what the bucket holds.
        var script = """
            set -e
            exec 3<"$1"
            head -c 16 <&3 | od -An -tx1 | tr -d ' \n'; echo
            printf 'first version\n' > "$1"
            cat "$1"
            echo "rw:$( (exec 4<>"$1") 2>&1 || true)"
            printf 'appended\n' >> "$1"
            cat "$1"
            head -c 16 <&3 | od -An -tx1 | tr -d ' \n'; echo
            exec 3<&-
            # The kernel sends RELEASE after close returns, so the daemon may still count fd 3 for a moment.
            tries=0
            until (exec 4<>"$1") 2>/dev/null; do tries=$((tries + 1)); [ $tries -lt 100 ] || exit 1; sleep 0.05; done
            exec 4<>"$1"
            printf 'FIRST' >&4
            exec 4>&-
            cat "$1"
            """;
        var result = (await Tool.BashAsync(script, file)).EnsureSuccess("the reader and writers script");
        var lines = result.Stdout.Split('\n');
        Assert.Equal(Convert.ToHexStringLower(data.AsSpan(0, 16)), lines[0]);
        Assert.Equal("first version", lines[1]);
        Assert.Contains("Text file busy", lines[2]);
        Assert.Equal("first version", lines[3]);
        Assert.Equal("appended", lines[4]);
        // The reader that opened the old generation keeps reading it, from its copy (passthrough).
        Assert.Equal(Convert.ToHexStringLower(data.AsSpan(16, 16)), lines[5]);
        Assert.Equal("FIRST version", lines[6]);
        Assert.Equal("appended", lines[7]);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "data.bin", out var stored));
        Assert.Equal("FIRST version\nappended\n", System.Text.Encoding.UTF8.GetString(stored.Data));

        var requests = await mount.StopAndCountRequestsAsync();
        Assert.True(requests.GetValueOrDefault("WRITE") > 0, "the writers' bytes went to the daemon");
    }
}
