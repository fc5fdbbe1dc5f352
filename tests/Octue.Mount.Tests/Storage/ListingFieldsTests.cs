using System.Text;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

/// <summary>
/// A listing asks only for the fields the mount reads (<see cref="ObjectInfoMapper.ListingFields"/>): the page is
/// smaller, and a listed object is still, field for field, the object a stat returns.
/// </summary>
public sealed class ListingFieldsTests(StoreFixture fixture) : IClassFixture<StoreFixture>
{
    [Fact]
    public async Task A_listed_object_carries_every_field_a_stat_gives()
    {
        string bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "dir/a.txt", Encoding.UTF8.GetBytes("listed"),
            new Dictionary<string, string> { ["k"] = "v", ["goog-reserved-posix-mode"] = "600" }, "text/plain");
        fixture.Emulator.Store.PutObject(bucket, "dir/b.bin", new byte[1000]);

        ObjectListing listing = await fixture.Store.ListAsync(bucket, new ListRequest { Prefix = "dir/", Delimiter = "/" });

        Assert.Equal(2, listing.Objects.Count);
        foreach (ObjectInfo listed in listing.Objects)
        {
            ObjectInfo stat = (await fixture.Store.StatAsync(bucket, listed.Name))!;
            Assert.Equal(stat.Bucket, listed.Bucket);
            Assert.Equal(stat.Size, listed.Size);
            Assert.Equal(stat.Generation, listed.Generation);
            Assert.Equal(stat.Metageneration, listed.Metageneration);
            Assert.Equal(stat.Crc32c, listed.Crc32c);
            Assert.Equal(stat.Md5, listed.Md5);
            Assert.Equal(stat.ContentType, listed.ContentType);
            Assert.Equal(stat.Metadata, listed.Metadata);
            Assert.Equal(stat.Updated, listed.Updated);
            Assert.Equal(stat.Created, listed.Created);
            Assert.Equal(stat.StorageClass, listed.StorageClass);
            Assert.Equal(stat.ETag, listed.ETag);
        }
    }

    [Fact]
    public async Task A_listing_page_leaves_out_the_fields_the_mount_does_not_read()
    {
        string bucket = fixture.NewBucket();
        fixture.Emulator.Store.PutObject(bucket, "f/one", new byte[10]);
        fixture.Emulator.Store.PutObject(bucket, "f/sub/two", new byte[10]);
        var bodies = new List<string>();
        using GcsObjectStore store = fixture.CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            MaxRetries = o.MaxRetries,
            InitialBackoff = o.InitialBackoff,
            MaxBackoff = o.MaxBackoff,
            HttpHandlerWrapper = inner => new RecordingHandler(inner, bodies),
        });

        ObjectListing listing = await store.ListAsync(bucket, new ListRequest { Prefix = "f/", Delimiter = "/", PageSize = 1 });

        Assert.Equal("f/one", Assert.Single(listing.Objects).Name);
        Assert.NotNull(listing.NextPageToken);
        string page = Assert.Single(bodies);
        Assert.Contains("\"name\"", page, StringComparison.Ordinal);
        Assert.Contains("\"nextPageToken\"", page, StringComparison.Ordinal);
        foreach (string unread in new[] { "selfLink", "mediaLink", "\"id\"", "\"kind\"", "timeStorageClassUpdated" })
            Assert.DoesNotContain(unread, page, StringComparison.Ordinal);
        ObjectListing rest = await store.ListAsync(bucket, new ListRequest { Prefix = "f/", Delimiter = "/", PageToken = listing.NextPageToken });
        Assert.Equal(["f/sub/"], rest.Prefixes);
    }

    private sealed class RecordingHandler(HttpMessageHandler inner, List<string> bodies) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.EndsWith("/o", StringComparison.Ordinal))
            {
                string body = await response.Content.ReadAsStringAsync(cancellationToken);
                lock (bodies)
                    bodies.Add(body);
                var copy = new StringContent(body, Encoding.UTF8, "application/json");
                response.Content = copy;
            }
            return response;
        }
    }
}
