using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

/// <summary>Reports a wrong CRC32C for every upload, as if the server had stored other bytes than were sent.</summary>
internal sealed class MisreportingUploadStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    public override async Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var stored = await Inner.UploadAsync(bucket, name, content, options, cancellationToken);
        return stored with { Crc32c = stored.Crc32c ^ 0x1u };
    }
}
