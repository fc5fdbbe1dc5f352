using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// Inode numbers (st_ino) stay with a name when the kernel forgets it and across remounts, follow a node through a
/// rename, and stay unique among live nodes; node ids (FUSE's handles) are another thing and change.
/// </summary>
public sealed class InodeNumberTests : IClassFixture<VfsFixture>
{
    private readonly VfsFixture _fixture;

    public InodeNumberTests(VfsFixture fixture) => _fixture = fixture;

    private static (NodeTable Table, Node Root) NewTable()
    {
        var root = new Node(IFileSystem.RootId, NodeKind.Directory, null, "", "b", "");
        return (new NodeTable(root), root);
    }

    private static Node Add(NodeTable table, Node parent, string name, NodeKind kind, long lookups) =>
        table.GetOrAdd(parent, name, kind, id => new Node(id, kind, parent, name, "b", parent.ObjectName + name + (kind == NodeKind.Directory ? "/" : "")), lookups);

    [Fact]
    public void A_forgotten_name_gets_a_new_node_id_and_its_old_inode_number()
    {
        var (table, root) = NewTable();
        var dir = Add(table, root, "d", NodeKind.Directory, 1);
        var file = Add(table, dir, "f", NodeKind.File, 1);
        Assert.NotEqual(file.Inode, dir.Inode);
        Assert.True(file.Inode > 1 && file.Inode <= long.MaxValue);
        var (inode, id) = (file.Inode, file.Id);
        table.Forget(file.Id, 1);
        table.Forget(dir.Id, 1);
        Assert.Null(table.Get(id));

        var dirAgain = Add(table, root, "d", NodeKind.Directory, 1);
        var again = Add(table, dirAgain, "f", NodeKind.File, 1);
        Assert.NotEqual(id, again.Id);
        Assert.Equal(inode, again.Inode);
        // A second table (a remount) derives the same numbers.
        var (other, otherRoot) = NewTable();
        Assert.Equal(inode, Add(other, Add(other, otherRoot, "d", NodeKind.Directory, 1), "f", NodeKind.File, 1).Inode);
    }

    [Fact]
    public void A_renamed_node_keeps_its_number_under_its_new_name_and_a_new_file_at_the_old_name_gets_another()
    {
        var (table, root) = NewTable();
        var dir = Add(table, root, "d", NodeKind.Directory, 1);
        var child = Add(table, dir, "c", NodeKind.File, 1);
        var a = Add(table, root, "a", NodeKind.File, 1);
        var inode = a.Inode;

        table.Move(a, root, "b");
        table.Forget(a.Id, 1);
        Assert.Equal(inode, Add(table, root, "b", NodeKind.File, 1).Inode);
        var newA = Add(table, root, "a", NodeKind.File, 1);
        Assert.NotEqual(inode, newA.Inode);
        table.Forget(newA.Id, 1);
        Assert.Equal(newA.Inode, Add(table, root, "a", NodeKind.File, 1).Inode);

        // A directory keeps its number when moved, and its contents theirs, even those the kernel forgot.
        var (dirInode, childInode) = (dir.Inode, child.Inode);
        table.Forget(child.Id, 1);
        table.Move(dir, root, "e");
        Assert.Equal(dirInode, dir.Inode);
        Assert.Equal(childInode, Add(table, dir, "c", NodeKind.File, 1).Inode);
        table.Forget(dir.Id, 1);
        Assert.Equal(dirInode, Add(table, root, "e", NodeKind.Directory, 1).Inode);
    }

    [Fact]
    public void A_number_a_live_node_holds_is_never_handed_out_again()
    {
        var (table, root) = NewTable();
        var old = Add(table, root, "f", NodeKind.File, 1);
        table.AddOpen(old);
        // Unlinked while open: the node lives on with its number, and a new file under the name is another file.
        table.Detach(root, "f");
        var replacement = Add(table, root, "f", NodeKind.File, 1);
        Assert.NotEqual(old.Inode, replacement.Inode);
        // The same when the name changes kind remotely while the old node is open.
        var dir = Add(table, root, "f", NodeKind.Directory, 1);
        Assert.NotEqual(replacement.Inode, dir.Inode);
        Assert.NotEqual(old.Inode, dir.Inode);

        var seen = new HashSet<ulong> { root.Inode, old.Inode, replacement.Inode, dir.Inode };
        for (var i = 0; i < 5000; i++)
        {
            Assert.True(seen.Add(Add(table, dir, $"n{i}", NodeKind.File, 1).Inode));
        }
    }

    [Fact]
    public async Task Attributes_carry_the_same_inode_number_after_a_forget_a_remount_and_a_rename()
    {
        var bucket = _fixture.NewBucket();
        _fixture.Put(bucket, "dir/f.txt", "x");
        ulong inode;
        await using (var mount = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}"))
        {
            var dir = await mount.LookupPathAsync("dir");
            var first = await mount.Fs.LookupAsync(dir.NodeId, "f.txt");
            inode = first.Value.Inode;
            Assert.NotEqual(0UL, inode);
            mount.Fs.Forget(first.Value.NodeId, 1);
            var second = await mount.Fs.LookupAsync(dir.NodeId, "f.txt");
            Assert.NotEqual(first.Value.NodeId, second.Value.NodeId);
            Assert.Equal(inode, second.Value.Inode);
            var listed = (await mount.ReadDirectoryAsync(dir.NodeId)).Single(e => e.Name == "f.txt");
            Assert.Equal(inode, listed.Attributes.Inode);
        }

        await using (var again = await MountedBucket.CreateAsync(_fixture, $"gs://{bucket}"))
        {
            var file = await again.LookupPathAsync("dir/f.txt");
            Assert.Equal(inode, file.Inode);
            var dir = await again.LookupPathAsync("dir");
            Assert.Equal(VfsError.None, await again.Fs.RenameAsync(dir.NodeId, "f.txt", dir.NodeId, "g.txt", RenameFlags.None));
            again.Fs.Forget(file.NodeId, 1);
            Assert.Equal(inode, (await again.Fs.LookupAsync(dir.NodeId, "g.txt")).Value.Inode);
        }
    }
}
