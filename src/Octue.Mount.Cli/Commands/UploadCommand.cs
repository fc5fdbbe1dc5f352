using System.CommandLine;
using Octue.Mount.Octue;

namespace Octue.Mount.Cli.Commands;

/// <summary>
/// <c>octue-mount upload SOURCE gs://bucket/path</c>: uploads a local file as a datafile, a folder as a dataset (at
/// exactly that path, with its <c>.octue</c>), or a local manifest with its datasets (stored beside the manifest).
/// Every file is verified; files whose destination already has the same CRC32C are skipped unless <c>--force</c>.
/// </summary>
internal static class UploadCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "Local file (datafile), folder (dataset) or manifest JSON file." };
        var destination = new Argument<string>("destination") { Description = "Where to put it: gs://bucket/path." };
        var kind = OctueCommandSupport.KindOption();
        var credentials = OctueCommandSupport.CredentialsOption();
        var parallelism = OctueCommandSupport.ParallelismOption();
        var force = OctueCommandSupport.ForceOption();
        var command = new Command("upload", "Upload a datafile, dataset or manifest to Cloud Storage, verified (CRC32C and MD5).")
        {
            source, destination, kind, parallelism, force, credentials,
        };
        command.SetAction((parse, cancellationToken) => OctueCommandSupport.RunAsync(async () =>
        {
            var sourcePath = parse.GetValue(source)!;
            var target = CloudPath.Parse(parse.GetValue(destination)!);
            var bar = new TransferProgressBar("upload");
            var options = new TransferOptions
            {
                Store = OctueCommandSupport.CreateStore(parse.GetValue(credentials)),
                Parallelism = OctueCommandSupport.Parallelism(parse.GetValue(parallelism)),
                SkipUnchanged = !parse.GetValue(force),
                Progress = bar,
            };
            var chosen = parse.GetValue(kind);
            if (chosen == OctueContainerKind.Auto)
                chosen = OctueContainerDetection.DetectLocal(sourcePath);

            string uri;
            switch (chosen)
            {
                case OctueContainerKind.Datafile:
                    if (!File.Exists(sourcePath))
                        throw new FileNotFoundException($"No such file: {sourcePath}", sourcePath);
                    uri = await new Datafile(sourcePath).ToCloudAsync(target.ToString(), options, cancellationToken);
                    break;
                case OctueContainerKind.Dataset:
                    uri = await Dataset.FromLocalDirectory(sourcePath).ToCloudAsync(target.ToString(), options, cancellationToken);
                    bar.Finish();
                    break;
                default:
                    uri = await (await Manifest.FromLocalFileAsync(sourcePath, options, cancellationToken)).ToCloudAsync(target.ToString(), storeDatasets: true, options, cancellationToken);
                    bar.Finish();
                    break;
            }
            Console.WriteLine(uri);
            return 0;
        }));
        return command;
    }
}
