using System.Diagnostics;
using System.Globalization;

namespace Octue.Mount.MountProbe;

/// <summary>
/// Several readers at once, one thread per file, each reading its whole file sequentially in 1 MiB reads (what
/// <c>dd bs=1M</c> does), discarding the bytes; the time is from the start of the first to the end of the last.
/// The bytes are checked afterwards by the caller (sha256sum), so hashing does not compete for the cores here.
/// </summary>
internal static class ParallelRead
{
    private const int ReadSize = 1024 * 1024;

    public static int Run(string[] files)
    {
        if (files.Length == 0)
            throw new ProbeException("read-parallel takes one or more files");
        var totals = new long[files.Length];
        var errors = new string?[files.Length];
        using var start = new ManualResetEventSlim();
        var threads = new Thread[files.Length];
        for (var i = 0; i < files.Length; i++)
        {
            var index = i;
            threads[i] = new Thread(() =>
            {
                var buffer = new byte[ReadSize];
                start.Wait();
                try
                {
                    using var stream = new FileStream(files[index], FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
                    int n;
                    while ((n = stream.Read(buffer)) > 0)
                        totals[index] += n;
                }
                catch (IOException e)
                {
                    errors[index] = $"{files[index]}: {e.Message}";
                }
            }) { IsBackground = true };
            threads[i].Start();
        }
        var clock = Stopwatch.StartNew();
        start.Set();
        foreach (var thread in threads)
            thread.Join();
        var seconds = clock.Elapsed.TotalSeconds;
        if (errors.FirstOrDefault(e => e is not null) is { } error)
            throw new ProbeException(error);
        var bytes = totals.Sum();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"elapsed={seconds:F6} bytes={bytes} mbps={bytes / seconds / 1e6:F1}"));
        return 0;
    }
}
