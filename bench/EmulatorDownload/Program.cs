// Measures how fast the emulator serves a large media download over loopback, so benchmarks of the product can
// tell whether the emulator is ever their bottleneck. Usage: EmulatorDownload [SIZE_MIB=1024] [RUNS=3]
using System.Diagnostics;
using System.Globalization;
using Google.Cloud.Storage.V1;
using Octue.Mount.Emulator;

var sizeMiB = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1024;
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var size = (long)sizeMiB * 1024 * 1024;

await using var emulator = await GcsEmulator.StartAsync();
emulator.Store.CreateBucket("bench");
var data = GC.AllocateUninitializedArray<byte>((int)size);
new Random(42).NextBytes(data);
emulator.Store.PutObject("bench", "large.bin", data);

using var http = new HttpClient { BaseAddress = emulator.Endpoint, Timeout = TimeSpan.FromMinutes(10) };
using var client = new StorageClientBuilder { BaseUri = emulator.Endpoint + "storage/v1/", UnauthenticatedAccess = true }.Build();
var buffer = new byte[1024 * 1024];

Console.WriteLine($"object: {sizeMiB} MiB, {runs} runs each, .NET {Environment.Version}, {Environment.ProcessorCount} cores");
Console.WriteLine("| path | best MB/s | median MB/s | ratio to memory copy |");
Console.WriteLine("|---|---|---|---|");
var memory = await MeasureAsync(runs, () =>
{
    // Direct access: copying the same bytes out of memory in 1 MiB pieces (the floor any server is compared to).
    for (long offset = 0; offset < size; offset += buffer.Length)
        data.AsSpan((int)offset, (int)Math.Min(buffer.Length, size - offset)).CopyTo(buffer);
    return Task.CompletedTask;
});
Report("memory copy (direct access)", memory, memory);
Report("HttpClient GET alt=media", await MeasureAsync(runs, async () =>
{
    using var response = await http.GetAsync("storage/v1/b/bench/o/large.bin?alt=media", HttpCompletionOption.ResponseHeadersRead);
    response.EnsureSuccessStatusCode();
    await using var stream = await response.Content.ReadAsStreamAsync();
    long total = 0;
    int read;
    while ((read = await stream.ReadAsync(buffer)) > 0)
        total += read;
    if (total != size)
        throw new InvalidOperationException($"read {total} bytes, expected {size}");
}), memory);
Report("StorageClient.DownloadObjectAsync (no validation)", await MeasureAsync(runs, async () =>
{
    var sink = new CountingStream();
    await client.DownloadObjectAsync("bench", "large.bin", sink, new DownloadObjectOptions { DownloadValidationMode = DownloadValidationMode.Never });
    if (sink.Length != size)
        throw new InvalidOperationException($"read {sink.Length} bytes, expected {size}");
}), memory);
Report("StorageClient.DownloadObjectAsync (hash validated)", await MeasureAsync(runs, async () =>
{
    var sink = new CountingStream();
    await client.DownloadObjectAsync("bench", "large.bin", sink);
    if (sink.Length != size)
        throw new InvalidOperationException($"read {sink.Length} bytes, expected {size}");
}), memory);

Console.WriteLine();
Console.WriteLine("| upload path | best MB/s | median MB/s | ratio to memory copy |");
Console.WriteLine("|---|---|---|---|");
Report("HttpClient resumable upload, 8 MiB chunks", await MeasureAsync(runs, async () =>
{
    using var start = await http.PostAsync($"upload/storage/v1/b/bench/o?uploadType=resumable&name=up.bin", null);
    start.EnsureSuccessStatusCode();
    const int chunk = 8 * 1024 * 1024;
    for (long offset = 0; offset < size; offset += chunk)
    {
        var length = (int)Math.Min(chunk, size - offset);
        using var content = new ByteArrayContent(data, (int)offset, length);
        var total = offset + length == size ? size.ToString(CultureInfo.InvariantCulture) : "*";
        content.Headers.Add("Content-Range", $"bytes {offset}-{offset + length - 1}/{total}");
        using var response = await http.PutAsync(start.Headers.Location, content);
        if ((int)response.StatusCode is not (308 or 200))
            throw new InvalidOperationException($"chunk at {offset}: {response.StatusCode}");
    }
}), memory);
Report("StorageClient.UploadObjectAsync (default 10 MiB chunks)", await MeasureAsync(runs, async () =>
{
    await client.UploadObjectAsync("bench", "up2.bin", null, new MemoryStream(data, writable: false));
}), memory);

void Report(string path, double[] mbPerSecond, double[] baseline)
{
    Array.Sort(mbPerSecond);
    var median = mbPerSecond[mbPerSecond.Length / 2];
    var baselineMedian = baseline[baseline.Length / 2];
    Console.WriteLine($"| {path} | {mbPerSecond[^1]:F0} | {median:F0} | {median / baselineMedian:F2} |");
}

async Task<double[]> MeasureAsync(int count, Func<Task> action)
{
    await action(); // warm-up
    var results = new double[count];
    for (var i = 0; i < count; i++)
    {
        var watch = Stopwatch.StartNew();
        await action();
        results[i] = size / 1e6 / watch.Elapsed.TotalSeconds;
    }
    return results;
}

/// <summary>A write-only sink that only counts bytes.</summary>
internal sealed class CountingStream : Stream
{
    private long _length;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => _length += count;
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _length += buffer.Length;
        return ValueTask.CompletedTask;
    }
}
