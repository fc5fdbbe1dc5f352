using System.Text;
using Octue.Mount.Emulator;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>
/// Uploads that fail under a real mount: a file whose upload fails for now stays listed, and `rm` removes it for
/// good (it does not come back at the next mount); an upload refused for good keeps the bytes in conflicts/ once.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class FailedUploadMountTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task A_file_whose_upload_failed_stays_listed_and_rm_removes_it_for_good()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("pending");
        var mountPoint = temp.Combine("mnt");
        var cache = temp.Combine("cache");
        var source = temp.Combine("report.txt");
        await File.WriteAllTextAsync(source, "quarterly report\n");
        try
        {
            await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache))
            {
                // Every attempt (the first and the store's six retries) of the uploads at flush and at release answered 503.
                fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Bucket = bucket, RequestKind = RequestKind.Upload, Times = 14 });
                var copied = await Tool.RunAsync("cp", source, mount.Path("report.txt"));
                Assert.NotEqual(0, copied.ExitCode);
                Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "report.txt", out _));

                Assert.Equal("report.txt\n", (await Tool.RunAsync("ls", mount.MountPoint)).EnsureSuccess("ls").Stdout);
                Assert.Contains(" 17 ", (await Tool.RunAsync("ls", "-l", mount.Path("report.txt"))).EnsureSuccess("ls -l").Stdout);
                (await Tool.RunAsync("rm", mount.Path("report.txt"))).EnsureSuccess("rm of the file whose upload failed");
                Assert.NotEqual(0, (await Tool.RunAsync("ls", mount.Path("report.txt"))).ExitCode);
                Assert.Contains("is dropped", mount.ReadLog());
            }

            var uploads = fixture.Emulator.Requests.Count(RequestKind.Upload);
            await using (var next = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache))
            {
                Assert.Equal("", (await Tool.RunAsync("ls", next.MountPoint)).EnsureSuccess("ls after the restart").Stdout);
            }

            Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "report.txt", out _));
            Assert.Equal(uploads, fixture.Emulator.Requests.Count(RequestKind.Upload));
        }
        finally
        {
            fixture.Emulator.Faults.Clear();
        }
    }

    [Fact]
    public async Task An_upload_refused_for_good_fails_the_close_and_keeps_the_bytes_in_conflicts_once()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("refused");
        var mountPoint = temp.Combine("mnt");
        var cache = temp.Combine("cache");
        var source = temp.Combine("denied.txt");
        await File.WriteAllTextAsync(source, "not allowed here\n");
        try
        {
            await using (var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache))
            {
                fixture.Emulator.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 403, Bucket = bucket, RequestKind = RequestKind.Upload, Times = 1000 });
                var copied = await Tool.RunAsync("cp", source, mount.Path("denied.txt"));
                Assert.NotEqual(0, copied.ExitCode);
                Assert.Contains("Permission denied", copied.Stderr);
                Assert.Contains("will not be retried", mount.ReadLog());
            }

            var kept = Directory.GetFiles(Path.Combine(cache, "conflicts"), "*denied.txt", SearchOption.AllDirectories);
            Assert.Equal("not allowed here\n", await File.ReadAllTextAsync(Assert.Single(kept)));
            fixture.Emulator.Faults.Clear();
            var uploads = fixture.Emulator.Requests.Count(RequestKind.Upload);
            await using (await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", mountPoint, cache))
            {
            }

            Assert.Equal(uploads, fixture.Emulator.Requests.Count(RequestKind.Upload));
            Assert.False(fixture.Emulator.Store.TryGetObject(bucket, "denied.txt", out _));
        }
        finally
        {
            fixture.Emulator.Faults.Clear();
        }
    }
}
