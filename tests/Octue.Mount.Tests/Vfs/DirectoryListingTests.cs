using Octue.Mount.Storage;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>Changes this mount makes, kept beside a listing: lookups and the merged entries agree with a relisting.</summary>
public sealed class DirectoryListingTests
{
    private static ListingEntry File(string name) =>
        new(name, NodeKind.File, new ObjectInfo { Bucket = "b", Name = "d/" + name, Size = name.Length }, "b", "d/" + name);

    private static ListingEntry Folder(string name, ObjectInfo? placeholder = null) =>
        new(name, NodeKind.Directory, null, "b", "d/" + name + "/") { Placeholder = placeholder };

    [Fact]
    public void Added_and_removed_names_show_in_lookups_and_in_name_order_without_touching_the_snapshot()
    {
        var listed = new DirectoryListing(new List<ListingEntry> { File("b"), File("d"), Folder("f") }, null);
        var changed = listed.With(File("a")).With(File("c")).Without("d").With(File("e")).With(File("z")).Without("missing");

        Assert.Equal(new[] { "a", "b", "c", "e", "f", "z" }, changed.Entries.Select(e => e.Name));
        Assert.True(changed.TryGet("c", out var c) && c.Kind == NodeKind.File);
        Assert.False(changed.TryGet("d", out _));
        Assert.Equal(new[] { "b", "d", "f" }, listed.Entries.Select(e => e.Name));
        Assert.True(listed.TryGet("d", out _));

        var readded = changed.With(File("d"));
        Assert.Equal(new[] { "a", "b", "c", "d", "e", "f", "z" }, readded.Entries.Select(e => e.Name));
    }

    [Fact]
    public void A_file_never_hides_a_directory_of_the_same_name_and_a_directory_keeps_its_placeholder()
    {
        var placeholder = new ObjectInfo { Bucket = "b", Name = "d/f/", Generation = 7 };
        var listed = new DirectoryListing(new List<ListingEntry> { Folder("f", placeholder), File("g") }, null);

        var changed = listed.With(File("f")).With(Folder("f"));
        Assert.True(changed.TryGet("f", out var f));
        Assert.Equal(NodeKind.Directory, f.Kind);
        Assert.Same(placeholder, f.Placeholder);

        // A directory replaces a file shown under its name, as a listing shows the directory.
        var withFolder = changed.With(Folder("g"));
        Assert.True(withFolder.TryGet("g", out var g));
        Assert.Equal(NodeKind.Directory, g.Kind);
        Assert.Equal(new[] { "f", "g" }, withFolder.Entries.Select(e => e.Name));
    }
}
