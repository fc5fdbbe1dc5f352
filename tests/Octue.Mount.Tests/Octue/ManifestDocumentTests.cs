using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

public sealed class ManifestDocumentTests
{
    [Fact]
    public void New_manifest_reads_and_is_written_identically()
    {
        var manifest = ManifestDocument.Parse(SpecExamples.NewManifest);
        Assert.Equal(SpecExamples.ManifestId, manifest.Id);
        Assert.Null(manifest.Name);
        var dataset = Assert.Single(manifest.Datasets);
        Assert.Equal("my_dataset", dataset.Key);
        Assert.Equal("gs://my-bucket/datasets/my-dataset", dataset.Value.Path);
        Assert.True(dataset.Value.IsCloud);
        Assert.Equal(SpecExamples.NewManifest, manifest.ToJson());
    }

    [Fact]
    public void Minimal_manifest_without_name_has_a_local_dataset()
    {
        var manifest = ManifestDocument.Parse(SpecExamples.MinimalManifest);
        Assert.Equal("8ead7669-8162-4f64-8cd5-4abe92509e17", manifest.Id);
        Assert.Null(manifest.Name);
        Assert.Equal("data/input/raw_met_mast_data", manifest.Datasets["raw_met_mast_data"].Path);
        Assert.False(manifest.Datasets["raw_met_mast_data"].IsCloud);
    }

    [Fact]
    public void Old_manifest_reads_by_keys()
    {
        var manifest = ManifestDocument.Parse(SpecExamples.OldManifest);
        Assert.Equal(SpecExamples.ManifestId, manifest.Id);
        Assert.Equal("gs://my-bucket/outputs/my-dataset", manifest.Datasets["my-dataset"].Path);
    }

    [Fact]
    public void Old_manifest_indices_that_disagree_with_names_are_matched_by_name()
    {
        var manifest = ManifestDocument.Parse("{\"datasets\": [\"gs://b/out/alpha\", \"gs://b/out/zulu\"], \"id\": \"m\", \"keys\": {\"zulu\": 0, \"alpha\": 1}}");
        Assert.Equal("gs://b/out/zulu", manifest.Datasets["zulu"].Path);
        Assert.Equal("gs://b/out/alpha", manifest.Datasets["alpha"].Path);
    }

    [Fact]
    public void Dataset_objects_with_files_in_any_bucket_read_and_write_sorted()
    {
        var json = "{\"id\": \"m\", \"name\": \"n\", \"datasets\": {\"d\": {\"tags\": {\"b\": 1.0}, \"path\": null, \"name\": \"d\", \"labels\": [\"x\"], \"id\": \"i\", \"files\": [\"gs://one/a.txt\", \"https://storage.googleapis.com/two/b.txt?x=1\"]}}}";
        var manifest = ManifestDocument.Parse(json);
        var dataset = manifest.Datasets["d"];
        Assert.Equal(new[] { "gs://one/a.txt", "https://storage.googleapis.com/two/b.txt?x=1" }, dataset.Files);
        Assert.Equal("i", dataset.Id);
        Assert.Equal(new[] { "x" }, dataset.Labels);
        Assert.Equal(
            "{\n    \"datasets\": {\n        \"d\": {\n            \"files\": [\n                \"gs://one/a.txt\",\n                \"https://storage.googleapis.com/two/b.txt?x=1\"\n            ],\n            \"id\": \"i\",\n            \"labels\": [\n                \"x\"\n            ],\n            \"name\": \"d\",\n            \"path\": null,\n            \"tags\": {\n                \"b\": 1.0\n            }\n        }\n    },\n    \"id\": \"m\",\n    \"name\": \"n\"\n}",
            manifest.ToJson());
    }

    [Theory]
    [InlineData("nope", "manifest")]
    [InlineData("[]", "manifest")]
    [InlineData("{\"datasets\": 5}", "manifest 'datasets'")]
    [InlineData("{\"datasets\": {\"d\": 5}}", "manifest 'datasets.d'")]
    [InlineData("{\"datasets\": {\"d\": {\"tags\": {}}}}", "manifest 'datasets.d'")]
    [InlineData("{\"datasets\": {\"d\": {\"files\": [3]}}}", "manifest 'datasets.d'")]
    [InlineData("{\"id\": 5, \"datasets\": {}}", "manifest 'id'")]
    [InlineData("{\"datasets\": [\"gs://b/a\"], \"keys\": {\"x\": 4}}", "manifest 'keys.x'")]
    [InlineData("{\"datasets\": [\"gs://b/a\"], \"keys\": {\"x\": \"0\"}}", "manifest 'keys.x'")]
    public void Malformed_manifests_are_refused_naming_the_field(string json, string field)
    {
        var error = Assert.Throws<OctueFormatException>(() => ManifestDocument.Parse(json));
        Assert.StartsWith(field, error.Field);
    }

    private static string Nested(int levels) => new string('[', levels) + new string(']', levels);

    [Fact]
    public void A_manifest_nested_ten_thousand_levels_deep_is_refused_as_too_deeply_nested_with_the_limit()
    {
        var json = "{\"id\": \"m\", \"datasets\": {\"d\": {\"tags\": {\"deep\": " + Nested(10_000) + "}}}}";
        var error = Assert.Throws<OctueFormatException>(() => ManifestDocument.Parse(json));
        Assert.Equal("manifest", error.Field);
        Assert.Contains("nested too deeply", error.Rule);
        Assert.Contains(OctueJsonText.MaxDepth.ToString(), error.Rule);
        Assert.DoesNotContain("valid JSON", error.Rule);
    }

    [Fact]
    public void Dataset_metadata_and_tags_nested_too_deeply_say_so_too()
    {
        var metadata = Assert.Throws<OctueFormatException>(() => DatasetMetadata.Parse("{\"dataset\": {\"tags\": {\"x\": " + Nested(500) + "}}}", ".octue"));
        Assert.Contains("nested too deeply", metadata.Rule);
        var tags = Assert.Throws<OctueFormatException>(() => TagDict.Parse("{\"x\": " + Nested(100) + "}"));
        Assert.Contains("nested too deeply", tags.Rule);
    }

    [Fact]
    public void Nesting_within_the_limit_is_read_and_broken_json_says_where_it_breaks()
    {
        var within = ManifestDocument.Parse("{\"id\": \"m\", \"datasets\": {\"d\": {\"path\": \"gs://b/d\", \"tags\": {\"deep\": " + Nested(50) + "}}}}");
        Assert.Equal("gs://b/d", within.Datasets["d"].Path);

        var broken = Assert.Throws<OctueFormatException>(() => ManifestDocument.Parse("{\"id\": \"m\",\n \"datasets\": {\"d\": }}"));
        Assert.Contains("must be valid JSON", broken.Rule);
        Assert.Contains("line 2", broken.Rule);
        // Brackets inside strings are text, not nesting.
        Assert.Equal(1, OctueJsonText.NestingDepth("{\"a\": \"[[[[\\\"{{{\"}", 100));
    }
}
