using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Storage;
using Octue.Mount.Tests.Caching;
using Octue.Mount.Tests.Octue;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>A folder's listing: the next page is on its way while a page is added to the listing.</summary>
public sealed class DirectoryListerTests
{
    private static ObjectInfo Object(string name) => new() { Bucket = "b", Name = name, Size = 1, Generation = 1 };

    [Fact]
    public async Task The_next_page_is_asked_for_before_the_page_before_it_is_added()
    {
        using var metrics = new VfsMetrics();
        long hidden = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == "octue.mount.vfs.hidden_names")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref hidden, value));
        listener.Start();
        // Page 1 holds a name too long to be a file name: adding that page to the listing counts it hidden.
        var store = new TwoPages(
            new ObjectListing([Object("d/" + new string('x', 300)), Object("d/first")], [], "page-2"),
            new ObjectListing([Object("d/second")], ["d/sub/"], null),
            () => Interlocked.Read(ref hidden));

        var listing = await new DirectoryLister(store, metrics, NullLogger.Instance).ListAsync("b", "d/", CancellationToken.None);

        Assert.Equal(0, store.HiddenWhenPage2WasAskedFor);
        Assert.Equal(1, Interlocked.Read(ref hidden));
        Assert.Equal(["first", "second", "sub"], listing.Entries.Select(e => e.Name).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task A_page_that_fails_fails_the_listing()
    {
        using var metrics = new VfsMetrics();
        var store = new TwoPages(new ObjectListing([Object("d/first")], [], "page-2"), null, () => 0);

        await Assert.ThrowsAsync<IOException>(() => new DirectoryLister(store, metrics, NullLogger.Instance).ListAsync("b", "d/", CancellationToken.None));
    }

    /// <summary>Answers the first page at once and the second after a yield (or fails it); notes the hidden count when the second is asked for.</summary>
    private sealed class TwoPages(ObjectListing first, ObjectListing? second, Func<long> hidden) : DelegatingObjectStore(new MemoryObjectStore())
    {
        public long? HiddenWhenPage2WasAskedFor { get; private set; }

        public override async Task<ObjectListing> ListAsync(string bucket, ListRequest request, CancellationToken cancellationToken = default)
        {
            if (request.PageToken is null)
                return first;
            HiddenWhenPage2WasAskedFor = hidden();
            await Task.Yield();
            return second ?? throw new IOException("page 2 failed");
        }
    }
}
