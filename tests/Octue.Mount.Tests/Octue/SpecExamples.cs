namespace Octue.Mount.Tests.Octue;

/// <summary>The example objects of spec/octue-format.md, verbatim.</summary>
internal static class SpecExamples
{
    public static readonly Dictionary<string, string> NewDatafileMetadata = new()
    {
        ["octue__id"] = "\"a10603a0-194c-40d0-a7b7-fcf9952c3690\"",
        ["octue__timestamp"] = "{\"_type\": \"datetime\", \"value\": \"2021-03-08T19:39:21.123456+00:00\"}",
        ["octue__tags"] = "{\"manufacturer\": \"Vestas\", \"height\": 110.5, \"is_cleaned\": true, \"nested\": {\"a\": [1, 2]}}",
        ["octue__labels"] = "{\"_type\": \"set\", \"items\": [\"met-mast\", \"wind\"]}",
        ["octue__sdk_version"] = "\"0.69.0\"",
    };

    public static readonly Dictionary<string, string> EmptyNewDatafileMetadata = new()
    {
        ["octue__id"] = "\"a10603a0-194c-40d0-a7b7-fcf9952c3690\"",
        ["octue__timestamp"] = "null",
        ["octue__tags"] = "{}",
        ["octue__labels"] = "{\"_type\": \"set\", \"items\": []}",
        ["octue__sdk_version"] = "\"0.69.0\"",
    };

    public static readonly Dictionary<string, string> OldDatafileMetadata = new()
    {
        ["timestamp"] = "1615232361.123456",
        ["id"] = "\"a10603a0-194c-40d0-a7b7-fcf9952c3690\"",
        ["hash_value"] = "\"56871f17ed4cd62aae848088c4a471deb35184ca38d49ce05fd7307f1898b7e2\"",
        ["cluster"] = "0",
        ["sequence"] = "0",
        ["tags"] = "[\"blah:shah:nah\", \"hello\"]",
    };

    public const string DatafileId = "a10603a0-194c-40d0-a7b7-fcf9952c3690";
    public static readonly DateTimeOffset DatafileTimestamp = new DateTimeOffset(2021, 3, 8, 19, 39, 21, TimeSpan.Zero).AddTicks(1234560);

    public const string NewOctue = "{\"dataset\": {\"id\": \"5eb88462-7295-4a8e-90de-82bdf3241903\", \"name\": \"my-dataset\", \"tags\": {\"location\": 108346}, \"labels\": [\"offshore\"], \"path\": \"gs://my-bucket/datasets/my-dataset\"}}";

    public const string OctueWithDoubleSpace = "{\"dataset\": {\"id\": \"5eb88462-7295-4a8e-90de-82bdf3241903\", \"name\": \"configuration_dataset\", \"tags\": {\"some\":  \"metadata\"}, \"labels\": [], \"path\": \"gs://octue-sdk-python-test-bucket/crash_diagnostics/4b91e3f0-4492-49e3-8061-34f1942dc68a/configuration_manifest_datasets/configuration_dataset\"}}";

    public const string OldDatasetJson = "{\"files\": [\"gs://my-bucket/outputs/my-dataset/file_0.txt\", \"gs://my-bucket/outputs/my-dataset/file_1.txt\"], \"hash_value\": \"3cceb1b5d15427d5570fb1b171c84f530618de10d02964cdbd4f7c37eb4a2e14\", \"id\": \"5eb88462-7295-4a8e-90de-82bdf3241903\", \"name\": \"my-dataset\", \"tags\": \"[]\"}";

    public const string DatasetId = "5eb88462-7295-4a8e-90de-82bdf3241903";

    public const string NewManifest = "{\n    \"datasets\": {\n        \"my_dataset\": \"gs://my-bucket/datasets/my-dataset\"\n    },\n    \"id\": \"dab88335-d739-4899-8eec-13ffdb5921fd\",\n    \"name\": null\n}";

    public const string MinimalManifest = "{\"id\": \"8ead7669-8162-4f64-8cd5-4abe92509e17\", \"datasets\": {\"raw_met_mast_data\": \"data/input/raw_met_mast_data\"}}";

    public const string OldManifest = "{\"datasets\": [\"gs://my-bucket/outputs/my-dataset\"], \"hash_value\": \"67df\", \"id\": \"dab88335-d739-4899-8eec-13ffdb5921fd\", \"keys\": {\"my-dataset\": 0}}";

    public const string ManifestId = "dab88335-d739-4899-8eec-13ffdb5921fd";

    public static readonly string[] ValidLabels = ["hello", "hello-world", "blah-35"];
    public static readonly string[] InvalidLabels = [":a", "@", "a_b", "-bah", "humbug:", "back\\slashy", "/a", "a/", "HELLO-WORLD"];
    public static readonly string[] InvalidTagNames = [".blah.", "@", "@@@", "-bah", "SHOUTY", "a-b", "trailing_"];
}
