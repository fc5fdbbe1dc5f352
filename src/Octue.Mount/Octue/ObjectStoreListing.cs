using Octue.Mount.Storage;

namespace Octue.Mount.Octue;

/// <summary>Recursive listing across pages.</summary>
internal static class ObjectStoreListing
{
    public static async Task<List<ObjectInfo>> ListAllAsync(IObjectStore store, string bucket, string prefix, CancellationToken cancellationToken)
    {
        var objects = new List<ObjectInfo>();
        string? pageToken = null;
        do
        {
            var page = await store.ListAsync(bucket, new ListRequest { Prefix = prefix, PageToken = pageToken, PageSize = 1000 }, cancellationToken)
                .ConfigureAwait(false);
            objects.AddRange(page.Objects);
            pageToken = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(pageToken));
        return objects;
    }

    public static async Task<string> ReadTextAsync(IObjectStore store, ObjectInfo info, CancellationToken cancellationToken)
    {
        await using var stream = await store.OpenReadAsync(info.Bucket, info.Name, generation: info.Generation, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }
}
