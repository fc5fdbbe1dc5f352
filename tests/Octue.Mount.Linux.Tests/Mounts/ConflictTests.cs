using System.Text;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>Two mounts of one bucket: no lost update; the loser is told (ESTALE) and its bytes are kept.</summary>
[Collection(MountCollection.Name)]
public sealed class ConflictTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task The_conflicting_writer_gets_estale_and_its_bytes_are_kept()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("conflict");
        fixture.Emulator.Store.PutObject(bucket, "shared.txt", "original\n"u8.ToArray());
        await using var first = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt-a"), temp.Combine("cache-a"));
        // The second mount keeps attributes for long (as the kernel does for a file it is writing): when its write
        // loses, what it cached of the losing copy must not outlive the failure.
        await using var second = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt-b"), temp.Combine("cache-b"),
            "--metadata-ttl", "30s");

        // dd opens the file in the second mount and writes to it at once (staged on top of the original), then
        // waits for the end of its input; meanwhile the first mount replaces the object. When dd closes the file,
        // its upload's generation precondition fails.
        var script = """
            (printf 'losing bytes\n'; sleep 5) | dd of="$2" bs=64K conv=notrunc status=none &
            loser=$!
            sleep 1
            printf 'winning bytes\n' > "$1" || exit 90
            stat -c 'staged %s' "$2"
            wait $loser
            status=$?
            # At once, within any attribute timeout: the second mount shows the winner, not the copy that lost.
            stat -c 'size %s' "$2"
            exit $status
            """;
        var result = await Tool.BashAsync(script, first.Path("shared.txt"), second.Path("shared.txt"));
        Assert.True(result.ExitCode is not 0 and not 90, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Contains("Stale file handle", result.Stderr);
        Assert.Contains("staged 13", result.Stdout);
        Assert.Contains("size 14", result.Stdout);

        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "shared.txt", out var stored));
        Assert.Equal("winning bytes\n", Encoding.UTF8.GetString(stored.Data));

        var kept = Directory.EnumerateFiles(Path.Combine(second.CacheDirectory, "conflicts"), "*", SearchOption.AllDirectories)
            .Where(path => !path.EndsWith(".json", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        Assert.Contains(kept, text => text.StartsWith("losing bytes", StringComparison.Ordinal));
    }
}
