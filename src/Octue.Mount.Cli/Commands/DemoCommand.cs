using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Octue.Mount.Cli.Demo;
using Octue.Mount.Cli.Logging;
using Octue.Mount.Emulator;
using Octue.Mount.Linux;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Storage;
using Octue.Mount.Vfs;

namespace Octue.Mount.Cli.Commands;

/// <summary>
/// <c>octue-mount demo [DIR]</c>: the product in one command, with no cloud account. Starts the embedded emulator,
/// fills a sample Octue bucket, mounts the bucket and a manifest under DIR, says what to try, and unmounts on Ctrl-C.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("dir")
        {
            Description = "Folder to create the two mount points in (default ./octue-demo).",
            DefaultValueFactory = _ => "octue-demo",
        };
        var logLevel = new Option<string?>("--log-level") { Description = "trace, debug, info, warning (default), error or none." };
        var command = new Command("demo", "Mount a sample Octue bucket and manifest served by the embedded emulator.") { directory, logLevel };
        command.SetAction(async (result, ct) =>
        {
            if (!OperatingSystem.IsLinux())
            {
                Console.Error.WriteLine("octue-mount: the demo mounts with FUSE and runs on Linux.");
                return 1;
            }
            var level = result.GetValue(logLevel) is { } text ? Mounting.MountOptionParser.ParseLogLevel(text) : LogLevel.Warning;
            using var loggerFactory = CliLogging.Create(level, null);
            return await RunAsync(Path.GetFullPath(result.GetValue(directory)!), loggerFactory, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(string root, ILoggerFactory loggerFactory, CancellationToken ct)
    {
        var bucketMount = Path.Combine(root, "bucket");
        var manifestMount = Path.Combine(root, "manifest");
        Directory.CreateDirectory(bucketMount);
        Directory.CreateDirectory(manifestMount);
        var cache = Directory.CreateTempSubdirectory("octue-mount-demo-").FullName;

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.TrySetResult(); });
        // The command line also turns SIGTERM/SIGINT into this token, and may be the one that sees the signal.
        using var cancelled = ct.Register(() => stop.TrySetResult());

        var mounts = new List<FuseMount>();
        var fileSystems = new List<IFileSystem>();
        var emulator = await GcsEmulator.StartAsync(new EmulatorOptions(), ct);
        try
        {
            DemoData.Seed(emulator.Store);
            var store = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = emulator.HostAndPort, LoggerFactory = loggerFactory });
            foreach (var (source, mountPoint, name) in new[]
                     {
                         ($"gs://{DemoData.Bucket}", bucketMount, "bucket"),
                         ($"gs://{DemoData.Bucket}/{DemoData.ManifestObject}", manifestMount, "manifest"),
                     })
            {
                var options = new FileSystemOptions
                {
                    Source = MountSource.Parse(source, null),
                    CacheDirectory = Path.Combine(cache, name),
                    Uid = UnixProcess.EffectiveUid,
                    Gid = UnixProcess.EffectiveGid,
                };
                var fileSystem = await OctueFileSystem.CreateAsync(options, store, loggerFactory, ct);
                fileSystems.Add(fileSystem);
                mounts.Add(await FuseMount.MountAsync(fileSystem, mountPoint, new FuseMountOptions { Source = source }, loggerFactory, ct));
            }

            Console.WriteLine($"""
                Octue Mount demo: an emulated Cloud Storage at {emulator.Endpoint} (STORAGE_EMULATOR_HOST={emulator.HostAndPort})
                  {bucketMount}    gs://{DemoData.Bucket} (two Octue datasets)
                  {manifestMount}  gs://{DemoData.Bucket}/{DemoData.ManifestObject} (three datasets, one from gs://{DemoData.SecondBucket})

                Try, in another terminal:
                  ls -l {bucketMount}/datasets/met-mast
                  cat {bucketMount}/datasets/met-mast/2024-01.csv
                  getfattr -d -m - {bucketMount}/datasets/met-mast/2024-01.csv
                  getfattr -n user.octue.tags {manifestMount}/met_mast
                  ls {manifestMount}/lidar
                  setfattr -n user.octue.tags.site -v south-ridge {bucketMount}/datasets/met-mast/2024-02.csv
                  cp /etc/hostname {bucketMount}/datasets/met-mast/ && ls -l {bucketMount}/datasets/met-mast

                Press Ctrl-C to unmount and stop.
                """);
            Console.Out.Flush();
            await Task.WhenAny(stop.Task, Task.WhenAll(mounts.Select(m => m.Completion)));
            return 0;
        }
        catch (Exception ex) when (ex is FuseMountException or MountSourceNotFoundException)
        {
            Console.Error.WriteLine($"octue-mount: {ex.Message}");
            return 1;
        }
        finally
        {
            foreach (var mount in mounts)
                await mount.DisposeAsync();
            foreach (var fileSystem in fileSystems)
                await fileSystem.DisposeAsync();
            await emulator.DisposeAsync();
            Directory.Delete(cache, recursive: true);
            Console.WriteLine("Unmounted; demo stopped.");
        }
    }
}
