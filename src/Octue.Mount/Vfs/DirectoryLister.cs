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

    /// <summary>
    /// Lists the folder whole. Each page's token is in the page before it, so the pages come one after the other; but
    /// the next page is asked for as soon as a page has arrived, and the page is added to the listing while the next
    /// one is on its way (the store's JSON and this builder's work overlap the server's).
    /// </summary>
    public async Task<DirectoryListing> ListAsync(string bucket, string prefix, CancellationToken ct)
    {
        var builder = NewBuilder(bucket, prefix);
        Task<ObjectListing>? next = Page(bucket, prefix, null, ct);
        while (next is not null)
        {
            var page = await next.ConfigureAwait(false);
            next = string.IsNullOrEmpty(page.NextPageToken) ? null : Page(bucket, prefix, page.NextPageToken, ct);
            try
            {
                foreach (var obj in page.Objects)
                {
                    builder.AddObject(obj);
                }

                foreach (var sub in page.Prefixes)
                {
                    builder.AddPrefix(sub);
                }
            }
            catch when (next is not null)
            {
                // The page on its way is not wanted any more; observe its outcome so its failure is not left unseen.
                _ = next.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw;
            }
        }

        return builder.Build();
    }

    private Task<ObjectListing> Page(string bucket, string prefix, string? token, CancellationToken ct) =>
        _store.ListAsync(bucket, new ListRequest
        {
            Prefix = prefix.Length == 0 ? null : prefix,
            Delimiter = "/",
            PageSize = PageSize,
            PageToken = token,
            IncludeTrailingDelimiter = true,
        }, ct);

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
