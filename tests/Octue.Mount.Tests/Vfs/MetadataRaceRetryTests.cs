using Octue.Mount.Emulator;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// A metadata change that loses the metageneration race (someone else changed the object's metadata between its
/// stat and its patch) reads the object again and retries, as many times for a chmod as for an xattr or a directory's
/// attributes.
/// </summary>
public sealed class MetadataRaceRetryTests(VfsFixture fixture) : IClassFixture<VfsFixture>
{
    [Fact]
    public async Task A_chmod_that_loses_the_metadata_race_three_times_is_retried_until_it_is_stored()
    {
        var bucket = fixture.NewBucket("chmod-race");
        fixture.Put(bucket, "f.txt", "text");
        await using var mount = await MountedBucket.CreateAsync(fixture, $"gs://{bucket}");
        var file = await mount.Fs.LookupAsync(IFileSystem.RootId, "f.txt");
        Assert.True(file.IsOk);
        fixture.Emulator.Faults.Add(new FaultRule
        {
            Kind = FaultKind.Status, StatusCode = 412, RequestKind = RequestKind.Patch, Bucket = bucket, Times = 3,
        });
        try
        {
            var changed = await mount.Fs.SetAttributesAsync(file.Value.NodeId, null, new SetAttributes { Mode = 0b111_000_000 });

            Assert.True(changed.IsOk, $"chmod failed: {changed.Error}");
            Assert.Equal(0b111_000_000u, changed.Value.Mode & 0xFFF);
            Assert.Equal(0b111_000_000, Convert.ToInt32(fixture.Metadata(bucket, "f.txt")[PosixMetadata.ModeKey], 8) & 0xFFF);
        }
        finally
        {
            fixture.Emulator.Faults.Clear();
        }
    }
}
