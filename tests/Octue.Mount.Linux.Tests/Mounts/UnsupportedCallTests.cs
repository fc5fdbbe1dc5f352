using System.Text;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// Calls the mount answers with a sticky ENOSYS or with EOPNOTSUPP, as programs see them: the kernel's own fallback
/// where it has one (lseek, copy_file_range), a plain "not supported" where it has none (O_TMPFILE, fallocate).
/// </summary>
[Collection(MountCollection.Name)]
public sealed class UnsupportedCallTests(EmulatorFixture fixture)
{
    private const string Probe = """
        import os, sys
        d = sys.argv[1]
        def attempt(what, call):
            try:
                print(what, "ok", call())
            except OSError as e:
                print(what, os.strerror(e.errno))
        # Twice: the second answer comes from the kernel alone once the first was ENOSYS.
        for _ in range(2):
            attempt("tmpfile", lambda: os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o600))
        source = os.open(os.path.join(d, "source.txt"), os.O_RDONLY)
        attempt("seek_data", lambda: os.lseek(source, 0, os.SEEK_DATA))
        attempt("seek_hole", lambda: os.lseek(source, 0, os.SEEK_HOLE))
        os.lseek(source, 0, os.SEEK_SET)
        target = os.open(os.path.join(d, "copy.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        attempt("copy_file_range", lambda: os.copy_file_range(source, target, 1000))
        os.close(target)
        os.close(source)
        """;

    [Fact]
    public async Task Lseek_and_copy_file_range_fall_back_in_the_kernel_while_tmpfile_and_fallocate_are_not_supported()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("unsupported");
        fixture.Emulator.Store.PutObject(bucket, "source.txt", "twelve bytes"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));

        var lines = (await Tool.RunAsync("/usr/bin/python3", "-c", Probe, mount.MountPoint)).EnsureSuccess("python3").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["tmpfile Operation not supported", "tmpfile Operation not supported", "seek_data ok 0", "seek_hole ok 12", "copy_file_range ok 12"], lines);
        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "copy.txt", out var copy));
        Assert.Equal("twelve bytes", Encoding.UTF8.GetString(copy.Data));

        var fallocate = await Tool.RunAsync("fallocate", "-l", "4096", mount.Path("preallocated.bin"));
        Assert.NotEqual(0, fallocate.ExitCode);
        Assert.Contains("Operation not supported", fallocate.Stderr);
    }
}
