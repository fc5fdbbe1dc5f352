using System.Security.Cryptography;
using Octue.Mount.Integrity;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>Bulk data through a real mount with cp, rsync and dd; bytes compared end to end and against the emulator.</summary>
[Collection(MountCollection.Name)]
public sealed class CopyTests(EmulatorFixture fixture)
{
    private const int MiB = 1 << 20;

    /// <summary>200 files from 0 B to 64 MiB in nested folders (about 170 MiB in all).</summary>
    private static Dictionary<string, byte[]> WriteTree(string root)
    {
        var random = new Random(20240601);
        var sizes = new List<int> { 0, 1, 4095, 4096, 4097, MiB - 1, MiB, MiB + 1, 8 * MiB + 3, 16 * MiB + 7, 32 * MiB, 64 * MiB };
        while (sizes.Count < 200)
            sizes.Add(random.Next(0, 512 * 1024));
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < sizes.Count; i++)
        {
            var relative = Path.Combine($"d{i % 5}", i % 3 == 0 ? $"sub{i % 4}" : "", $"file-{i:000}.bin");
            var bytes = new byte[sizes[i]];
            random.NextBytes(bytes);
            var path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            files[relative.Replace('\\', '/')] = bytes;
        }
        return files;
    }

    private static Task<ToolResult> Checksums(string root) =>
        Tool.BashAsync("cd \"$1\" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum", root);

    private void AssertStored(string bucket, string prefix, IReadOnlyDictionary<string, byte[]> files)
    {
        foreach (var (relative, bytes) in files)
        {
            Assert.True(fixture.Emulator.Store.TryGetObject(bucket, prefix + relative, out var stored), $"{prefix}{relative} was not uploaded");
            Assert.Equal(bytes.Length, stored.Data.Length);
            Assert.True(SHA256.HashData(bytes).AsSpan().SequenceEqual(SHA256.HashData(stored.Data)), $"{relative} differs in the bucket");
            Assert.Equal(Crc32C.Compute(bytes), stored.Crc32c);
        }
    }

    [Fact]
    public async Task Cp_r_of_200_files_in_and_back_out_is_byte_identical()
    {
        using var temp = new TempDirectory();
        var source = temp.CreateDirectory("source");
        var files = WriteTree(source);
        var bucket = fixture.NewBucket("cp");

        await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache1")))
        {
            (await Tool.RunAsync("cp", ["-r", source, mount.Path("tree")], TimeSpan.FromMinutes(3))).EnsureSuccess("cp -r into the mount");
        }
        AssertStored(bucket, "tree/", files);

        // A fresh cache, so the copy back out really reads from the bucket.
        await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache2")))
        {
            (await Tool.RunAsync("cp", ["-r", mount.Path("tree"), temp.Combine("back")], TimeSpan.FromMinutes(3))).EnsureSuccess("cp -r out of the mount");
        }
        var expected = (await Checksums(source)).EnsureSuccess("sha256sum").Stdout;
        var actual = (await Checksums(temp.Combine("back"))).EnsureSuccess("sha256sum").Stdout;
        Assert.Equal(200, expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Rsync_a_both_ways_keeps_content_and_modification_times()
    {
        using var temp = new TempDirectory();
        var source = temp.CreateDirectory("source");
        var random = new Random(7);
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < 30; i++)
        {
            var relative = $"r{i % 3}/f{i:00}.dat";
            var bytes = new byte[random.Next(0, 3 * MiB)];
            random.NextBytes(bytes);
            Directory.CreateDirectory(Path.Combine(source, $"r{i % 3}"));
            File.WriteAllBytes(Path.Combine(source, relative), bytes);
            File.SetLastWriteTimeUtc(Path.Combine(source, relative), new DateTime(2023, 5, 1, 12, 0, i, DateTimeKind.Utc));
            files[relative] = bytes;
        }
        var bucket = fixture.NewBucket("rsync");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));

        (await Tool.RunAsync("rsync", ["-a", source + "/", mount.Path("r") + "/"], TimeSpan.FromMinutes(2))).EnsureSuccess("rsync -a into the mount");
        AssertStored(bucket, "r/", files);
        (await Tool.RunAsync("rsync", ["-a", mount.Path("r") + "/", temp.Combine("back") + "/"], TimeSpan.FromMinutes(2))).EnsureSuccess("rsync -a out of the mount");

        Assert.Equal((await Checksums(source)).Stdout, (await Checksums(temp.Combine("back"))).Stdout);
        // rsync -a keeps modification times: through the mount (stored in object metadata) and back out of it.
        foreach (var relative in files.Keys)
        {
            var expected = File.GetLastWriteTimeUtc(Path.Combine(source, relative));
            Assert.Equal(expected, File.GetLastWriteTimeUtc(Path.Combine(mount.Path("r"), relative)));
            Assert.Equal(expected, File.GetLastWriteTimeUtc(Path.Combine(temp.Combine("back"), relative)));
        }
        // A second run into the mount finds every file already there (same sizes and contents) and sends nothing new.
        var again = (await Tool.RunAsync("rsync", ["-a", "--checksum", "--itemize-changes", source + "/", mount.Path("r") + "/"], TimeSpan.FromMinutes(2))).EnsureSuccess("second rsync");
        Assert.DoesNotContain(again.Stdout.Split('\n'), line => line.StartsWith(">f+", StringComparison.Ordinal) || line.StartsWith(">fc", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dd_of_a_1_gib_file_in_and_out()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("dd");
        string written;
        await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache1")))
        {
            // Random bytes go through tee to sha256sum and through dd into the mount: no 1 GiB file on local disk.
            var script = "set -o pipefail; head -c 1073741824 /dev/urandom | tee >(sha256sum | cut -d' ' -f1 > \"$2\") | dd of=\"$1\" bs=4M iflag=fullblock status=none";
            (await Tool.RunAsync("bash", ["-c", script, "bash", mount.Path("big.bin"), temp.Combine("in.sha256")], TimeSpan.FromMinutes(4))).EnsureSuccess("dd into the mount");
            written = (await File.ReadAllTextAsync(temp.Combine("in.sha256"))).Trim();
        }
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "big.bin", out var stored));
        Assert.Equal(1L << 30, stored.Data.LongLength);
        Assert.Equal(Crc32C.Compute(stored.Data), stored.Crc32c);
        Assert.Equal(written, Convert.ToHexStringLower(SHA256.HashData(stored.Data)));

        await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache2")))
        {
            var read = (await Tool.BashAsync("set -o pipefail; dd if=\"$1\" bs=4M status=none | sha256sum | cut -d' ' -f1", mount.Path("big.bin"))).EnsureSuccess("dd out of the mount");
            Assert.Equal(written, read.Stdout.Trim());
        }
    }
}
