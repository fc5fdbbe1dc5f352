using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

/// <summary>Counts how many uploads are in flight at once.</summary>
internal sealed class ConcurrencyTrackingStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    private int _inFlight;
    private int _maximum;

    public int MaximumConcurrentUploads => Volatile.Read(ref _maximum);

    public override async Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maximum)) && Interlocked.CompareExchange(ref _maximum, now, seen) != seen) { }
        try
        {
            return await Inner.UploadAsync(bucket, name, content, options, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
