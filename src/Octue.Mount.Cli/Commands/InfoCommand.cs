using System.CommandLine;
using System.Text.Json.Nodes;
using Octue.Mount.Octue;

namespace Octue.Mount.Cli.Commands;

/// <summary>
/// <c>octue-mount info gs://…</c>: prints a datafile, dataset or manifest as JSON with the keys <c>id</c>, <c>name</c>,
/// <c>tags</c>, <c>labels</c> (sorted), <c>timestamp</c> (ISO 8601 or null), <c>crc32c</c> (datafiles), <c>files</c>
/// (datasets: sorted gs:// URIs) and <c>datasets</c> (manifests: name → dataset object). Numbers keep their int or
/// float form.
/// </summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "gs://bucket/path of a datafile, dataset or manifest." };
        var kind = OctueCommandSupport.KindOption();
        var credentials = OctueCommandSupport.CredentialsOption();
        var command = new Command("info", "Print a datafile's, dataset's or manifest's Octue metadata as JSON.") { source, kind, credentials };
        command.SetAction((parse, cancellationToken) => OctueCommandSupport.RunAsync(async () =>
        {
            var path = CloudPath.Parse(parse.GetValue(source)!);
            var store = OctueCommandSupport.CreateStore(parse.GetValue(credentials));
            var options = new TransferOptions { Store = store };
            var chosen = parse.GetValue(kind);
            if (chosen == OctueContainerKind.Auto)
                chosen = await OctueContainerDetection.DetectCloudAsync(store, path, cancellationToken);

            JsonObject info = chosen switch
            {
                OctueContainerKind.Datafile => Describe(await Datafile.FromCloudAsync(path.ToString(), options, cancellationToken)),
                OctueContainerKind.Dataset => Describe(await Dataset.FromCloudAsync(path.ToString(), options, cancellationToken)),
                _ => Describe(await Manifest.FromCloudAsync(path.ToString(), options, cancellationToken)),
            };
            Console.WriteLine(PythonJson.Serialize(info, indent: 2));
            return 0;
        }));
        return command;
    }

    private static JsonObject Describe(Datafile datafile) => new()
    {
        ["kind"] = "datafile",
        ["uri"] = datafile.CloudPath?.ToString(),
        ["id"] = datafile.Id,
        ["name"] = datafile.Name,
        ["tags"] = datafile.Tags.ToJsonObject(),
        ["labels"] = Labels(datafile.Labels),
        ["timestamp"] = datafile.Timestamp is { } timestamp ? OctueTimestamp.ToIsoString(timestamp) : null,
        ["crc32c"] = datafile.HashValue,
        ["size"] = datafile.CloudObject?.Size,
    };

    private static JsonObject Describe(Dataset dataset)
    {
        var files = new List<string>(dataset.Files.Count);
        foreach (var file in dataset.Files)
            files.Add(file.CloudPath!.ToString()!);
        files.Sort(StringComparer.Ordinal);
        var array = new JsonArray();
        foreach (var file in files) array.Add(file);
        return new JsonObject
        {
            ["kind"] = "dataset",
            ["uri"] = dataset.CloudPath?.ToString(),
            ["id"] = dataset.Id,
            ["name"] = dataset.Name,
            ["tags"] = dataset.Tags.ToJsonObject(),
            ["labels"] = Labels(dataset.Labels),
            ["timestamp"] = null,
            ["files"] = array,
        };
    }

    private static JsonObject Describe(Manifest manifest)
    {
        var datasets = new JsonObject();
        foreach (var (key, dataset) in manifest.Datasets)
            datasets[key] = Describe(dataset);
        foreach (var (key, path) in manifest.LocalDatasetPaths)
            datasets[key] = new JsonObject { ["kind"] = "dataset", ["uri"] = null, ["local_path"] = path };
        return new JsonObject
        {
            ["kind"] = "manifest",
            ["uri"] = manifest.CloudPath?.ToString(),
            ["id"] = manifest.Id,
            ["name"] = manifest.Name,
            ["tags"] = new JsonObject(),
            ["labels"] = new JsonArray(),
            ["timestamp"] = null,
            ["datasets"] = datasets,
        };
    }

    private static JsonArray Labels(LabelSet labels)
    {
        var array = new JsonArray();
        foreach (var label in labels) array.Add(label);
        return array;
    }
}
