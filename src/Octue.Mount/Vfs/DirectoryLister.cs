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
        var files = new List<ListingEntry>();
        var directories = new List<string>();
        var directoryNames = new HashSet<string>(StringComparer.Ordinal);
        var placeholders = new Dictionary<string, ObjectInfo>(StringComparer.Ordinal);
        ObjectInfo? placeholder = null;
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
                if (obj.Name.Length == prefix.Length)
                {
                    placeholder = obj;
                    continue;
                }

                var name = obj.Name[prefix.Length..];
                if (name.IndexOf('/') == name.Length - 1)
                {
                    // A sub-directory's placeholder ("sub/"), listed beside its prefix.
                    placeholders[name[..^1]] = obj;
                    continue;
                }

                if (!FileNameRule.IsValidSegment(name))
                {
                    Hidden(bucket, obj.Name, FileNameRule.Reason(name));
                    continue;
                }

                var kind = PosixMetadata.SymlinkTarget(obj) is null ? NodeKind.File : NodeKind.Symlink;
                files.Add(new ListingEntry(name, kind, obj, bucket, obj.Name));
            }

            foreach (var sub in page.Prefixes)
            {
                var name = sub[prefix.Length..^1];
                if (!FileNameRule.IsValidSegment(name))
                {
                    Hidden(bucket, sub, FileNameRule.Reason(name));
                    continue;
                }

                if (directoryNames.Add(name))
                {
                    directories.Add(name);
                }
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));

        var entries = new List<ListingEntry>(directories.Count + files.Count);
        foreach (var name in directories)
        {
            entries.Add(new ListingEntry(name, NodeKind.Directory, null, bucket, prefix + name + "/")
            {
                Placeholder = placeholders.GetValueOrDefault(name),
            });
        }

        foreach (var file in files)
        {
            if (directoryNames.Contains(file.Name))
            {
                Hidden(bucket, file.ObjectName, "a directory has the same name (the directory is shown)");
                continue;
            }

            entries.Add(file);
        }

        return new DirectoryListing(entries, placeholder);
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
