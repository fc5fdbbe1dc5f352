namespace Octue.Mount.Cli.Mounting;

/// <summary>
/// The folders a mount attempt is about to create for a path (the path itself and any missing parents), noted
/// before it creates them, so an attempt that fails removes exactly what it made and nothing that was there before.
/// </summary>
internal sealed class CreatedFolders
{
    private readonly string? _topmost;
    private readonly string _path;

    private CreatedFolders(string path, string? topmost)
    {
        _path = path;
        _topmost = topmost;
    }

    /// <summary>Notes which folders of <paramref name="path"/> do not exist yet.</summary>
    public static CreatedFolders Before(string path)
    {
        var full = Path.GetFullPath(path);
        string? topmost = null;
        for (var current = full; current is not null && !Directory.Exists(current) && !File.Exists(current); current = Path.GetDirectoryName(current))
            topmost = current;
        return new CreatedFolders(full, topmost);
    }

    /// <summary>
    /// Removes the folders noted as new: the path itself with what the attempt put in it, then each new parent while
    /// it is empty (another mount may have started using one meanwhile).
    /// </summary>
    public void Remove()
    {
        if (_topmost is null)
            return;
        try
        {
            if (Directory.Exists(_path))
                Directory.Delete(_path, recursive: true);
            for (var parent = Path.GetDirectoryName(_path); parent is not null && parent.Length >= _topmost.Length; parent = Path.GetDirectoryName(parent))
                Directory.Delete(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not empty (in use by another mount) or not ours to remove: left as it is.
        }
    }
}
