using System.Text;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>Octue tags and labels as extended attributes, read with getfattr and written with setfattr.</summary>
[Collection(MountCollection.Name)]
public sealed class XattrTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task Getfattr_shows_tags_and_labels_and_setfattr_writes_a_tag_the_client_sees()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("xattr");
        var metadata = new DatafileMetadata
        {
            Id = "a10603a0-194c-40d0-a7b7-fcf9952c3690",
            Tags = TagDict.Parse("{\"manufacturer\": \"Vestas\", \"height\": 110.5}"),
            Labels = new LabelSet(["met-mast", "wind"]),
        };
        fixture.Emulator.Store.PutObject(bucket, "data/mast.csv", "a,b\n1,2\n"u8.ToArray(), metadata.ToObjectMetadata(), "text/csv");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));
        var file = mount.Path("data", "mast.csv");

        var dump = (await Tool.RunAsync("getfattr", "-d", "-m", "user.octue", "--absolute-names", file)).EnsureSuccess("getfattr -d").Stdout;
        Assert.Contains("user.octue.id=\"a10603a0-194c-40d0-a7b7-fcf9952c3690\"", dump);
        Assert.Contains("user.octue.tags.manufacturer=", dump);
        Assert.Contains("Vestas", dump);
        Assert.Contains("user.octue.labels=", dump);
        Assert.Contains("met-mast", dump);

        var all = (await Tool.RunAsync("getfattr", "-d", "-m", "-", "--absolute-names", file)).EnsureSuccess("getfattr -m -").Stdout;
        Assert.Contains("user.gcs.crc32c", all);

        var missing = await Tool.RunAsync("getfattr", "-n", "user.octue.tags.nothing", "--absolute-names", file);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("No such attribute", missing.Stderr);

        using var client = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = fixture.Emulator.HostAndPort });
        async Task<string?> SiteAsync()
        {
            var info = await client.StatAsync(bucket, "data/mast.csv");
            Assert.NotNull(info);
            var tags = DatafileMetadata.FromObjectMetadata(info.Metadata).Tags;
            Assert.Equal("Vestas", tags["manufacturer"]!.GetValue<string>());
            return tags["site"]?.GetValue<string>();
        }

        // The form the README shows, exactly as typed in a shell: setfattr takes the quotes off and sends north,
        // which the mount reads as a JSON string.
        (await Tool.BashAsync("setfattr -n user.octue.tags.site -v '\"north\"' \"$1\"", file)).EnsureSuccess("setfattr -v '\"north\"'");
        Assert.Equal("north", await SiteAsync());

        // setfattr strips one level of double quotes, so the JSON text "south" itself is written as "\"south\"".
        (await Tool.RunAsync("setfattr", "-n", "user.octue.tags.site", "-v", "\"\\\"south\\\"\"", file)).EnsureSuccess("setfattr");
        Assert.Equal("south", await SiteAsync());

        var invalid = await Tool.RunAsync("setfattr", "-n", "user.octue.tags.Bad-Name", "-v", "1", file);
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("Invalid argument", invalid.Stderr);

        var back = (await Tool.RunAsync("getfattr", "-n", "user.octue.tags.site", "--only-values", "--absolute-names", file)).EnsureSuccess("getfattr -n").Stdout;
        Assert.Equal("\"south\"", back.Trim());
        Assert.Equal("a,b\n1,2\n", Encoding.UTF8.GetString(fixture.Emulator.Store.TryGetObject(bucket, "data/mast.csv", out var stored) ? stored.Data : []));
    }

    [Fact]
    public async Task Hostile_tag_names_and_metadata_keys_never_become_other_xattr_names_for_getfattr_or_rsync()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("xattr-hostile");
        fixture.Emulator.Store.PutObject(bucket, "in/hostile.bin", "payload"u8.ToArray(), new Dictionary<string, string>
        {
            ["octue__tags"] = "{\"x\\u0000security.capability\": 1, \"y\\u0000trusted.evil\": 2, \"good\": 3}",
            ["k\0trusted.meta"] = "v",
            ["line\nbreak"] = "v",
            ["plain_key"] = "kept",
        });
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));
        var file = mount.Path("in", "hostile.bin");

        // Names only (-m - matches every namespace): each one is the mount's own, under user.
        var names = (await Tool.RunAsync("getfattr", "-m", "-", "--absolute-names", file)).EnsureSuccess("getfattr -m -").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.StartsWith('#')).ToList();
        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.StartsWith("user.", name));
        Assert.Contains("user.octue.tags.good", names);
        Assert.Contains("user.gcs.meta.plain_key", names);
        (await Tool.RunAsync("getfattr", "-d", "-m", "-", "--absolute-names", file)).EnsureSuccess("getfattr -d -m -");

        // rsync -aX as root copies every namespace it is given: the copy must carry user.* names only.
        var copy = temp.Combine("copy");
        (await Tool.RunAsync("rsync", "-aX", mount.Path("in") + "/", copy + "/")).EnsureSuccess("rsync -aX");
        Assert.Equal("payload", await File.ReadAllTextAsync(Path.Combine(copy, "hostile.bin")));
        var copied = (await Tool.RunAsync("getfattr", "-m", "-", "--absolute-names", Path.Combine(copy, "hostile.bin"))).EnsureSuccess("getfattr copy").Stdout;
        Assert.DoesNotContain("security.", copied);
        Assert.DoesNotContain("trusted.", copied);
        Assert.Contains("user.octue.tags.good", copied);

        var log = mount.ReadLog();
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(log, "hostile.bin: .* not shown as extended attributes"));
    }

    [Fact]
    public async Task Setfattr_of_a_content_type_with_a_line_break_is_refused_and_the_object_stays_readable()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("xattr-crlf");
        fixture.Emulator.Store.PutObject(bucket, "doc.txt", "readable\n"u8.ToArray(), contentType: "text/plain");
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));
        var file = mount.Path("doc.txt");

        var refused = await Tool.BashAsync("setfattr -n user.gcs.content_type -v \"$(printf 'text/plain\\r\\nX-Injected: 1')\" \"$1\"", file);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Invalid argument", refused.Stderr);
        var metadata = await Tool.BashAsync("setfattr -n user.gcs.meta.note -v \"$(printf 'one\\ntwo')\" \"$1\"", file);
        Assert.Contains("Invalid argument", metadata.Stderr);

        Assert.True(fixture.Emulator.Store.TryGetObject(bucket, "doc.txt", out var stored));
        Assert.Equal("text/plain", stored.ContentType);
        Assert.Equal("readable\n", (await Tool.RunAsync("cat", file)).EnsureSuccess("cat").Stdout);
        (await Tool.RunAsync("setfattr", "-n", "user.gcs.content_type", "-v", "text/markdown", file)).EnsureSuccess("setfattr of a plain content type");
    }

    [Fact]
    public async Task Ls_l_asks_for_security_and_acl_xattrs_once_per_listing_not_once_per_file()
    {
        using var temp = new TempDirectory();
        var bucket = fixture.NewBucket("xattr-ls");
        const int Files = 200;
        for (var i = 0; i < Files; i++)
            fixture.Emulator.Store.PutObject(bucket, $"many/f{i:D4}", "x"u8.ToArray());
        await using var mount = await MountProcess.StartAsync(fixture.Emulator.HostAndPort, $"gs://{bucket}", temp.Combine("mnt"), temp.Combine("cache"));

        var listing = (await Tool.RunAsync("ls", "-l", mount.Path("many"))).EnsureSuccess("ls -l").Stdout;
        Assert.Equal(Files, listing.Split('\n').Count(line => line.Contains(" f0")));
        // Names the mount never has are refused as "not supported", and user.* attributes still work.
        var selinux = await Tool.RunAsync("getfattr", "-n", "security.selinux", "--absolute-names", mount.Path("many", "f0000"));
        Assert.Contains("Operation not supported", selinux.Stderr);
        var acl = await Tool.RunAsync("getfattr", "-n", "system.posix_acl_access", "--absolute-names", mount.Path("many", "f0000"));
        Assert.Contains("Operation not supported", acl.Stderr);
        var size = (await Tool.RunAsync("getfattr", "-n", "user.gcs.size", "--only-values", "--absolute-names", mount.Path("many", "f0000"))).EnsureSuccess("getfattr user.gcs.size").Stdout;
        Assert.Equal("1", size.Trim());

        var requests = await mount.StopAndCountRequestsAsync();
        // ls -l asks security.selinux and system.posix_acl_access of each file; an answer of "not supported" is
        // remembered for the whole file system, where "no such attribute" (2 per file) was not. The three getfattr
        // calls above add one each.
        Assert.InRange(requests.GetValueOrDefault("GETXATTR"), 3, 3 + 4);
    }
}

