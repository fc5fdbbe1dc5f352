using Microsoft.Extensions.Time.Testing;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// Every time the file system stamps (the mount time its directories show, a new directory's or link's mtime, a
/// written file's mtime) is read from the options' <see cref="TimeProvider"/>, never from the machine's clock.
/// </summary>
public sealed class MountClockTests : IClassFixture<VfsFixture>
{
    private static readonly DateTimeOffset Start = new(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);
    private readonly VfsFixture _fixture;

    public MountClockTests(VfsFixture fixture) => _fixture = fixture;

    private static long Ns(DateTimeOffset time) => PosixMetadata.ToNs(time);

    [Fact]
    public async Task The_mount_time_of_directories_without_a_placeholder_is_the_clocks()
    {
        var clock = new FakeTimeProvider(Start);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{_fixture.NewBucket()}", configure: o => o with { TimeProvider = clock });
        clock.Advance(TimeSpan.FromHours(1));

        var root = await mount.Fs.GetAttributesAsync(IFileSystem.RootId);
        Assert.True(root.IsOk);
        Assert.Equal(Ns(Start), root.Value.ModifiedNs);
    }

    [Fact]
    public async Task A_new_directory_and_a_new_link_carry_the_clocks_time()
    {
        var clock = new FakeTimeProvider(Start);
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{_fixture.NewBucket()}", configure: o => o with { TimeProvider = clock });

        clock.Advance(TimeSpan.FromMinutes(5));
        var made = await mount.Fs.MakeDirectoryAsync(IFileSystem.RootId, "made", 0b111_101_101);
        Assert.True(made.IsOk, $"mkdir failed with {made.Error}");
        Assert.Equal(Ns(Start.AddMinutes(5)), made.Value.ModifiedNs);

        clock.Advance(TimeSpan.FromMinutes(5));
        var link = await mount.Fs.SymlinkAsync(IFileSystem.RootId, "link", "made");
        Assert.True(link.IsOk, $"symlink failed with {link.Error}");
        Assert.Equal(Ns(Start.AddMinutes(10)), link.Value.ModifiedNs);
    }

    [Fact]
    public async Task A_written_file_shows_the_clocks_time_of_its_last_change_and_uploads_it()
    {
        var clock = new FakeTimeProvider(Start);
        var bucket = _fixture.NewBucket();
        await using var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}", configure: o => o with { TimeProvider = clock });

        var created = await mount.Fs.CreateAsync(IFileSystem.RootId, "notes.txt", 0b110_100_100, OpenFlags.Write);
        Assert.True(created.IsOk, $"create failed with {created.Error}");
        Assert.Equal(Ns(Start), created.Value.Attributes.ModifiedNs);

        clock.Advance(TimeSpan.FromMinutes(7));
        Assert.True((await mount.Fs.WriteAsync(created.Value.Handle, 0, "seven minutes on"u8.ToArray())).IsOk);
        var written = await mount.Fs.GetAttributesAsync(created.Value.Attributes.NodeId, created.Value.Handle);
        Assert.Equal(Ns(Start.AddMinutes(7)), written.Value.ModifiedNs);

        clock.Advance(TimeSpan.FromMinutes(1));
        var truncated = await mount.Fs.SetAttributesAsync(created.Value.Attributes.NodeId, created.Value.Handle, new SetAttributes { Size = 5 });
        Assert.True(truncated.IsOk, $"truncate failed with {truncated.Error}");
        Assert.Equal(Ns(Start.AddMinutes(8)), truncated.Value.ModifiedNs);

        Assert.Equal(VfsError.None, await mount.Fs.ReleaseAsync(created.Value.Handle));
        Assert.True(_fixture.Emulator.Store.TryGetObject(bucket, "notes.txt", out var stored));
        Assert.Equal(Start.AddMinutes(8).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            stored.Metadata["goog-reserved-file-mtime"]);
    }
}
