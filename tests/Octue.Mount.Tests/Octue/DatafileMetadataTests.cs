using System.Text.Json.Nodes;
using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

public sealed class DatafileMetadataTests
{
    [Fact]
    public void New_format_example_reads_back_to_the_stated_values()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(SpecExamples.NewDatafileMetadata);
        Assert.Equal(SpecExamples.DatafileId, metadata.Id);
        Assert.Equal(SpecExamples.DatafileTimestamp, metadata.Timestamp);
        Assert.Equal("Vestas", metadata.Tags["manufacturer"]!.GetValue<string>());
        Assert.Equal(110.5, metadata.Tags["height"]!.GetValue<double>());
        Assert.True(metadata.Tags["is_cleaned"]!.GetValue<bool>());
        Assert.Equal("{\"a\": [1, 2]}", new TagDict { ["x"] = metadata.Tags["nested"] }.ToJson()["{\"x\": ".Length..^1]);
        Assert.Equal(new[] { "met-mast", "wind" }, metadata.Labels);
        Assert.Equal("0.69.0", metadata.SdkVersion);
        Assert.Empty(metadata.Other);
    }

    [Fact]
    public void What_we_write_matches_the_new_format_key_for_key()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(SpecExamples.NewDatafileMetadata);
        var written = metadata.ToObjectMetadata();
        Assert.Equal(SpecExamples.NewDatafileMetadata.Keys, written.Keys);
        foreach (var key in new[] { "octue__id", "octue__timestamp", "octue__tags", "octue__labels" })
            Assert.Equal(SpecExamples.NewDatafileMetadata[key], written[key]);
        Assert.Equal("\"" + DatafileMetadata.WriterVersion + "\"", written["octue__sdk_version"]);
    }

    [Fact]
    public void An_empty_datafile_is_written_as_the_spec_shows()
    {
        var written = new DatafileMetadata { Id = SpecExamples.DatafileId }.ToObjectMetadata();
        foreach (var key in new[] { "octue__id", "octue__timestamp", "octue__tags", "octue__labels" })
            Assert.Equal(SpecExamples.EmptyNewDatafileMetadata[key], written[key]);
        var back = DatafileMetadata.FromObjectMetadata(SpecExamples.EmptyNewDatafileMetadata);
        Assert.Null(back.Timestamp);
        Assert.Empty(back.Tags);
        Assert.Empty(back.Labels);
    }

    [Fact]
    public void Old_format_example_reads_back_to_the_stated_values()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(SpecExamples.OldDatafileMetadata);
        Assert.Equal(SpecExamples.DatafileId, metadata.Id);
        Assert.Equal(SpecExamples.DatafileTimestamp, metadata.Timestamp);
        Assert.Empty(metadata.Tags);
        Assert.Equal(new[] { "blah:shah:nah", "hello" }, metadata.Labels);
        Assert.Equal(new[] { "cluster", "hash_value", "sequence" }, metadata.Other.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(SpecExamples.OldDatafileMetadata["hash_value"], metadata.Other["hash_value"]);
    }

    [Fact]
    public void Old_timestamps_may_be_null()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(new Dictionary<string, string> { ["timestamp"] = "null" });
        Assert.Null(metadata.Timestamp);
    }

    [Fact]
    public void Raw_strings_of_the_intermediate_era_are_kept()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(new Dictionary<string, string>
        {
            ["octue__id"] = "a10603a0-194c-40d0-a7b7-fcf9952c3690",
            ["octue__timestamp"] = "2021-03-08 19:39:21.123456+00:00",
            ["octue__tags"] = "blah:shah:nah hello",
            ["octue__sdk_version"] = "0.1.17",
        });
        Assert.Equal(SpecExamples.DatafileId, metadata.Id);
        Assert.Equal(SpecExamples.DatafileTimestamp, metadata.Timestamp);
        Assert.Equal(new[] { "blah:shah:nah", "hello" }, metadata.Labels);
        Assert.Equal("0.1.17", metadata.SdkVersion);
    }

    [Fact]
    public void Naive_timestamps_are_utc()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(new Dictionary<string, string>
        {
            ["octue__timestamp"] = "{\"_type\": \"datetime\", \"value\": \"2021-03-08T19:39:21\"}",
        });
        Assert.Equal(new DateTimeOffset(2021, 3, 8, 19, 39, 21, TimeSpan.Zero), metadata.Timestamp);
        Assert.Equal(TimeSpan.Zero, metadata.Timestamp!.Value.Offset);
    }

    [Fact]
    public void Timestamps_without_microseconds_are_written_without_them()
    {
        var written = new DatafileMetadata { Timestamp = new DateTimeOffset(2021, 3, 8, 20, 39, 21, TimeSpan.FromHours(1)) }.ToObjectMetadata();
        Assert.Equal("{\"_type\": \"datetime\", \"value\": \"2021-03-08T19:39:21+00:00\"}", written["octue__timestamp"]);
    }

    [Fact]
    public void The_prefixed_key_wins_and_foreign_keys_are_kept()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(new Dictionary<string, string>
        {
            ["octue__id"] = "\"new\"",
            ["id"] = "\"old\"",
            ["goog-reserved-file-mtime"] = "1615232361",
        });
        Assert.Equal("new", metadata.Id);
        Assert.Equal("\"old\"", metadata.Other["id"]);
        Assert.Equal("1615232361", metadata.Other["goog-reserved-file-mtime"]);
        var merged = metadata.ToMergedObjectMetadata();
        Assert.Equal("1615232361", merged["goog-reserved-file-mtime"]);
        Assert.Equal("\"new\"", merged["octue__id"]);
    }

    [Fact]
    public void No_custom_metadata_is_a_valid_datafile()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(new Dictionary<string, string>());
        Assert.Null(metadata.Id);
        Assert.Null(metadata.Timestamp);
        Assert.Empty(metadata.Tags);
        Assert.Empty(metadata.Labels);
    }

    [Fact]
    public void Unicode_tags_are_ascii_escaped_and_round_trip()
    {
        var metadata = new DatafileMetadata { Tags = { ["place"] = "Zürich 風" } };
        var written = metadata.ToObjectMetadata();
        Assert.Equal("{\"place\": \"Z\\u00fcrich \\u98a8\"}", written["octue__tags"]);
        Assert.Equal("Zürich 風", DatafileMetadata.FromObjectMetadata(written).Tags["place"]!.GetValue<string>());
    }

    [Fact]
    public void Oversized_metadata_is_refused_with_the_limit_named()
    {
        var metadata = new DatafileMetadata { Tags = { ["blob"] = new string('x', 9000) } };
        var error = Assert.Throws<OctueFormatException>(() => metadata.ToObjectMetadata());
        Assert.Contains("8 KiB", error.Rule);
    }

    [Fact]
    public void Old_tag_names_read_from_storage_are_refused_on_write_with_a_clear_error()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(SpecExamples.OldDatafileMetadata);
        var error = Assert.Throws<OctueFormatException>(() => metadata.ToObjectMetadata());
        Assert.Contains("blah:shah:nah", error.Field);
    }

    [Fact]
    public void Tag_values_with_octue_types_are_kept()
    {
        var metadata = DatafileMetadata.FromObjectMetadata(new Dictionary<string, string>
        {
            ["octue__tags"] = "{\"when\": {\"_type\": \"datetime\", \"value\": \"2021-03-08T19:39:21+00:00\"}, \"n\": 1}",
        });
        Assert.IsType<JsonObject>(metadata.Tags["when"]);
        Assert.Equal("{\"when\": {\"_type\": \"datetime\", \"value\": \"2021-03-08T19:39:21+00:00\"}, \"n\": 1}", metadata.ToObjectMetadata()["octue__tags"]);
    }
}
