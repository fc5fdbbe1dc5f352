using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Octue.Mount.Emulator;

namespace Octue.Mount.MountProbe;

/// <summary>
/// The in-repo emulator (the same <see cref="GcsEmulator"/> that <c>octue-mount emulator</c> runs: same Kestrel
/// set-up, same handlers, in memory), with its bucket filled in process before it is announced. Filling through
/// the store rather than over HTTP puts 100,000 small objects in about a second instead of minutes of uploads;
/// the objects are the same as uploaded ones (hashes computed by the store, generations from its clock), and the
/// request counter starts at zero for the benchmark.
/// </summary>
internal static class SeededEmulator
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var bucket = args.Required("--bucket");
        await using var emulator = await GcsEmulator.StartAsync(new EmulatorOptions { Host = "127.0.0.1", Port = 0 });
        var store = emulator.Store;
        store.CreateBucket(bucket);

        var clock = Stopwatch.StartNew();
        long objects = 0, bytes = 0;
        // Objects named after the same file share one array: the emulator serves from it and never changes it.
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var spec in args.All("--object"))
        {
            var (name, path) = Split(spec, "--object", "NAME=FILE");
            if (!files.TryGetValue(path, out var data))
                files[path] = data = File.ReadAllBytes(path);
            Put(name, data);
        }
        foreach (var spec in args.All("--folder"))
        {
            var (prefix, dir) = Split(spec, "--folder", "PREFIX=DIR");
            foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                Put(prefix + Path.GetFileName(file), File.ReadAllBytes(file));
        }
        foreach (var spec in args.All("--generate"))
        {
            var (prefix, shape) = Split(spec, "--generate", "PREFIX=COUNT[/FOLDERS]");
            var parts = shape.Split('/');
            var count = ParseCount(parts[0], spec);
            var folders = parts.Length > 1 ? ParseCount(parts[1], spec) : 0;
            for (var i = 0; i < count; i++)
            {
                var name = folders > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{prefix}d{i % folders:D4}/o{i:D6}")
                    : string.Create(CultureInfo.InvariantCulture, $"{prefix}o{i:D6}");
                // A few bytes of content, so that `find -size +0` and `ls -l` see real files.
                Put(name, Encoding.ASCII.GetBytes(name + "\n"));
            }
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"filled gs://{bucket} with {objects} objects ({bytes} bytes) in {clock.Elapsed.TotalSeconds:F2} s"));

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        Console.Out.WriteLine($"listening on {emulator.Endpoint.GetLeftPart(UriPartial.Authority)}");
        await Console.Out.FlushAsync();
        await stop.Task;
        return 0;

        void Put(string name, byte[] data)
        {
            store.PutObject(bucket, name, data);
            objects++;
            bytes += data.Length;
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }
    }

    private static (string Left, string Right) Split(string spec, string option, string form)
    {
        var at = spec.IndexOf('=', StringComparison.Ordinal);
        if (at <= 0 || at == spec.Length - 1)
            throw new ProbeException($"{option} {spec}: expected {form}");
        return (spec[..at], spec[(at + 1)..]);
    }

    private static int ParseCount(string text, string spec) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new ProbeException($"--generate {spec}: {text} is not a count");
}
