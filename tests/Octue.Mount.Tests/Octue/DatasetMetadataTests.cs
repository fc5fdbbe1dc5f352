using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

public sealed class DatasetMetadataTests
{
    [Fact]
    public void New_octue_file_reads_back_and_is_written_identically()
    {
        var metadata = DatasetMetadata.Parse(SpecExamples.NewOctue, ".octue");
        Assert.Equal(SpecExamples.DatasetId, metadata.Id);
        Assert.Equal("my-dataset", metadata.Name);
        Assert.Equal(108346, metadata.Tags["location"]!.GetValue<int>());
        Assert.Equal(new[] { "offshore" }, metadata.Labels);
        Assert.Equal("gs://my-bucket/datasets/my-dataset", metadata.Path);
        Assert.Null(metadata.Files);
        Assert.Equal(SpecExamples.NewOctue, metadata.ToOctueJson());
    }

    [Fact]
    public void Octue_file_with_a_double_space_reads()
    {
        var metadata = DatasetMetadata.Parse(SpecExamples.OctueWithDoubleSpace, ".octue");
        Assert.Equal("configuration_dataset", metadata.Name);
        Assert.Equal("metadata", metadata.Tags["some"]!.GetValue<string>());
        Assert.Empty(metadata.Labels);
        Assert.Equal(SpecExamples.OctueWithDoubleSpace.Replace("\"some\":  ", "\"some\": "), metadata.ToOctueJson());
    }

    [Fact]
    public void Old_dataset_json_reads_with_its_file_list()
    {
        foreach (var name in new[] { "dataset.json", "dataset_metadata.json" })
        {
            var metadata = DatasetMetadata.Parse(SpecExamples.OldDatasetJson, name);
            Assert.Equal(SpecExamples.DatasetId, metadata.Id);
            Assert.Equal("my-dataset", metadata.Name);
            Assert.Equal(new[] { "gs://my-bucket/outputs/my-dataset/file_0.txt", "gs://my-bucket/outputs/my-dataset/file_1.txt" }, metadata.Files);
            Assert.Empty(metadata.Tags);
            Assert.Empty(metadata.Labels);
        }
    }

    [Fact]
    public void Old_python_repr_tag_strings_become_label_like_names()
    {
        var metadata = DatasetMetadata.Parse("{\"id\": \"x\", \"name\": \"d\", \"tags\": \"['x', 'y:z']\"}", "dataset.json");
        Assert.Equal(new[] { "x", "y:z" }, metadata.Labels);
    }

    [Fact]
    public void Files_list_is_written_after_path()
    {
        var metadata = new DatasetMetadata { Id = "i", Name = "n", Path = "gs://b/n", Files = ["gs://b/n/a", "gs://c/x"], Labels = { "b", "a" } };
        Assert.Equal("{\"dataset\": {\"id\": \"i\", \"name\": \"n\", \"tags\": {}, \"labels\": [\"a\", \"b\"], \"path\": \"gs://b/n\", \"files\": [\"gs://b/n/a\", \"gs://c/x\"]}}", metadata.ToOctueJson());
        Assert.Equal(metadata.Files, DatasetMetadata.Parse(metadata.ToOctueJson(), ".octue").Files);
    }

    [Theory]
    [InlineData("not json", "'.octue'")]
    [InlineData("[1, 2]", "'.octue'")]
    [InlineData("{\"dataset\": 3}", "'dataset'")]
    [InlineData("{\"dataset\": {\"tags\": 5}}", "'tags'")]
    [InlineData("{\"dataset\": {\"name\": 5}}", "'name'")]
    [InlineData("{\"dataset\": {\"files\": \"gs://b/x\"}}", "'files'")]
    [InlineData("{\"dataset\": {\"files\": [\"/local/x\"]}}", "'files'")]
    [InlineData("{\"dataset\": {\"labels\": 7}}", "'labels'")]
    public void Malformed_octue_files_are_refused_naming_the_field(string json, string field)
    {
        var error = Assert.Throws<OctueFormatException>(() => DatasetMetadata.Parse(json, ".octue"));
        Assert.Contains(field, error.Field);
    }

    [Fact]
    public void Invalid_labels_are_refused_before_writing()
    {
        var metadata = DatasetMetadata.Parse("{\"tags\": \"['y:z']\"}", "dataset.json");
        Assert.Throws<OctueFormatException>(() => metadata.ToOctueJson());
    }
}
