using Octue.Mount.Storage;
using Octue.Mount.Tests.Octue;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// Before each of the first <c>times</c> uploads, another client PATCHes the object's metadata: the change lands
/// after the uploader read the metadata and before its bytes arrive, the window a content upload can lose it in.
/// </summary>
internal sealed class MetadataChangingStore(IObjectStore inner, IObjectStore otherClient, int times) : DelegatingObjectStore(inner)
{
    private int _uploads;
    private int _patches;

    public int Uploads => Volatile.Read(ref _uploads);

    public int Patches => Volatile.Read(ref _patches);

    public override async Task<ObjectInfo> UploadAsync(string bucket, string name, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _uploads);
        if (_patches < times && await otherClient.StatAsync(bucket, name, cancellationToken) is not null)
        {
            var patch = Interlocked.Increment(ref _patches);
            await otherClient.PatchMetadataAsync(bucket, name, new MetadataPatch
            {
                Metadata = new Dictionary<string, string?>
                {
                    ["octue__tags"] = $"{{\"patch\": {patch}}}",
                    ["keep"] = null,
                    ["added"] = "elsewhere",
                },
            }, cancellationToken: cancellationToken);
        }

        return await Inner.UploadAsync(bucket, name, content, options, cancellationToken);
    }
}
