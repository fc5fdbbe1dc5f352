using System.Security.Cryptography;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// The FUSE requests a write costs, counted by the daemon, and the attributes other processes see meanwhile: the
/// kernel is spared the questions whose answers it can keep (a file's attributes while it is written, the file
/// capability a write would have to clear), and every stat still shows each change at once.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class WriteRoundTripTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task Dd_in_1_mib_blocks_asks_for_security_capability_once_not_before_every_write()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("killpriv");
        var source = temp.Combine("source.bin");
        var data = RandomNumberGenerator.GetBytes(16 << 20);
        await File.WriteAllBytesAsync(source, data);
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));

        (await Tool.RunAsync("dd", $"if={source}", $"of={mount.Path("big.bin")}", "bs=1M", "conv=fsync", "status=none")).EnsureSuccess("dd");

        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "big.bin", out var stored));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(stored.Data));
        var requests = await mount.StopAndCountRequestsAsync();
        Assert.True(requests.GetValueOrDefault("WRITE") >= 16, $"{requests.GetValueOrDefault("WRITE")} WRITEs for 16 MiB in 1 MiB blocks");
        // The first write finds no capability and the kernel marks the file as having none; before, one GETXATTR
        // security.capability went before each of the 16 WRITEs.
        Assert.InRange(requests.GetValueOrDefault("GETXATTR"), 1, 2);
    }

    [Fact]
    public async Task Cp_r_of_small_files_asks_for_attributes_once_a_file()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("cp-getattr");
        const int Files = 40;
        var source = temp.Combine("tree");
        Directory.CreateDirectory(source);
        for (var i = 0; i < Files; i++)
            await File.WriteAllBytesAsync(Path.Combine(source, $"f{i:D2}"), RandomNumberGenerator.GetBytes(4096));
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));

        (await Tool.RunAsync("cp", "-r", source, mount.Path("tree"))).EnsureSuccess("cp -r");

        for (var i = 0; i < Files; i++)
        {
            Assert.True(fixture.Emulator.Store.TryGetObject(bucket, $"tree/f{i:D2}", out var stored), $"tree/f{i:D2} is not in the bucket");
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(source, $"f{i:D2}")), stored.Data);
        }
        var requests = await mount.StopAndCountRequestsAsync();
        // Per file the kernel asks the folder's attributes once (a CREATE in it drops them); the new file's own
        // attributes, from CREATE's reply, serve the open's permission check and cp's fstat (3 GETATTRs a file before).
        Assert.InRange(requests.GetValueOrDefault("GETATTR"), Files, Files + 10);
    }

    [Fact]
    public async Task Stat_from_other_processes_follows_every_change_of_a_file_being_written()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("stat-writing");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));

        // A descriptor stays open for writing while other processes stat the file; then a truncation by another
        // process, and an appending descriptor, each followed by a stat.
        var script = """
            exec 3>"$1"
            stat -c 'new %s' "$1"
            printf 12345 >&3
            stat -c 'five %s' "$1"
            printf 67890 >&3
            stat -c 'ten %s' "$1"
            exec 3>&-
            stat -c 'closed %s' "$1"
            truncate -s 3 "$1"
            stat -c 'truncated %s' "$1"
            exec 3>>"$1"
            printf ab >&3
            stat -c 'appended %s' "$1"
            exec 3>&-
            stat -c 'closed again %s' "$1"
            """;
        var result = (await Tool.BashAsync(script, mount.Path("growing.bin"))).EnsureSuccess("the writes and stats");
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["new 0", "five 5", "ten 10", "closed 10", "truncated 3", "appended 5", "closed again 5"], lines);

        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "growing.bin", out var stored));
        Assert.Equal("123ab"u8.ToArray(), stored.Data);
    }
}
