using Octue.Mount.Caching;

namespace Octue.Mount.Vfs;

/// <summary>
/// A staged copy whose upload failed for now (a close that gave EAGAIN or EIO, a recovery at start that could not reach
/// the store). It stays in <c>staging/</c> and under its name in the mount until an upload succeeds or someone removes
/// or replaces the name.
/// </summary>
internal sealed class PendingUpload
{
    public PendingUpload(StagedFile staged, long? uploadModifiedNs, long modifiedNs)
    {
        Staged = staged;
        Bucket = staged.Sidecar.Bucket;
        Name = staged.Sidecar.ObjectName;
        UploadModifiedNs = uploadModifiedNs;
        ModifiedNs = modifiedNs;
    }

    public StagedFile Staged { get; }

    public string Bucket { get; }

    public string Name { get; }

    public string Uri => $"gs://{Bucket}/{Name}";

    /// <summary>The mtime its upload records (null: the metadata's own).</summary>
    public long? UploadModifiedNs { get; }

    /// <summary>The mtime the mount shows for it meanwhile.</summary>
    public long ModifiedNs { get; }

    /// <summary>Serialises a retry of the upload with a removal of the copy.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);
}

/// <summary>
/// The pending uploads of a file system, by object. Lookups, getattr and listings show them (so a file whose upload
/// failed does not vanish while its bytes wait); opening or changing one retries its upload first; unlink, a rename
/// over it or the removal of its folder decide its fate (see docs/semantics.md). Usually empty: callers test
/// <see cref="Count"/> before building a key.
/// </summary>
internal sealed class PendingUploads
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Bucket, string Name), PendingUpload> _byName = new();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>The pending upload of a file node, if it has one.</summary>
    public PendingUpload? Of(Node node) => Count == 0 || node.Kind != NodeKind.File ? null : Get(node.Bucket, node.ObjectName);

    /// <summary>The pending upload of the name <paramref name="name"/> in a prefix directory, if it has one.</summary>
    public PendingUpload? Of(Node dir, string name) =>
        Count == 0 || dir.Role != DirectoryRole.Prefix ? null : Get(dir.Bucket, dir.ObjectName + name);

    public PendingUpload? Get(string bucket, string name)
    {
        if (Count == 0)
        {
            return null;
        }

        lock (_lock)
        {
            return _byName.GetValueOrDefault((bucket, name));
        }
    }

    /// <summary>Adds <paramref name="upload"/> under its object; returns the one it replaces (an older failed copy), if any.</summary>
    public PendingUpload? Add(PendingUpload upload)
    {
        lock (_lock)
        {
            _byName.Remove((upload.Bucket, upload.Name), out var replaced);
            _byName.Add((upload.Bucket, upload.Name), upload);
            Volatile.Write(ref _count, _byName.Count);
            return replaced;
        }
    }

    /// <summary>Removes <paramref name="upload"/> if it is still the pending upload of its object.</summary>
    public bool Remove(PendingUpload upload)
    {
        lock (_lock)
        {
            if (!_byName.TryGetValue((upload.Bucket, upload.Name), out var current) || current != upload)
            {
                return false;
            }

            _byName.Remove((upload.Bucket, upload.Name));
            Volatile.Write(ref _count, _byName.Count);
            return true;
        }
    }

    public bool Contains(PendingUpload upload)
    {
        lock (_lock)
        {
            return _byName.TryGetValue((upload.Bucket, upload.Name), out var current) && current == upload;
        }
    }

    /// <summary>The pending uploads under <paramref name="prefix"/> of a bucket (any depth), or only its direct children.</summary>
    public List<PendingUpload> Under(string bucket, string prefix, bool directChildrenOnly)
    {
        var result = new List<PendingUpload>();
        if (Count == 0)
        {
            return result;
        }

        lock (_lock)
        {
            foreach (var ((b, name), upload) in _byName)
            {
                if (b == bucket && name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.Ordinal) &&
                    (!directChildrenOnly || name.IndexOf('/', prefix.Length) < 0))
                {
                    result.Add(upload);
                }
            }
        }

        return result;
    }

    /// <summary>Removes and returns every pending upload (the file system is stopping).</summary>
    public List<PendingUpload> TakeAll()
    {
        lock (_lock)
        {
            var all = new List<PendingUpload>(_byName.Values);
            _byName.Clear();
            Volatile.Write(ref _count, 0);
            return all;
        }
    }
}
