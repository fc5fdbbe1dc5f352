using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Google;
using Google.Apis.Upload;
using Google.Cloud.Storage.V1;
using Octue.Mount.Integrity;
using Object = Google.Apis.Storage.v1.Data.Object;

namespace Octue.Mount.Emulator.Tests;

/// <summary>
/// The conformance scenarios, through Google.Cloud.Storage.V1 (tests/node-conformance runs the same ones through
/// the Node.js client).
/// </summary>
public sealed class ConformanceTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private StorageClient Client => fixture.Client;

    private GcsEmulator Emulator => fixture.Emulator;

    [Fact]
    public async Task Lists2500ObjectsInPagesWithPrefixAndDelimiter()
    {
        var bucket = fixture.NewBucket();
        var expected = new List<string>();
        for (var i = 0; i < 2500; i++)
        {
            var name = $"data/d{i % 5}/f{i:D4}";
            Emulator.Store.PutObject(bucket, name, [(byte)i]);
            expected.Add(name);
        }
        Emulator.Store.PutObject(bucket, "data/top.txt", [1]);
        Emulator.Store.PutObject(bucket, "other.txt", [2]);
        expected.Sort(StringComparer.Ordinal);

        // Everything under data/d, page by page: 2,500 names need 3 pages of at most 1,000.
        Emulator.Requests.Reset();
        var names = new List<string>();
        var pages = 0;
        string? token = null;
        do
        {
            var page = await Client.ListObjectsAsync(bucket, "data/d", new ListObjectsOptions { PageToken = token }).ReadPageAsync(1000);
            names.AddRange(page.Select(o => o.Name));
            token = page.NextPageToken;
            pages++;
        }
        while (token is not null);
        Assert.Equal(expected, names);
        Assert.Equal(3, pages);

        // The client's own paging: every object, in order, with the default (and maximum) page size.
        Emulator.Requests.Reset();
        var all = new List<string>();
        await foreach (var o in Client.ListObjectsAsync(bucket))
            all.Add(o.Name);
        Assert.Equal(2502, all.Count);
        Assert.Equal(all.OrderBy(n => n, StringComparer.Ordinal), all);
        Assert.Equal(3, Emulator.Requests.Count(RequestKind.ListObjects));

        // A delimiter folds each sub-folder into one prefix.
        var listing = Client.ListObjectsAsync(bucket, "data/", new ListObjectsOptions { Delimiter = "/" });
        var rawPage = await listing.AsRawResponses().FirstAsync();
        Assert.Equal(["data/d0/", "data/d1/", "data/d2/", "data/d3/", "data/d4/"], rawPage.Prefixes);
        Assert.Equal(["data/top.txt"], rawPage.Items.Select(o => o.Name));

        // Small pages of a delimited listing count prefixes and objects together.
        var small = await Client.ListObjectsAsync(bucket, "data/", new ListObjectsOptions { Delimiter = "/", PageSize = 2 })
            .AsRawResponses().ToListAsync();
        Assert.Equal(3, small.Count);
        Assert.Equal(["data/d0/", "data/d1/", "data/d2/", "data/d3/", "data/d4/"], small.SelectMany(p => p.Prefixes ?? []));
        Assert.Equal(["data/top.txt"], small.SelectMany(p => p.Items ?? []).Select(o => o.Name));
    }

    [Fact]
    public async Task RangeReadsReturnTheRequestedBytes()
    {
        var bucket = fixture.NewBucket();
        var data = RandomBytes(100_000, seed: 1);
        await Client.UploadObjectAsync(bucket, "ranged.bin", null, new MemoryStream(data));

        async Task<byte[]> Read(RangeHeaderValue range)
        {
            var output = new MemoryStream();
            await Client.DownloadObjectAsync(bucket, "ranged.bin", output, new DownloadObjectOptions { Range = range });
            return output.ToArray();
        }

        Assert.Equal(data[10..20], await Read(new RangeHeaderValue(10, 19)));
        Assert.Equal(data[99_000..], await Read(new RangeHeaderValue(99_000, null)));
        Assert.Equal(data[^500..], await Read(new RangeHeaderValue(null, 500)));
        Assert.Equal(data[50_000..], await Read(new RangeHeaderValue(50_000, 500_000)));
        Assert.Equal(data, await Read(new RangeHeaderValue(0, null)));
    }

    [Fact]
    public async Task ChunkedResumableUploadSurvivesAFailedChunk()
    {
        var bucket = fixture.NewBucket();
        var data = RandomBytes(25 * 1024 * 1024, seed: 2);
        const int chunkSize = 4 * 1024 * 1024;
        var uploader = Client.CreateObjectUploader(bucket, "big.bin", "application/octet-stream", new MemoryStream(data),
            new UploadObjectOptions { ChunkSize = chunkSize });
        var sessions = 0;
        uploader.UploadSessionData += _ => sessions++;
        // The third chunk's connection is reset half-way through its body.
        Emulator.Faults.Add(new FaultRule
        {
            Kind = FaultKind.ResetConnection, RequestKind = RequestKind.Upload, Method = "PUT", ObjectName = "big.bin",
            Skip = 2, AfterBytes = chunkSize / 2,
        });
        var triggered = Emulator.Faults.Triggered;

        // The client asks the session how much arrived (bytes */*) and resumes from there, in the same session.
        var progress = await uploader.UploadAsync();
        Assert.Null(progress.Exception);
        Assert.Equal(UploadStatus.Completed, progress.Status);
        Assert.Equal(triggered + 1, Emulator.Faults.Triggered);
        Assert.Equal(1, sessions);
        Assert.True(Emulator.Store.TryGetObject(bucket, "big.bin", out var stored));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(stored.Data));

        var output = new MemoryStream();
        await Client.DownloadObjectAsync(bucket, "big.bin", output);
        Assert.Equal(data.Length, output.Length);
    }

    [Fact]
    public async Task IfGenerationMatchZeroOnAnExistingObjectIs412()
    {
        var bucket = fixture.NewBucket();
        var first = await Client.UploadObjectAsync(bucket, "once.txt", "text/plain", new MemoryStream("v1"u8.ToArray()),
            new UploadObjectOptions { IfGenerationMatch = 0 });
        var e = await Assert.ThrowsAsync<GoogleApiException>(() => Client.UploadObjectAsync(bucket, "once.txt", "text/plain",
            new MemoryStream("v2"u8.ToArray()), new UploadObjectOptions { IfGenerationMatch = 0 }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, e.HttpStatusCode);
        var current = await Client.GetObjectAsync(bucket, "once.txt");
        Assert.Equal(first.Generation, current.Generation);

        // The matching generation lets the write through, and the generation grows.
        var second = await Client.UploadObjectAsync(bucket, "once.txt", "text/plain", new MemoryStream("v2"u8.ToArray()),
            new UploadObjectOptions { IfGenerationMatch = first.Generation });
        Assert.True(second.Generation > first.Generation);
        var stale = await Assert.ThrowsAsync<GoogleApiException>(() => Client.DeleteObjectAsync(bucket, "once.txt",
            new DeleteObjectOptions { IfGenerationMatch = first.Generation }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.HttpStatusCode);
        var patchStale = await Assert.ThrowsAsync<GoogleApiException>(() => Client.PatchObjectAsync(
            new Object { Bucket = bucket, Name = "once.txt", ContentType = "text/x" },
            new PatchObjectOptions { IfMetagenerationMatch = 7 }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, patchStale.HttpStatusCode);
    }

    [Fact]
    public async Task WrongCrc32cIsRefusedAndCreatesNothing()
    {
        var bucket = fixture.NewBucket();
        var data = "checked bytes"u8.ToArray();
        var wrong = new Object { Bucket = bucket, Name = "bad-crc.txt", Crc32c = Convert.ToBase64String([1, 2, 3, 4]) };
        var e = await Assert.ThrowsAsync<GoogleApiException>(() => Client.UploadObjectAsync(wrong, new MemoryStream(data)));
        Assert.Equal(HttpStatusCode.BadRequest, e.HttpStatusCode);
        Assert.False(Emulator.Store.TryGetObject(bucket, "bad-crc.txt", out _));
        var missing = await Assert.ThrowsAsync<GoogleApiException>(() => Client.GetObjectAsync(bucket, "bad-crc.txt"));
        Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatusCode);

        // The right CRC32C (big-endian, base64) is accepted.
        var crc = Crc32cBase64(data);
        var right = new Object { Bucket = bucket, Name = "good-crc.txt", Crc32c = crc };
        var uploaded = await Client.UploadObjectAsync(right, new MemoryStream(data));
        Assert.Equal(crc, uploaded.Crc32c);
    }

    [Fact]
    public async Task MetadataPatchMergesRemovesAndBumpsMetageneration()
    {
        var bucket = fixture.NewBucket();
        Emulator.Store.PutObject(bucket, "meta.txt", "x"u8.ToArray(), new Dictionary<string, string> { ["keep"] = "1", ["drop"] = "2" });
        var before = await Client.GetObjectAsync(bucket, "meta.txt");
        var patched = await Client.PatchObjectAsync(new Object
        {
            Bucket = bucket,
            Name = "meta.txt",
            Metadata = new Dictionary<string, string?> { ["add"] = "3", ["drop"] = null }!,
            ContentType = "text/plain",
        }, new PatchObjectOptions { IfMetagenerationMatch = before.Metageneration });
        Assert.Equal(new Dictionary<string, string> { ["keep"] = "1", ["add"] = "3" }, patched.Metadata);
        Assert.Equal("text/plain", patched.ContentType);
        Assert.Equal(before.Metageneration + 1, patched.Metageneration);
        Assert.Equal(before.Generation, patched.Generation);
        Assert.NotEqual(before.ETag, patched.ETag);

        // PUT replaces the whole set (the client sends the ETag as If-Match).
        patched.Metadata = new Dictionary<string, string> { ["only"] = "this" };
        var updated = await Client.UpdateObjectAsync(patched);
        Assert.Equal(new Dictionary<string, string> { ["only"] = "this" }, updated.Metadata);
        Assert.Equal(patched.Metageneration + 1, updated.Metageneration);

        // Over 8 KiB of custom metadata is refused.
        var tooBig = await Assert.ThrowsAsync<GoogleApiException>(() => Client.PatchObjectAsync(new Object
        {
            Bucket = bucket, Name = "meta.txt", Metadata = new Dictionary<string, string> { ["big"] = new string('x', 8200) },
        }));
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.HttpStatusCode);
    }

    [Fact]
    public async Task CopyMakesANewObjectWithTheSameBytesAndMetadata()
    {
        var bucket = fixture.NewBucket();
        var other = fixture.NewBucket();
        var data = RandomBytes(300_000, seed: 3);
        var source = await Client.UploadObjectAsync(new Object
        {
            Bucket = bucket, Name = "src/a.bin", ContentType = "application/x-test", Metadata = new Dictionary<string, string> { ["k"] = "v" },
        }, new MemoryStream(data));
        var copy = await Client.CopyObjectAsync(bucket, "src/a.bin", other, "dst/b.bin",
            new CopyObjectOptions { IfSourceGenerationMatch = source.Generation, IfGenerationMatch = 0 });
        Assert.Equal("dst/b.bin", copy.Name);
        Assert.Equal(source.Crc32c, copy.Crc32c);
        Assert.Equal(source.Md5Hash, copy.Md5Hash);
        Assert.Equal("application/x-test", copy.ContentType);
        Assert.Equal("v", copy.Metadata["k"]);
        var output = new MemoryStream();
        await Client.DownloadObjectAsync(other, "dst/b.bin", output);
        Assert.Equal(data, output.ToArray());

        var stale = await Assert.ThrowsAsync<GoogleApiException>(() => Client.CopyObjectAsync(bucket, "src/a.bin", other, "dst/c.bin",
            new CopyObjectOptions { IfSourceGenerationMatch = source.Generation + 1 }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.HttpStatusCode);
        var exists = await Assert.ThrowsAsync<GoogleApiException>(() => Client.CopyObjectAsync(bucket, "src/a.bin", other, "dst/b.bin",
            new CopyObjectOptions { IfGenerationMatch = 0 }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, exists.HttpStatusCode);
        var missing = await Assert.ThrowsAsync<GoogleApiException>(() => Client.CopyObjectAsync(bucket, "nope", other, "x"));
        Assert.Equal(HttpStatusCode.NotFound, missing.HttpStatusCode);
    }

    [Fact]
    public async Task DeleteRemovesTheObject()
    {
        var bucket = fixture.NewBucket();
        await Client.UploadObjectAsync(bucket, "gone.txt", null, new MemoryStream("bye"u8.ToArray()));
        await Client.DeleteObjectAsync(bucket, "gone.txt");
        var e = await Assert.ThrowsAsync<GoogleApiException>(() => Client.GetObjectAsync(bucket, "gone.txt"));
        Assert.Equal(HttpStatusCode.NotFound, e.HttpStatusCode);
        var again = await Assert.ThrowsAsync<GoogleApiException>(() => Client.DeleteObjectAsync(bucket, "gone.txt"));
        Assert.Equal(HttpStatusCode.NotFound, again.HttpStatusCode);
        Assert.Empty(Emulator.Store.ListObjectNames(bucket));
    }

    public static TheoryData<string> AwkwardNames() =>
    [
        "with space.txt", "100%.txt", "a+b.txt", "hash#tag", "what?.txt", "unicodé/日本語/😀.txt",
        "folder/", "a//b", "%2F literally", "./x", "../up", "&=;,@$!'()*",
    ];

    [Theory]
    [MemberData(nameof(AwkwardNames))]
    public async Task AwkwardNamesRoundTrip(string name)
    {
        var bucket = fixture.NewBucket();
        var data = Encoding.UTF8.GetBytes("content of " + name);
        var uploaded = await Client.UploadObjectAsync(bucket, name, "text/plain", new MemoryStream(data));
        Assert.Equal(name, uploaded.Name);
        Assert.Equal(name, (await Client.GetObjectAsync(bucket, name)).Name);
        var output = new MemoryStream();
        await Client.DownloadObjectAsync(bucket, name, output);
        Assert.Equal(data, output.ToArray());
        var listed = await Client.ListObjectsAsync(bucket, name).ToListAsync();
        Assert.Equal([name], listed.Select(o => o.Name));
        var patched = await Client.PatchObjectAsync(new Object { Bucket = bucket, Name = name, Metadata = new Dictionary<string, string> { ["n"] = name } });
        Assert.Equal(name, patched.Metadata["n"]);
        await Client.CopyObjectAsync(bucket, name, bucket, name + ".copy");
        Assert.True(Emulator.Store.TryGetObject(bucket, name + ".copy", out _));
        await Client.DeleteObjectAsync(bucket, name);
        Assert.Equal([name + ".copy"], Emulator.Store.ListObjectNames(bucket));
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static string Crc32cBase64(byte[] data) => GcsHash.ToBase64(Crc32C.Compute(data));
}
