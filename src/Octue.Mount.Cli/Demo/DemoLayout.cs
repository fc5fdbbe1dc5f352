namespace Octue.Mount.Cli.Demo;

/// <summary>Where the demo mounts: DIR/bucket for the sample bucket, DIR/manifest for the manifest.</summary>
internal sealed record DemoLayout(string Root, string BucketMount, string ManifestMount)
{
    public static DemoLayout Under(string root) =>
        new(root, Path.Combine(root, "bucket"), Path.Combine(root, "manifest"));
}
