namespace Octue.Mount.Emulator.Tests;

/// <summary>The emulator's pure parts: ordering, ranges, page tokens, names, preconditions, listing.</summary>
public sealed class PureLogicTests
{
    [Fact]
    public void NamesSortByUtf8BytesNotUtf16Units()
    {
        var names = new List<string> { "\U0001F600", "\uFFFD", "b", "a/", "a", "a0", "\uE000" };
        names.Sort(Utf8OrdinalComparer.Instance);
        var byBytes = names.OrderBy(n => n, Comparer<string>.Create((x, y) =>
            ((ReadOnlySpan<byte>)System.Text.Encoding.UTF8.GetBytes(x)).SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y)))).ToList();
        Assert.Equal(byBytes, names);
        // The largest valid name (256 code points of U+10FFFF = 1024 bytes) still sorts below the listing's upper bound.
        var largest = string.Concat(Enumerable.Repeat("\U0010FFFF", 256));
        Assert.Null(GcsNameRules.CheckObjectName(largest));
        Assert.True(Utf8OrdinalComparer.Instance.Compare(largest, Utf8OrdinalComparer.AboveAllNames) < 0);
    }

    [Theory]
    [InlineData("POST", false, nameof(Operation.UploadStart))]
    [InlineData("POST", true, nameof(Operation.UploadChunk))]
    [InlineData("PUT", true, nameof(Operation.UploadChunk))]
    [InlineData("PUT", false, nameof(Operation.Unknown))]
    [InlineData("DELETE", true, nameof(Operation.UploadCancel))]
    [InlineData("GET", true, nameof(Operation.Unknown))]
    public void ASessionUriTakesChunksByPutOrPost(string method, bool hasUploadId, string expected)
    {
        Assert.Equal(expected, RouteParser.Parse(method, "/upload/storage/v1/b/bkt/o", hasUploadId, altMedia: false).Operation.ToString());
    }

    [Theory]
    [InlineData("bytes=0-9", 100, 0, 10)]
    [InlineData("bytes=90-", 100, 90, 10)]
    [InlineData("bytes=90-500", 100, 90, 10)]
    [InlineData("bytes=-5", 100, 95, 5)]
    [InlineData("bytes=-500", 100, 0, 100)]
    public void RangesResolveAgainstTheSize(string header, long size, long offset, long length)
    {
        var range = ByteRange.Parse(header, size, out var satisfiable);
        Assert.True(satisfiable);
        Assert.Equal(new ByteRange(offset, length), range);
    }

    [Theory]
    [InlineData("bytes=100-", 100)]
    [InlineData("bytes=-0", 100)]
    [InlineData("bytes=5-", 0)]
    public void RangesBeyondTheEndAreUnsatisfiable(string header, long size)
    {
        ByteRange.Parse(header, size, out var satisfiable);
        Assert.False(satisfiable);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("bytes=0-1,5-6")]
    [InlineData("items=0-1")]
    public void AbsentOrMultipleRangesMeanTheWholeObject(string? header)
    {
        Assert.Null(ByteRange.Parse(header, 100, out var satisfiable));
        Assert.True(satisfiable);
        Assert.Null(ByteRange.Parse("bytes=0-", 0, out var empty));
        Assert.True(empty);
    }

    [Fact]
    public void ContentRangesOfResumableUploadsParse()
    {
        Assert.Equal(new ContentRange(0, 99, 1000), ContentRange.Parse("bytes 0-99/1000"));
        Assert.Equal(new ContentRange(100, 199, null), ContentRange.Parse("bytes 100-199/*"));
        Assert.Equal(new ContentRange(5, null, null), ContentRange.Parse("bytes 5-*/*"));
        Assert.True(ContentRange.Parse("bytes */1000").IsStatusQuery);
        Assert.Equal(1000, ContentRange.Parse("bytes */1000").Total);
        Assert.True(ContentRange.Parse("bytes */*").IsStatusQuery);
        var e = Assert.Throws<GcsException>(() => ContentRange.Parse("bytes 9-1/10"));
        Assert.Equal(400, e.StatusCode);
        Assert.Throws<GcsException>(() => ContentRange.Parse("0-1/2"));
    }

    [Fact]
    public void PageTokensRoundTripAndRejectGarbage()
    {
        var token = new PageToken("dir/ü", LastWasPrefix: true);
        Assert.True(PageToken.TryDecode(token.Encode(), out var decoded));
        Assert.Equal(token, decoded);
        Assert.False(PageToken.TryDecode("!!", out _));
        Assert.False(PageToken.TryDecode("", out _));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a\nb", false)]
    [InlineData("./x", true)]
    [InlineData("a//b", true)]
    [InlineData("dir/", true)]
    public void ObjectNamesFollowGcsRules(string name, bool valid) => Assert.Equal(valid, GcsNameRules.CheckObjectName(name) is null);

    [Fact]
    public void ObjectNamesAreLimitedTo1024Utf8Bytes()
    {
        Assert.Null(GcsNameRules.CheckObjectName(new string('é', 512)));
        Assert.NotNull(GcsNameRules.CheckObjectName(new string('é', 513)));
    }

    [Theory]
    [InlineData("my-bucket", true)]
    [InlineData("a.b_c-1", true)]
    [InlineData("ab", false)]
    [InlineData("Upper", false)]
    [InlineData("-start", false)]
    [InlineData("has space", false)]
    public void BucketNamesFollowGcsRules(string name, bool valid) => Assert.Equal(valid, GcsNameRules.CheckBucketName(name) is null);

    [Fact]
    public void PreconditionsTreatAMissingObjectAsGenerationZero()
    {
        var obj = new StoredObject { Bucket = "b", Name = "n", Data = [], Generation = 5, Metageneration = 2, Crc32c = 0 };
        Assert.True(new Preconditions(0, null, null, null).IsSatisfiedBy(null));
        Assert.False(new Preconditions(0, null, null, null).IsSatisfiedBy(obj));
        Assert.True(new Preconditions(5, null, 2, null).IsSatisfiedBy(obj));
        Assert.False(new Preconditions(null, 5, null, null).IsSatisfiedBy(obj));
        Assert.False(new Preconditions(null, 0, null, null).IsSatisfiedBy(null));
        Assert.False(new Preconditions(null, null, 1, null).IsSatisfiedBy(obj));
        Assert.False(new Preconditions(null, null, 1, null).IsSatisfiedBy(null));
        Assert.False(new Preconditions(null, null, null, 2).IsSatisfiedBy(obj));
        Assert.True(Preconditions.None.IsSatisfiedBy(null));
    }

    [Fact]
    public void ListingPagesNeverRepeatOrSkipEntries()
    {
        var store = new EmulatorStore();
        store.CreateBucket("pages");
        var names = new List<string>();
        for (var i = 0; i < 57; i++)
        {
            var name = i % 3 == 0 ? $"dir{i % 7}/f{i}" : $"f{i:D3}";
            names.Add(name);
            store.PutObject("pages", name, [1]);
        }
        foreach (var delimiter in new string?[] { null, "/" })
        {
            foreach (var pageSize in new[] { 1, 2, 5, 1000 })
            {
                var seen = new List<string>();
                PageToken? token = null;
                while (true)
                {
                    var page = store.List("pages", new ListQuery { Delimiter = delimiter, MaxResults = pageSize }, token).Value!;
                    Assert.True(page.Items.Count + page.Prefixes.Count <= pageSize);
                    seen.AddRange(page.Items.Select(o => o.Name));
                    seen.AddRange(page.Prefixes);
                    if (page.NextPageToken is null)
                        break;
                    Assert.True(PageToken.TryDecode(page.NextPageToken, out var next));
                    token = next;
                }
                var expected = delimiter is null
                    ? names
                    : names.Select(n => n.Contains('/') ? n[..(n.IndexOf('/') + 1)] : n).Distinct().ToList();
                Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
                Assert.Equal(seen.Count, seen.Distinct().Count());
            }
        }
    }
}

public sealed class ResumableSessionLifetimeTests
{
    [Fact]
    public void IdleSessionsAreDroppedWhenAnotherOpens()
    {
        var clock = new ManualClock();
        var uploads = new ResumableUploads(clock);
        var attributes = new ObjectAttributes();
        var idle = uploads.Open("b", "idle", attributes, Preconditions.None, default, 1024);
        var active = uploads.Open("b", "active", attributes, Preconditions.None, default, null);

        clock.Now += TimeSpan.FromMinutes(50);
        Assert.NotNull(uploads.Find(active.Id));
        clock.Now += TimeSpan.FromMinutes(20);
        uploads.Open("b", "new", attributes, Preconditions.None, default, null);

        Assert.Null(uploads.Find(idle.Id));
        Assert.NotNull(uploads.Find(active.Id));
        Assert.Equal(2, uploads.Count);
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
