using Microsoft.Extensions.Logging;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Lists one directory of a bucket with a single paged, delimited listing (1,000 entries a page) and applies
/// <see cref="FileNameRule"/>: hidden names are logged, a file that collides with a directory is hidden. The listing
/// includes the sub-directories' <c>dir/</c> placeholders, so their attributes need no stat either.
/// </summary>
internal sealed class DirectoryLister
{
    public const int PageSize = ListRequest.MaxPageSize;
    private readonly LoggedOnce _logged = new();
    private readonly IObjectStore _store;
    private readonly VfsMetrics _metrics;
    private readonly ILogger _logger;

    public DirectoryLister(IObjectStore store, VfsMetrics metrics, ILogger logger)
    {
        _store = store;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<DirectoryListing> ListAsync(string bucket, string prefix, CancellationToken ct)
    {
        var builder = NewBuilder(bucket, prefix);
        string? token = null;
        do
        {
            var page = await _store.ListAsync(bucket, new ListRequest
            {
                Prefix = prefix.Length == 0 ? null : prefix,
                Delimiter = "/",
                PageSize = PageSize,
                PageToken = token,
                IncludeTrailingDelimiter = true,
            }, ct).ConfigureAwait(false);

            foreach (var obj in page.Objects)
            {
                builder.AddObject(obj);
            }

            foreach (var sub in page.Prefixes)
            {
                builder.AddPrefix(sub);
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));

        return builder.Build();
    }

    /// <summary>A builder of one directory's listing from what a delimited listing of it returns, with this lister's rule and logging.</summary>
    public FolderListingBuilder NewBuilder(string bucket, string prefix) => new(bucket, prefix, Hidden);

    /// <summary>A folder of a bucket; empty when the bucket does not exist (its listed files are then missing files).</summary>
    public async Task<DirectoryListing> ListOrEmptyAsync(string bucket, string prefix, CancellationToken ct)
    {
        try
        {
            return await ListAsync(bucket, prefix, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return DirectoryListing.Empty();
        }
    }

    private void Hidden(string bucket, string name, string reason)
    {
        _metrics.HiddenName();
        // Log each hidden name once per mount (bounded), not at every listing.
        if (!_logged.First(bucket, name))
        {
            return;
        }

        _logger.LogWarning("Object gs://{Bucket}/{Name} is not shown because {Reason}", bucket, name, reason);
    }
}
