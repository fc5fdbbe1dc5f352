using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Octue;

namespace Octue.Mount.Cli.Demo;

/// <summary>
/// The sample the demo mounts: a bucket with two Octue datasets of tagged, labelled datafiles, a manifest naming
/// them, and a third dataset in a second bucket that only the manifest brings in. Written in the current Octue
/// format, as the Python SDK writes it.
/// </summary>
internal static class DemoData
{
    public const string Bucket = "octue-demo";
    public const string SecondBucket = "octue-demo-lidar";
    public const string ManifestObject = "manifests/site-assessment.json";

    public static void Seed(EmulatorStore store)
    {
        store.CreateBucket(Bucket);
        store.CreateBucket(SecondBucket);

        Put(store, Bucket, "README.txt", "A sample Octue bucket served by the embedded emulator.\nTry: getfattr -d -m - datasets/met-mast/2024-01.csv\n");

        PutDataset(store, Bucket, "datasets/met-mast", "7c1e5a1e-4f0e-4a7b-9a53-2f1a8c4d0b11", "met-mast",
            "{\"site\": \"north-ridge\", \"height_m\": 80}", ["met-mast", "wind"]);
        PutDatafile(store, Bucket, "datasets/met-mast/2024-01.csv", Csv("2024-01", 31), "1b0f3c52-7d36-4b5e-8c7a-0f6f9b2c6a01",
            "{\"month\": 1, \"instrument\": \"cup-anemometer\", \"is_cleaned\": true}", ["wind", "raw"]);
        PutDatafile(store, Bucket, "datasets/met-mast/2024-02.csv", Csv("2024-02", 29), "2c1a4d63-8e47-4c6f-9d8b-1a7a0c3d7b02",
            "{\"month\": 2, \"instrument\": \"cup-anemometer\", \"is_cleaned\": false}", ["wind", "raw"]);
        PutDatafile(store, Bucket, "datasets/met-mast/calibration/cup-2024.json", "{\"slope\": 0.0471, \"offset\": 0.23}\n",
            "3d2b5e74-9f58-4d70-8e9c-2b8b1d4e8c03", "{\"certificate\": \"C-2024-117\"}", ["calibration"]);

        PutDataset(store, Bucket, "datasets/turbine-power", "8d2f6b2f-5a1f-4b8c-8b64-3a2b9d5e1c22", "turbine-power",
            "{\"turbine\": \"T07\", \"rated_kw\": 3600}", ["power"]);
        PutDatafile(store, Bucket, "datasets/turbine-power/power-curve.csv", PowerCurve(), "4e3c6f85-a069-4e81-9fad-3c9c2e5f9d04",
            "{\"turbine\": \"T07\", \"air_density\": 1.225}", ["power", "processed"]);

        PutDataset(store, SecondBucket, "datasets/lidar-scan", "9e3a7c3a-6b2a-4c9d-9c75-4b3caf6f2d33", "lidar-scan",
            "{\"scanner\": \"WindCube\", \"range_m\": 200}", ["lidar"]);
        PutDatafile(store, SecondBucket, "datasets/lidar-scan/scan-001.json", "{\"heights\": [40, 80, 120], \"speeds\": [6.1, 7.4, 8.2]}\n",
            "5f4d7096-b17a-4f92-8abe-4dad3f6a0e05", "{\"scan\": 1}", ["lidar", "raw"]);
        PutDatafile(store, SecondBucket, "datasets/lidar-scan/scan-002.json", "{\"heights\": [40, 80, 120], \"speeds\": [5.8, 7.0, 7.9]}\n",
            "6a5e81a7-c28b-4fa3-9bcf-5ebe4a7b1f06", "{\"scan\": 2}", ["lidar", "raw"]);

        var manifest = $$"""
            {
                "datasets": {
                    "lidar": "gs://{{SecondBucket}}/datasets/lidar-scan",
                    "met_mast": "gs://{{Bucket}}/datasets/met-mast",
                    "turbine_power": "gs://{{Bucket}}/datasets/turbine-power"
                },
                "id": "a6f0c2d4-3b1e-4e5f-8a9b-0c1d2e3f4a5b",
                "name": "site-assessment"
            }
            """;
        Put(store, Bucket, ManifestObject, manifest, "application/json");
    }

    private static void PutDataset(EmulatorStore store, string bucket, string path, string id, string name, string tagsJson, string[] labels)
    {
        var metadata = new DatasetMetadata
        {
            Id = id,
            Name = name,
            Tags = TagDict.Parse(tagsJson),
            Labels = new LabelSet(labels),
            Path = $"gs://{bucket}/{path}",
        };
        Put(store, bucket, $"{path}/{DatasetMetadata.OctueFileName}", metadata.ToOctueJson(), "application/json");
    }

    private static void PutDatafile(EmulatorStore store, string bucket, string name, string content, string id, string tagsJson, string[] labels)
    {
        var metadata = new DatafileMetadata
        {
            Id = id,
            Timestamp = new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero),
            Tags = TagDict.Parse(tagsJson),
            Labels = new LabelSet(labels),
        };
        var contentType = name.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "text/csv";
        store.PutObject(bucket, name, Encoding.UTF8.GetBytes(content), metadata.ToObjectMetadata(), contentType);
    }

    private static void Put(EmulatorStore store, string bucket, string name, string content, string contentType = "text/plain") =>
        store.PutObject(bucket, name, Encoding.UTF8.GetBytes(content), null, contentType);

    private static string Csv(string month, int days)
    {
        var text = new StringBuilder("timestamp,wind_speed_m_s,direction_deg\n");
        for (var day = 1; day <= days; day++)
        {
            var speed = 6 + 3 * Math.Sin(day / 4.0);
            text.Append($"{month}-{day:00}T00:00:00Z,{speed:0.00},{(day * 37) % 360}\n");
        }
        return text.ToString();
    }

    private static string PowerCurve()
    {
        var text = new StringBuilder("wind_speed_m_s,power_kw\n");
        for (var speed = 3; speed <= 25; speed++)
            text.Append($"{speed},{Math.Min(3600, (int)(3600 * Math.Pow((speed - 3) / 9.0, 3)))}\n");
        return text.ToString();
    }
}
