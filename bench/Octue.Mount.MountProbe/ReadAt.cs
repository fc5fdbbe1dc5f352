using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Win32.SafeHandles;

namespace Octue.Mount.MountProbe;

/// <summary>
/// Reads at fixed offsets and times it: <c>--first</c> is one byte at offset 0 (time to first byte), otherwise
/// <c>--count</c> reads of <c>--size</c> bytes at offsets drawn from <c>Random(--seed)</c>, aligned to the size
/// (as fio's random reads are), so the same seed gives the mount and the direct side the very same offsets.
/// A file is opened inside the timed part (a cold open is part of the first byte's cost) and read with pread,
/// one read at a time; an http:// source is read with ranged GETs on one HttpClient whose connection is made
/// before the clock starts (a mount has its connection too). The process does one untimed read of the same
/// kind first, so the JIT is not measured. Every byte read is then compared with <c>--verify</c>.
/// </summary>
internal static class ReadAt
{
    public static async Task<int> RunAsync(Arguments args)
    {
        if (args.Positional.Count != 1)
            throw new ProbeException("read-at takes one SOURCE (a file or an http:// URL)");
        var source = args.Positional[0];
        var local = args.Required("--verify");
        var length = new FileInfo(local).Length;
        var first = args.Has("--first");
        var size = first ? 1 : (int)args.Long("--size", 4096);
        var count = first ? 1 : (int)args.Long("--count", 2000);
        var offsets = first ? [0L] : Offsets(length, size, count, (int)args.Long("--seed", 1));
        var buffer = new byte[(long)size * count];

        double seconds;
        if (source.StartsWith("http://", StringComparison.Ordinal))
            seconds = await ReadRangesAsync(new Uri(source), offsets, size, buffer);
        else
            seconds = ReadFile(source, local, offsets, size, buffer);

        Verify(local, offsets, size, buffer, source);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"elapsed={seconds:F6} ops={count} bytes={buffer.LongLength} iops={count / seconds:F1}"));
        return 0;
    }

    private static long[] Offsets(long length, int size, int count, int seed)
    {
        var blocks = length / size;
        if (blocks < 1)
            throw new ProbeException($"the object ({length} bytes) is smaller than one read of {size} bytes");
        var random = new Random(seed);
        var offsets = new long[count];
        for (var i = 0; i < count; i++)
            offsets[i] = random.NextInt64(blocks) * size;
        return offsets;
    }

    private static double ReadFile(string path, string warmUpPath, long[] offsets, int size, byte[] buffer)
    {
        // The untimed warm-up: the same calls on the local copy.
        using (var warm = File.OpenHandle(warmUpPath))
            ReadFully(warm, buffer.AsSpan(0, size), offsets[0], warmUpPath);

        var clock = Stopwatch.StartNew();
        using var handle = File.OpenHandle(path);
        for (var i = 0; i < offsets.Length; i++)
            ReadFully(handle, buffer.AsSpan(i * size, size), offsets[i], path);
        return clock.Elapsed.TotalSeconds;
    }

    private static void ReadFully(SafeFileHandle handle, Span<byte> into, long offset, string path)
    {
        var done = 0;
        while (done < into.Length)
        {
            var n = RandomAccess.Read(handle, into[done..], offset + done);
            if (n == 0)
                throw new ProbeException($"{path}: end of file at {offset + done}, expected {into.Length - done} more bytes");
            done += n;
        }
    }

    private static async Task<double> ReadRangesAsync(Uri url, long[] offsets, int size, byte[] buffer)
    {
        // No proxy, whatever the environment says: the emulator is on 127.0.0.1.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = TimeSpan.FromMinutes(5),
        };
        await GetRangeAsync(http, url, 0, buffer.AsMemory(0, 1));

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < offsets.Length; i++)
            await GetRangeAsync(http, url, offsets[i], buffer.AsMemory(i * size, size));
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task GetRangeAsync(HttpClient http, Uri url, long offset, Memory<byte> into)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(offset, offset + into.Length - 1);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.PartialContent)
            throw new ProbeException($"GET {url} bytes {offset}+{into.Length}: HTTP {(int)response.StatusCode}, expected 206");
        await using var body = await response.Content.ReadAsStreamAsync();
        var done = 0;
        while (done < into.Length)
        {
            var n = await body.ReadAsync(into[done..]);
            if (n == 0)
                throw new ProbeException($"GET {url} bytes {offset}+{into.Length}: the body ended after {done} bytes");
            done += n;
        }
        if (await body.ReadAsync(new byte[1]) != 0)
            throw new ProbeException($"GET {url} bytes {offset}+{into.Length}: the body is longer than the range");
    }

    private static void Verify(string local, long[] offsets, int size, byte[] buffer, string source)
    {
        using var handle = File.OpenHandle(local);
        var expected = new byte[size];
        for (var i = 0; i < offsets.Length; i++)
        {
            ReadFully(handle, expected, offsets[i], local);
            if (!buffer.AsSpan(i * size, size).SequenceEqual(expected))
                throw new ProbeException($"{source}: wrong bytes at offset {offsets[i]} (read {i + 1} of {offsets.Length})");
        }
    }
}
