using System.CommandLine;
using Octue.Mount.Octue;

namespace Octue.Mount.Cli.Commands;

/// <summary>
/// <c>octue-mount download gs://bucket/path DESTINATION</c>: downloads a datafile (into DESTINATION, or into it when it
/// is a folder), a dataset (into the folder DESTINATION, with a local <c>.octue</c>) or a manifest (each dataset into
/// DESTINATION/&lt;name&gt;, plus <c>manifest.json</c>). Every file is verified against its CRC32C and a corrupt
/// download is deleted; local files that already match are kept unless <c>--force</c>.
/// </summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "What to download: gs://bucket/path of a datafile, dataset or manifest." };
        var destination = new Argument<string>("destination") { Description = "Local file or folder." };
        var kind = OctueCommandSupport.KindOption();
        var credentials = OctueCommandSupport.CredentialsOption();
        var parallelism = OctueCommandSupport.ParallelismOption();
        var force = OctueCommandSupport.ForceOption();
        var command = new Command("download", "Download a datafile, dataset or manifest from Cloud Storage, verified against its CRC32C.")
        {
            source, destination, kind, parallelism, force, credentials,
        };
        command.SetAction((parse, cancellationToken) => OctueCommandSupport.RunAsync(async () =>
        {
            var from = CloudPath.Parse(parse.GetValue(source)!);
            var to = parse.GetValue(destination)!;
            var store = OctueCommandSupport.CreateStore(parse.GetValue(credentials));
            var bar = new TransferProgressBar("download");
            var options = new TransferOptions
            {
                Store = store,
                Parallelism = OctueCommandSupport.Parallelism(parse.GetValue(parallelism)),
                SkipUnchanged = !parse.GetValue(force),
                Progress = bar,
            };
            var chosen = parse.GetValue(kind);
            if (chosen == OctueContainerKind.Auto)
                chosen = await OctueContainerDetection.DetectCloudAsync(store, from, cancellationToken);

            string local;
            switch (chosen)
            {
                case OctueContainerKind.Datafile:
                    var datafile = await Datafile.FromCloudAsync(from.ToString(), options, cancellationToken);
                    var target = Directory.Exists(to) || to.EndsWith('/') || to.EndsWith(Path.DirectorySeparatorChar)
                        ? Path.Combine(to, datafile.Name)
                        : to;
                    local = await datafile.DownloadAsync(target, options, cancellationToken);
                    break;
                case OctueContainerKind.Dataset:
                    var dataset = await Dataset.FromCloudAsync(from.ToString(), options, cancellationToken);
                    local = await dataset.DownloadAsync(to, options, cancellationToken);
                    bar.Finish();
                    break;
                default:
                    var manifest = await Manifest.FromCloudAsync(from.ToString(), options, cancellationToken);
                    local = await manifest.DownloadAsync(to, options, cancellationToken);
                    bar.Finish();
                    break;
            }
            Console.WriteLine(local);
            return 0;
        }));
        return command;
    }
}
