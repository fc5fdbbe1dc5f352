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
    [Fact]
    public async Task Find_over_a_tree_of_folders_lists_the_folders_together_and_finds_every_file()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("find");
        var expected = new List<string>();
        for (var d = 0; d < 30; d++)
        {
            for (var f = 0; f < 40; f++)
            {
                var name = $"tree/d{d:00}/f{f:00}";
                fixture.Emulator.Store.PutObject(bucket, name, new byte[1 + (f % 3)]);
                expected.Add(name);
            }
        }

        // A nested folder, a folder known only by its placeholder, a folder winning over a file of its name, and a
        // name no file system can show: each folder must show what its own listing would.
        fixture.Emulator.Store.PutObject(bucket, "tree/d04/sub/deep/x", "n"u8.ToArray());
        expected.Add("tree/d04/sub/deep/x");
        fixture.Emulator.Store.PutObject(bucket, "tree/d05/made/", []);
        fixture.Emulator.Store.PutObject(bucket, "tree/d07/both", "hidden"u8.ToArray());
        fixture.Emulator.Store.PutObject(bucket, "tree/d07/both/inner", "i"u8.ToArray());
        expected.Add("tree/d07/both/inner");
        fixture.Emulator.Store.PutObject(bucket, "tree/d09/./dot", "hidden"u8.ToArray());
        // The walk takes longer than the default TTL on a loaded machine; the listing is what is measured here.
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"),
            "--metadata-ttl", "30");

        var requests = fixture.Emulator.Requests;
        requests.Reset();
        var found = (await Tool.BashAsync("cd \"$1\" && find tree -type f -size +0 | LC_ALL=C sort", mount.Path())).EnsureSuccess("find").Stdout;
        expected.Sort(StringComparer.Ordinal);
        Assert.Equal(expected, found.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("made", (await Tool.RunAsync("ls", mount.Path("tree", "d05"))).EnsureSuccess("ls d05").Stdout);

        // The tree's lookup and listing, the first folder's own listing, one flat listing of 1,160-odd names (2 pages)
        // for the other 29 folders, and the four folders inside them (d04/sub, d04/sub/deep, d05/made, d07/both)
        // each its own: 9, where a listing per folder would cost 36.
        var lists = requests.Count(RequestKind.ListObjects);
        Assert.True(lists <= 9, $"find cost {lists} list requests");
        Assert.Equal(0, requests.Count(RequestKind.GetObject));
        Assert.Equal(0, requests.Count(RequestKind.Download));
    }
}
