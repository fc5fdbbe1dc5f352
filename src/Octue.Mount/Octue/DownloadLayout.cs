using System.Text;

namespace Octue.Mount.Octue;

/// <summary>
/// The local files a download is about to write, checked as a whole before its first byte is written. Object names
/// are input from whoever can write the bucket: they must not pick between objects for one local file
/// (<c>ok.txt</c> and <c>evil/../ok.txt</c>), need a folder where another object is a file (<c>a</c> and
/// <c>a/b</c>), or hold a path segment a file system cannot show. Each segment follows the mount's rule
/// (<see cref="FileNameRule"/>, docs/naming.md: not empty, not <c>.</c> or <c>..</c>, at most 255 bytes, no NUL), so
/// what a download writes is what a mount of the same bucket shows. Any problem refuses the whole download, naming
/// every object involved, rather than writing some files and failing on the rest.
/// </summary>
internal sealed class DownloadLayout
{
    private const int MaxProblemsListed = 20;

    // Case-insensitive where the local file system usually is (Windows, macOS), so "A.txt" and "a.txt" collide there.
    private static readonly StringComparer PathComparer =
        OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

    private readonly string _root;
    private readonly Dictionary<string, string> _files = new(PathComparer);
    private readonly Dictionary<string, string> _folders = new(PathComparer);
    private readonly List<string> _problems = [];

    // Refused names that a normalising tool would have written over another object: (problem index, normalised path).
    private readonly List<(int Problem, string Path)> _refusedNormalised = [];

    /// <param name="root">The full path of the local folder the download writes into.</param>
    public DownloadLayout(string root) => _root = root;

    /// <summary>A file the download writes at <paramref name="relativePath"/> ('/'-separated), for <paramref name="source"/>.</summary>
    public void AddFile(string relativePath, string source)
    {
        if (!TrySplit(relativePath, source, out var segments))
            return;
        var path = string.Join('/', segments);
        if (!AddFolders(segments, segments.Length - 1, source))
            return;
        if (_folders.TryGetValue(path, out var needsFolder))
            _problems.Add($"{source} is a file, but {needsFolder} needs a folder at the same place ('{path}')");
        else if (!_files.TryAdd(path, source))
            _problems.Add($"{_files[path]} and {source} would both be written to '{path}'");
        else if (Directory.Exists(LocalPath(path)))
            _problems.Add($"{source} would be written to '{path}', which is a folder here");
    }

    /// <summary>A folder the download creates at <paramref name="relativePath"/> (a manifest's dataset), for <paramref name="source"/>.</summary>
    public void AddFolder(string relativePath, string source)
    {
        if (TrySplit(relativePath, source, out var segments))
            AddFolders(segments, segments.Length, source);
    }

    /// <summary>Throws <see cref="DownloadConflictException"/> listing every problem found, if any.</summary>
    public void ThrowIfInvalid()
    {
        if (_problems.Count == 0)
            return;
        foreach (var (index, path) in _refusedNormalised)
        {
            if (_files.TryGetValue(path, out var other))
                _problems[index] += $" (it would otherwise overwrite {other} at '{path}')";
        }
        var message = new StringBuilder("Nothing was downloaded: ");
        message.Append(_problems.Count == 1 ? "the object names do not map to one local file each:" : $"{_problems.Count} problems with the object names:");
        for (var i = 0; i < _problems.Count && i < MaxProblemsListed; i++)
            message.Append("\n  ").Append(_problems[i]);
        if (_problems.Count > MaxProblemsListed)
            message.Append("\n  … and ").Append(_problems.Count - MaxProblemsListed).Append(" more");
        message.Append("\n(Local names follow the mount's rule, docs/naming.md; use another tool or a narrower source to get these objects.)");
        throw new DownloadConflictException(message.ToString(), _problems.ToArray());
    }

    private bool TrySplit(string relativePath, string source, out string[] segments)
    {
        // A backslash separates too: the download turns it into a folder, as the paths of a dataset always have.
        segments = relativePath.Split('/', '\\');
        foreach (var segment in segments)
        {
            if (!FileNameRule.IsValidSegment(segment))
            {
                if (CloudPath.TryNormalise(relativePath.Replace('\\', '/'), out var normalised) && normalised.Length > 0)
                    _refusedNormalised.Add((_problems.Count, normalised));
                _problems.Add($"{source} cannot be a local file because {FileNameRule.Reason(segment)}");
                return false;
            }
        }
        return true;
    }

    // Registers the first `count` segments as folders; false when one of them is already a file.
    private bool AddFolders(string[] segments, int count, string source)
    {
        var path = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            if (i > 0) path.Append('/');
            path.Append(segments[i]);
            var folder = path.ToString();
            if (_files.TryGetValue(folder, out var file))
            {
                _problems.Add($"{file} is a file, but {source} needs a folder at the same place ('{folder}')");
                return false;
            }
            if (_folders.TryAdd(folder, source) && File.Exists(LocalPath(folder)))
            {
                _problems.Add($"{source} needs a folder at '{folder}', which is a file here");
                return false;
            }
        }
        return true;
    }

    private string LocalPath(string relative) => Path.Combine(_root, relative.Replace('/', Path.DirectorySeparatorChar));
}
