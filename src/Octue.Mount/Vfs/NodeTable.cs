namespace Octue.Mount.Vfs;

/// <summary>
/// Node ids, inode numbers and the name index. Ids are never reused within a mount. A name maps to at most one live
/// node; a node leaves the table when its lookup count and open count are both zero (FUSE forget) or it is detached
/// and unused. All access goes through one lock: every operation under it is a few dictionary operations.
/// <para>
/// Node ids are handles the kernel forgets; inode numbers (<see cref="Node.Inode"/>) are what programs compare (git's
/// index, <c>tar -g</c>, backup tools, <c>find</c>), so they must not change when the kernel drops its cache. A name's
/// inode number is derived from its directory's inode number and its name (<see cref="InodeNumbers"/>), so it comes
/// back the same after a forget and after a remount. Two rules keep numbers unique within the mount: a number that
/// a live node holds, or that another name claims, is never handed out again (the next derivation is taken and the
/// name claims it); and a renamed node keeps its number, its new name claiming it, as rename(2) keeps an inode.
/// Children derive from their directory's number, so a renamed directory's contents keep theirs too.
/// </para>
/// </summary>
internal sealed class NodeTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Node> _byId = new();
    private readonly Dictionary<(ulong Parent, string Name), Node> _byName = new();
    private readonly Dictionary<ulong, Node> _byInode = new();

    /// <summary>Names whose inode number is not their derived one (renamed there, or derived onto a number in use).</summary>
    private readonly Dictionary<(ulong ParentInode, string Name), ulong> _claims = new();
    private readonly Dictionary<ulong, (ulong ParentInode, string Name)> _claimedBy = new();
    private ulong _nextId = IFileSystem.RootId + 1;

    public NodeTable(Node root)
    {
        Root = root;
        root.LookupCount = 1;
        root.Inode = InodeNumbers.Root;
        _byId.Add(root.Id, root);
        _byInode.Add(root.Inode, root);
    }

    public Node Root { get; }

    public Lock SyncRoot => _lock;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byId.Count;
            }
        }
    }

    public ulong NewId()
    {
        lock (_lock)
        {
            return _nextId++;
        }
    }

    public Node? Get(ulong id)
    {
        lock (_lock)
        {
            return _byId.GetValueOrDefault(id);
        }
    }

    public Node? GetChild(Node parent, string name)
    {
        lock (_lock)
        {
            return _byName.GetValueOrDefault((parent.Id, name));
        }
    }

    /// <summary>
    /// The child named <paramref name="name"/> of the given kind; an existing node of another kind (the object was
    /// replaced remotely) is detached and a new node made, so ids never change kind.
    /// </summary>
    public Node GetOrAdd(Node parent, string name, NodeKind kind, Func<ulong, Node> create, long addLookups = 0)
    {
        lock (_lock)
        {
            if (_byName.TryGetValue((parent.Id, name), out var existing))
            {
                if (existing.Kind == kind)
                {
                    existing.LookupCount += addLookups;
                    return existing;
                }

                DetachLocked(existing);
            }

            var node = create(_nextId++);
            node.LookupCount = addLookups;
            node.Inode = AssignInodeLocked((parent.Inode, name));
            _byId.Add(node.Id, node);
            _byInode.Add(node.Inode, node);
            _byName[(parent.Id, name)] = node;
            return node;
        }
    }

    public void AddLookup(ulong id, ulong count)
    {
        lock (_lock)
        {
            if (_byId.TryGetValue(id, out var node))
            {
                node.LookupCount += (long)count;
            }
        }
    }

    public void Forget(ulong id, ulong count)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var node) || node.Id == IFileSystem.RootId)
            {
                return;
            }

            node.LookupCount = Math.Max(0, node.LookupCount - (long)count);
            ReleaseIfUnusedLocked(node);
        }
    }

    public void AddOpen(Node node)
    {
        lock (_lock)
        {
            node.OpenCount++;
        }
    }

    public void ReleaseOpen(Node node)
    {
        lock (_lock)
        {
            node.OpenCount = Math.Max(0, node.OpenCount - 1);
            ReleaseIfUnusedLocked(node);
        }
    }

    /// <summary>Drops a node made for a readdir entry that the adapter never handed to the kernel.</summary>
    public void ReleaseIfUnused(Node node)
    {
        lock (_lock)
        {
            ReleaseIfUnusedLocked(node);
        }
    }

    /// <summary>
    /// Removes the name of a node (unlink, rmdir); the node lives on while it is referenced. The name's claim to a
    /// number goes with it: a file made under the name later is a new file.
    /// </summary>
    public void Detach(Node parent, string name)
    {
        lock (_lock)
        {
            if (_byName.TryGetValue((parent.Id, name), out var node))
            {
                DetachLocked(node);
            }

            ReleaseClaimLocked((parent.Inode, name));
        }
    }

    /// <summary>Moves a node to a new name (rename); a node already there is detached.</summary>
    public void Move(Node node, Node newParent, string newName)
    {
        lock (_lock)
        {
            if (node.Parent is { } oldParent && _byName.TryGetValue((oldParent.Id, node.Name), out var current) && current == node)
            {
                _byName.Remove((oldParent.Id, node.Name));
            }

            if (_byName.TryGetValue((newParent.Id, newName), out var replaced) && replaced != node)
            {
                DetachLocked(replaced);
            }

            if (node.Parent is { } from && _claims.TryGetValue((from.Inode, node.Name), out var held) && held == node.Inode)
            {
                ReleaseClaimLocked((from.Inode, node.Name));
            }

            node.Parent = newParent;
            node.Name = newName;
            node.Detached = false;
            _byName[(newParent.Id, newName)] = node;
            // The node keeps its number under its new name, now and whenever the name is looked up again.
            ClaimLocked((newParent.Inode, newName), node.Inode, InodeNumbers.Derive(newParent.Inode, newName, 0));
        }
    }

    /// <summary>
    /// The number for a node joining the table under <paramref name="key"/>: the one the name claims if it is free,
    /// else the first derivation that no live node holds and no other name claims.
    /// </summary>
    private ulong AssignInodeLocked((ulong ParentInode, string Name) key)
    {
        if (_claims.TryGetValue(key, out var claimed) && !_byInode.ContainsKey(claimed))
        {
            return claimed;
        }

        var derived = InodeNumbers.Derive(key.ParentInode, key.Name, 0);
        var candidate = derived;
        for (var attempt = 1; _byInode.ContainsKey(candidate) || (_claimedBy.TryGetValue(candidate, out var owner) && owner != key); attempt++)
        {
            candidate = InodeNumbers.Derive(key.ParentInode, key.Name, attempt);
        }

        ClaimLocked(key, candidate, derived);
        return candidate;
    }

    /// <summary>Records that <paramref name="key"/> has <paramref name="inode"/> (no record needed when it is the <paramref name="derived"/> number).</summary>
    private void ClaimLocked((ulong ParentInode, string Name) key, ulong inode, ulong derived)
    {
        ReleaseClaimLocked(key);
        if (inode != derived)
        {
            if (_claimedBy.Remove(inode, out var previous))
            {
                _claims.Remove(previous);
            }

            _claims[key] = inode;
            _claimedBy[inode] = key;
        }
    }

    private void ReleaseClaimLocked((ulong ParentInode, string Name) key)
    {
        if (_claims.Remove(key, out var inode))
        {
            _claimedBy.Remove(inode);
        }
    }

    /// <summary>The children of <paramref name="parent"/> the kernel holds lookups on, by the names it knows them under.</summary>
    public List<Node> KnownChildren(Node parent)
    {
        lock (_lock)
        {
            var result = new List<Node>();
            foreach (var ((parentId, _), node) in _byName)
            {
                if (parentId == parent.Id && node.LookupCount > 0)
                {
                    result.Add(node);
                }
            }

            return result;
        }
    }

    /// <summary>Every live node below <paramref name="ancestor"/> (for directory renames).</summary>
    public List<Node> Descendants(Node ancestor)
    {
        lock (_lock)
        {
            var result = new List<Node>();
            foreach (var node in _byId.Values)
            {
                for (var p = node.Parent; p is not null; p = p.Parent)
                {
                    if (p == ancestor)
                    {
                        result.Add(node);
                        break;
                    }
                }
            }

            return result;
        }
    }

    private void DetachLocked(Node node)
    {
        if (node.Parent is { } parent && _byName.TryGetValue((parent.Id, node.Name), out var current) && current == node)
        {
            _byName.Remove((parent.Id, node.Name));
        }

        node.Detached = true;
        ReleaseIfUnusedLocked(node);
    }

    private void ReleaseIfUnusedLocked(Node node)
    {
        if (node.LookupCount > 0 || node.OpenCount > 0 || node.Id == IFileSystem.RootId)
        {
            return;
        }

        // Children hold their parent object, not its id, so a child still referenced keeps a valid location even
        // when its directory's id is released (the kernel forgets children before parents anyway).
        _byId.Remove(node.Id);
        if (_byInode.TryGetValue(node.Inode, out var holder) && holder == node)
        {
            _byInode.Remove(node.Inode);
        }

        if (!node.Detached && node.Parent is { } parent && _byName.TryGetValue((parent.Id, node.Name), out var current) && current == node)
        {
            _byName.Remove((parent.Id, node.Name));
        }
    }
}
