using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class NodeTableTests
{
    private static (NodeTable Table, Node Root) NewTable()
    {
        var root = new Node(IFileSystem.RootId, NodeKind.Directory, null, "", "b", "");
        return (new NodeTable(root), root);
    }

    private static Node Add(NodeTable table, Node parent, string name, NodeKind kind, long lookups) =>
        table.GetOrAdd(parent, name, kind, id => new Node(id, kind, parent, name, "b", parent.ObjectName + name + (kind == NodeKind.Directory ? "/" : "")), lookups);

    [Fact]
    public void Ids_are_stable_while_looked_up_and_released_by_forget()
    {
        var (table, root) = NewTable();
        var a = Add(table, root, "a", NodeKind.File, 1);
        Assert.Same(a, Add(table, root, "a", NodeKind.File, 1));
        Assert.Equal(2, a.LookupCount);
        table.Forget(a.Id, 1);
        Assert.Same(a, table.Get(a.Id));
        table.Forget(a.Id, 1);
        Assert.Null(table.Get(a.Id));
        var again = Add(table, root, "a", NodeKind.File, 1);
        Assert.NotEqual(a.Id, again.Id);
    }

    [Fact]
    public void An_open_handle_keeps_a_forgotten_node_and_the_root_is_never_released()
    {
        var (table, root) = NewTable();
        var a = Add(table, root, "a", NodeKind.File, 1);
        table.AddOpen(a);
        table.Forget(a.Id, 1);
        Assert.Same(a, table.Get(a.Id));
        table.ReleaseOpen(a);
        Assert.Null(table.Get(a.Id));
        table.Forget(IFileSystem.RootId, 100);
        Assert.Same(root, table.Get(IFileSystem.RootId));
    }

    [Fact]
    public void A_name_that_changes_kind_gets_a_new_node_and_moves_keep_ids()
    {
        var (table, root) = NewTable();
        var file = Add(table, root, "x", NodeKind.File, 1);
        var dir = Add(table, root, "x", NodeKind.Directory, 1);
        Assert.NotEqual(file.Id, dir.Id);
        Assert.True(file.Detached);
        Assert.Same(file, table.Get(file.Id));
        Assert.Same(dir, table.GetChild(root, "x"));

        var child = Add(table, dir, "c", NodeKind.File, 1);
        Assert.Equal(new[] { child }, table.Descendants(dir));
        table.Move(child, root, "moved");
        Assert.Same(child, table.GetChild(root, "moved"));
        Assert.Null(table.GetChild(dir, "c"));
        Assert.Same(root, child.Parent);
    }
}
