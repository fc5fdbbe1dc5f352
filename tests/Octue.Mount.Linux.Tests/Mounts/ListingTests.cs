using Octue.Mount.Emulator;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>Large directories are listed from one listing that carries every entry's attributes.</summary>
[Collection(MountCollection.Name)]
public sealed class ListingTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task Ls_l_of_5000_objects_costs_a_few_list_requests_and_no_per_object_stat()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("ls");
        var content = "x"u8.ToArray();
        for (var i = 0; i < 5000; i++)
            fixture.Emulator.Store.PutObject(bucket, $"many/object-{i:0000}.txt", content);
        // Attributes are trusted for metadata_ttl (1 s by default), after which the kernel asks again. What matters
        // is not how long the whole `ls -l` takes but how long each entry waits between the READDIRPLUS that brought
        // it and ls's lstat of it: measured at the default TTL, runs of 0.5 to 9 s (getdents delayed by strace up to
        // 0.7 s) cost the same 6 lists and 1 stat, while a 1.5 s delay made every entry expire and cost a stat and
        // a list of its own (5,001 and 5,006). That wait is the scheduler's to decide on a shared machine, so the
        // TTL is raised to measure the listing itself rather than the machine's load.
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--metadata-ttl", "30");

        var requests = fixture.Emulator.Requests;
        requests.Reset();
        // Listed from inside, as a user in that folder does: the 5,000 lstat calls then resolve relative to it.
        var ls = (await Tool.BashAsync("cd \"$1\" && ls -l | tail -n +2 | wc -l", mount.Path("many"))).EnsureSuccess("ls -l");
        Assert.Equal("5000", ls.Stdout.Trim());

        var lists = requests.Count(RequestKind.ListObjects);
        var stats = requests.Count(RequestKind.GetObject);
        Assert.True(lists is > 0 and <= 6, $"ls -l cost {lists} list requests and {stats} object metadata requests");
        Assert.True(stats <= 1, $"ls -l cost {stats} object metadata requests (a per-object stat would be 5000)");
        Assert.Equal(0, requests.Count(RequestKind.Download));
    }
}
