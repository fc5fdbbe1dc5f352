using Microsoft.Extensions.Logging;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Fills the listings of many sibling folders with one flat listing of their parent, when a walk (<c>find</c>,
/// <c>cp -r</c>, <c>du</c>) reads them one after another: a listing without a delimiter returns every folder's
/// objects in name order, a thousand a page, where a listing per folder costs at least a request each (100 folders
/// of 100 objects: 10 requests instead of 100). Each folder's listing is cached as soon as the flat listing has
/// passed its last name, and whoever asks for it meanwhile waits for it rather than listing it again. The flat
/// listing stops after <see cref="MaxPages"/> pages, or when one folder spans more than
/// <see cref="MaxPagesPerFolder"/> pages (a deep or large folder, for which its own delimited listing is cheaper);
/// every folder it did not complete is then listed the ordinary way.
/// </summary>
internal sealed class SubfolderPrefetch
{
    /// <summary>Pages one prefetch reads at most (a walk that goes on starts the next one where this one stopped).</summary>
    public const int MaxPages = 10;

    /// <summary>Pages one folder may span before the prefetch leaves it, and the folders after it, to their own listings.</summary>
    public const int MaxPagesPerFolder = 2;

    private readonly IObjectStore _store;
    private readonly DirectoryLister _lister;
    private readonly ILogger _logger;

    public SubfolderPrefetch(IObjectStore store, DirectoryLister lister, ILogger logger)
    {
        _store = store;
        _lister = lister;
        _logger = logger;
    }

    /// <summary>
    /// Lists <paramref name="parentPrefix"/> flat from the first of <paramref name="folders"/> on (prefixes of its
    /// sub-folders, in name order) and hands each folder's listing, once complete, to its slot; every slot is
    /// completed, with null for a folder it did not complete (list that one the ordinary way).
    /// </summary>
    public async Task RunAsync(string bucket, string parentPrefix, IReadOnlyList<string> folders,
        IReadOnlyDictionary<string, TaskCompletionSource<DirectoryListing?>> slots)
    {
        try
        {
            await Task.Yield();
            FolderListingBuilder? current = null;
            var currentSince = 0;
            string? token = null;
            for (var page = 1; page <= MaxPages; page++)
            {
                var listing = await _store.ListAsync(bucket, new ListRequest
                {
                    Prefix = parentPrefix.Length == 0 ? null : parentPrefix,
                    StartOffset = folders[0],
                    PageSize = DirectoryLister.PageSize,
                    PageToken = token,
                }, CancellationToken.None).ConfigureAwait(false);

                foreach (var obj in listing.Objects)
                {
                    var cut = obj.Name.IndexOf('/', parentPrefix.Length);
                    if (cut < 0)
                    {
                        // A file of the parent itself, not of a sub-folder.
                        continue;
                    }

                    var folder = obj.Name[..(cut + 1)];
                    if (current is null || current.Prefix != folder)
                    {
                        // Names are listed in order: the folder before this one has no name left to come.
                        Complete(current, slots);
                        current = _lister.NewBuilder(bucket, folder);
                        currentSince = page;
                    }

                    AddAsDelimitedListingWould(current, obj);
                }

                token = listing.NextPageToken;
                if (token is null)
                {
                    Complete(current, slots);
                    return;
                }

                if (current is not null && page - currentSince + 1 >= MaxPagesPerFolder)
                {
                    // One folder fills pages: its own delimited listing (which rolls its sub-folders up) is cheaper.
                    return;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogDebug(e, "Listing the folders of gs://{Bucket}/{Prefix} together failed; they are listed one by one", bucket, parentPrefix);
        }
        finally
        {
            foreach (var slot in slots.Values)
            {
                slot.TrySetResult(null);
            }
        }
    }

    private static void Complete(FolderListingBuilder? builder, IReadOnlyDictionary<string, TaskCompletionSource<DirectoryListing?>> slots)
    {
        if (builder is not null && slots.TryGetValue(builder.Prefix, out var slot))
        {
            slot.TrySetResult(builder.Build());
        }
    }

    /// <summary>
    /// Adds an object of a flat listing to its folder's listing as a listing of the folder with the delimiter
    /// <c>/</c> and trailing delimiters would show it: a name with a <c>/</c> after the folder is the sub-folder up
    /// to that <c>/</c> (and, when it ends there, also that sub-folder's placeholder object).
    /// </summary>
    private static void AddAsDelimitedListingWould(FolderListingBuilder folder, ObjectInfo obj)
    {
        var cut = obj.Name.IndexOf('/', folder.Prefix.Length);
        if (cut < 0)
        {
            folder.AddObject(obj);
            return;
        }

        folder.AddPrefix(obj.Name[..(cut + 1)]);
        if (cut == obj.Name.Length - 1)
        {
            folder.AddObject(obj);
        }
    }
}
