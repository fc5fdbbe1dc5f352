using System.Diagnostics;
using System.Security.Cryptography;
using Octue.Mount.Emulator;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// A file written with dd into a real mount streams to GCS while dd still holds it open: its bytes appear only when
/// dd's fsync returns, exact (sha256); a kill -9 of the daemon in the middle publishes none of them, and the next
/// mount uploads what was staged, as after any crash. (dd closes a duplicate of its descriptor right after opening,
/// which saves the new file empty first: the upload count includes that one.)
/// </summary>
[Collection(MountCollection.Name)]
public sealed class StreamedWriteMountTests(EmulatorFixture fixture)
{
    private const int MiB = 1 << 20;

    private long Uploads => fixture.Emulator.Requests.Count(RequestKind.Upload);

    /// <summary>dd from its standard input into <paramref name="target"/>, 1 MiB blocks, fsync before it exits.</summary>
    private static Process StartDd(string target)
    {
        var start = new ProcessStartInfo("dd")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp",
        };
        foreach (var argument in new[] { $"of={target}", "bs=1M", "iflag=fullblock", "conv=fsync", "status=none" })
            start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }

    private async Task WaitForAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 300 && !condition(); i++)
            await Task.Delay(50);
        Assert.True(condition(), what);
    }

    /// <summary>The object's bytes; none when there is no object.</summary>
    private byte[] ObjectBytes(string bucket, string name) =>
        fixture.Emulator.Store.TryGetObject(bucket, name, out var stored) ? stored.Data : [];

    private static long StagedBytes(string cache) =>
        Directory.Exists(Path.Combine(cache, "staging"))
            ? Directory.GetFiles(Path.Combine(cache, "staging"), "*.data").Sum(path => new FileInfo(path).Length)
            : 0;

    [Fact]
    public async Task Dd_into_a_new_file_streams_while_it_is_open_and_the_object_is_exact_when_fsync_returns()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("ddstream");
        var data = RandomNumberGenerator.GetBytes(20 * MiB + 12345);
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--write-chunk-size", "2M");
        var before = Uploads;
        using var dd = StartDd(mount.Path("big.bin"));
        try
        {
            await dd.StandardInput.BaseStream.WriteAsync(data.AsMemory(0, 10 * MiB));
            await dd.StandardInput.BaseStream.FlushAsync();
            // dd still holds the file open: the session opened and chunks went out, and none of their bytes is
            // published (the object is the empty file dd's first close of a duplicate descriptor saved).
            await WaitForAsync(() => Uploads - before >= 4, $"only {Uploads - before} upload requests while dd wrote 10 MiB");
            Assert.Empty(ObjectBytes(bucket, "big.bin"));

            await dd.StandardInput.BaseStream.WriteAsync(data.AsMemory(10 * MiB));
            dd.StandardInput.Close();
            await dd.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(dd.ExitCode == 0, $"dd failed: {await dd.StandardError.ReadToEndAsync()}");
        }
        finally
        {
            if (!dd.HasExited)
                dd.Kill();
        }

        var expected = Convert.ToHexStringLower(SHA256.HashData(data));
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "big.bin", out var stored));
        Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(stored.Data)));
        var read = (await Tool.RunAsync("sha256sum", mount.Path("big.bin"))).EnsureSuccess("sha256sum through the mount");
        Assert.StartsWith(expected, read.Stdout);
    }

    [Fact]
    public async Task Kill_9_of_the_daemon_mid_stream_publishes_nothing_and_the_next_mount_uploads_what_was_staged()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("ddcrash");
        var mountPoint = temp.Combine("mnt");
        var cache = temp.Combine("cache");
        var data = RandomNumberGenerator.GetBytes(12 * MiB);
        var first = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache, "--write-chunk-size", "2M");
        Process? dd = null;
        try
        {
            var before = Uploads;
            dd = StartDd(first.Path("partial.bin"));
            await dd.StandardInput.BaseStream.WriteAsync(data);
            await dd.StandardInput.BaseStream.FlushAsync();
            await WaitForAsync(() => StagedBytes(cache) == data.Length, $"the staging folder holds {StagedBytes(cache)} bytes, not {data.Length}");
            await WaitForAsync(() => Uploads - before >= 4, $"only {Uploads - before} upload requests while dd wrote");

            await first.KillHardAsync();
            dd.Kill();
            await dd.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Empty(ObjectBytes(bucket, "partial.bin"));
        }
        finally
        {
            if (dd is { HasExited: false })
                dd.Kill();
            dd?.Dispose();
            await first.DisposeAsync();
        }

        Assert.Empty(ObjectBytes(bucket, "partial.bin"));
        // The next mount on the same cache folder uploads the staged bytes, as after any crash.
        await using var second = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "partial.bin", out var recovered));
        Assert.Equal(data, recovered.Data);
    }
}
