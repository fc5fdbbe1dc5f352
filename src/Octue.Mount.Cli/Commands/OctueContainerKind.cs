using System.Text.Json;
using System.Text.Json.Nodes;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Cli.Commands;

/// <summary>Which Octue container a command works on.</summary>
internal enum OctueContainerKind
{
    Auto,
    Datafile,
    Dataset,
    Manifest,
}

/// <summary>
/// Decides what a path names when the user did not say (<c>--kind</c>). Cloud: an object whose name ends in
/// <c>.json</c> and whose content is a JSON object with <c>datasets</c> is a manifest, any other object is a datafile,
/// and a prefix is a dataset. Local: a folder is a dataset, a <c>.json</c> file with <c>datasets</c> is a manifest,
/// any other file is a datafile.
/// </summary>
internal static class OctueContainerDetection
{
    private const long ManifestSizeLimit = 16 * 1024 * 1024;

    public static async Task<OctueContainerKind> DetectCloudAsync(IObjectStore store, CloudPath path, CancellationToken cancellationToken)
    {
        if (path.Path.Length == 0)
            return OctueContainerKind.Dataset;
        var info = await store.StatAsync(path.Bucket, path.Path, cancellationToken);
        if (info is null)
            return OctueContainerKind.Dataset;
        if (path.Path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && info.Size <= ManifestSizeLimit)
        {
            await using var stream = await store.OpenReadAsync(info.Bucket, info.Name, generation: info.Generation, cancellationToken: cancellationToken);
            using var reader = new StreamReader(stream);
            if (LooksLikeManifest(await reader.ReadToEndAsync(cancellationToken)))
                return OctueContainerKind.Manifest;
        }
        return OctueContainerKind.Datafile;
    }

    public static OctueContainerKind DetectLocal(string path)
    {
        if (Directory.Exists(path))
            return OctueContainerKind.Dataset;
        if (!File.Exists(path))
            throw new FileNotFoundException($"No such file or folder: {path}", path);
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && new FileInfo(path).Length <= ManifestSizeLimit
            && LooksLikeManifest(File.ReadAllText(path)))
            return OctueContainerKind.Manifest;
        return OctueContainerKind.Datafile;
    }

    private static bool LooksLikeManifest(string text)
    {
        try
        {
            return JsonNode.Parse(text) is JsonObject obj && obj.ContainsKey("datasets");
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
