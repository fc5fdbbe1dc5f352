namespace Octue.Mount.Vfs;

/// <summary>The content type given to new objects, from their extension (as gcsfuse and gsutil do); null = the store's default.</summary>
internal static class ContentTypes
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain",
        [".csv"] = "text/csv",
        [".json"] = "application/json",
        [".html"] = "text/html",
        [".htm"] = "text/html",
        [".xml"] = "application/xml",
        [".yaml"] = "application/yaml",
        [".yml"] = "application/yaml",
        [".md"] = "text/markdown",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".svg"] = "image/svg+xml",
        [".pdf"] = "application/pdf",
        [".zip"] = "application/zip",
        [".gz"] = "application/gzip",
        [".tar"] = "application/x-tar",
        [".parquet"] = "application/vnd.apache.parquet",
        [".nc"] = "application/x-netcdf",
        [".h5"] = "application/x-hdf5",
    };

    public static string? Guess(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot <= 0 ? null : ByExtension.GetValueOrDefault(name[dot..]);
    }
}
