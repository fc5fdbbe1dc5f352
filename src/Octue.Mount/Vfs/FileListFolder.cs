using Microsoft.Extensions.Logging;
using Octue.Mount.Octue;

namespace Octue.Mount.Vfs;

/// <summary>
/// One folder of a dataset given as a <c>files</c> list: the listed files directly in it and its sub-folders.
/// Each file is placed at its path in the dataset, the rule <c>octue-mount download</c> follows too
/// (<see cref="Dataset.PathInDataset"/>): a file under the dataset's own path keeps its sub-path (<c>z/w.txt</c>),
/// any other file (another bucket or prefix) is placed under <c>BUCKET/OBJECT</c>. So no two listed objects share a
/// path unless the dataset itself holds a folder named like that bucket; then, as for any clash, the naming rule of
/// a bucket applies (docs/naming.md): a folder wins over a file of the same name, the first file over a later one,
/// and what is not shown is logged once.
/// </summary>
internal sealed class FileListFolder
{
    private readonly Dictionary<string, FileListFolder> _folders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileListEntry> _files = new(StringComparer.Ordinal);

    /// <summary>The sub-folders, by name.</summary>
    public IReadOnlyDictionary<string, FileListFolder> Folders => _folders;

    /// <summary>The files directly in this folder, by name.</summary>
    public IReadOnlyDictionary<string, FileListEntry> Files => _files;

    /// <summary>An empty folder: what a dataset that cannot be reached shows.</summary>
    public static FileListFolder Empty() => new();

    /// <summary>
    /// The folder tree of a dataset made of <paramref name="files"/> (gs:// URIs or path-style URLs) whose own path is
    /// <paramref name="location"/> (null when it has none: every file is then placed under <c>BUCKET/OBJECT</c>).
    /// Entries that are not cloud objects, or whose path holds a segment that cannot be a file name, are logged and
    /// left out.
    /// </summary>
    public static FileListFolder Build(IReadOnlyList<string> files, CloudPath? location, string dataset, ILogger logger)
    {
        var root = new FileListFolder();
        foreach (var file in files)
        {
            if (!CloudPath.TryParse(file, out var path, out var problem) || path.Path.Length == 0)
            {
                // Say why: a gs:// URI that climbs above its bucket is not "not a gs:// object".
                logger.LogWarning("File '{File}' of dataset {Dataset} is not shown: {Problem}", file, dataset,
                    problem ?? "it names a bucket, not an object");
                continue;
            }

            var segments = Dataset.PathInDataset(location, path.Bucket, path.Path).Split('/');
            var invalid = Array.Find(segments, segment => !FileNameRule.IsValidSegment(segment));
            if (invalid is not null)
            {
                logger.LogWarning("File {File} of dataset {Dataset} is not shown because {Reason}", path, dataset, FileNameRule.Reason(invalid));
                continue;
            }

            root.Add(segments, new FileListEntry(segments[^1], path.Bucket, path.Path), dataset, logger);
        }

        return root;
    }

    private void Add(string[] segments, FileListEntry file, string dataset, ILogger logger)
    {
        var folder = this;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            var name = segments[i];
            if (folder._files.Remove(name, out var displaced))
            {
                logger.LogWarning("File gs://{Bucket}/{Name} of dataset {Dataset} is not shown: a folder of the dataset has its name", displaced.Bucket, displaced.ObjectName, dataset);
            }

            if (!folder._folders.TryGetValue(name, out var next))
            {
                next = new FileListFolder();
                folder._folders.Add(name, next);
            }

            folder = next;
        }

        if (folder._folders.ContainsKey(file.Name))
        {
            logger.LogWarning("File gs://{Bucket}/{Name} of dataset {Dataset} is not shown: a folder of the dataset has its name", file.Bucket, file.ObjectName, dataset);
        }
        else if (folder._files.TryGetValue(file.Name, out var shown))
        {
            if (shown != file)
            {
                Log.DuplicateDatasetFile(logger, file.Bucket, file.ObjectName, $"gs://{shown.Bucket}/{shown.ObjectName}");
            }
        }
        else
        {
            folder._files.Add(file.Name, file);
        }
    }
}
