namespace Octue.Mount.ModelTest;

/// <summary>
/// Draws the next operation from a seeded random source and the model's state (which files exist and how big, which
/// descriptors are open). Most operations are cheap ones on open descriptors (writes at random offsets and sizes,
/// reads); uploads (fsync, close), namespace changes, faults, remounts and kills are rarer.
/// </summary>
public sealed class OperationGenerator
{
    /// <summary>Files stay under 1 MiB, so the uploads of closes and fsyncs stay cheap.</summary>
    public const long MaxFileSize = 1 << 20;

    private readonly Random _random;
    private readonly ModelOptions _options;

    public OperationGenerator(int seed, ModelOptions options)
    {
        _random = new Random(seed);
        _options = options;
    }

    /// <summary>The folders: the root, two made at the start, and one ("c") that mkdir, rmdir and renames make and unmake.</summary>
    public static readonly string[] Directories = ["", "a", "b", "c"];

    public static readonly string[] Paths = Directories.SelectMany(d => new[] { "f0", "f1", "f2", "f3" }.Select(f => d.Length == 0 ? f : $"{d}/{f}")).ToArray();

    /// <summary>The next operation; <paramref name="sizeOf"/> gives a file's size in the reference (-1: absent).</summary>
    public Operation Next(IReadOnlyList<SlotState> slots, Func<string, long> sizeOf)
    {
        var roll = _random.NextDouble();
        if (roll < _options.KillRate)
        {
            var writer = RandomSlot(slots, s => s.Writable);
            return writer >= 0 && _random.Next(2) == 0
                ? new Operation { Kind = OperationKind.Kill, Size = 1, Slot = writer, Offset = _random.Next(40) }
                : new Operation { Kind = OperationKind.Kill };
        }

        roll -= _options.KillRate;
        if (roll < _options.RemountRate)
        {
            return new Operation { Kind = OperationKind.Remount, Size = _random.Next(2) };
        }

        roll -= _options.RemountRate;
        if (roll < _options.FaultRate)
        {
            return _random.Next(3) == 0
                ? new Operation { Kind = OperationKind.Fault, Flag = true, Offset = _random.Next(0, 256 * 1024) }
                : new Operation { Kind = OperationKind.Fault, Length = _random.Next(1, 4) };
        }

        var open = RandomSlot(slots, s => s.Open);
        var free = RandomSlot(slots, s => !s.Open);
        var writable = RandomSlot(slots, s => s.Writable);
        var choice = _random.Next(100);
        if (free >= 0 && (open < 0 || choice < 12))
        {
            return OpenSomething(free, slots, sizeOf);
        }

        if (writable >= 0 && choice < 42)
        {
            return WriteSomething(writable, slots[writable], sizeOf);
        }

        if (open >= 0 && choice < 66)
        {
            var size = SizeOf(slots[open], sizeOf);
            var offset = _random.Next(4) == 0 ? _random.NextInt64(0, Math.Max(1, size + 4096)) : _random.NextInt64(0, Math.Max(1, size));
            return new Operation { Kind = OperationKind.Read, Slot = open, Offset = offset, Length = Length() };
        }

        if (open >= 0 && choice < 76)
        {
            return new Operation { Kind = OperationKind.Close, Slot = open };
        }

        if (writable >= 0 && choice < 80)
        {
            return new Operation { Kind = OperationKind.Fsync, Slot = writable };
        }

        if (choice < 84)
        {
            var path = Pick(Paths);
            return new Operation { Kind = OperationKind.TruncatePath, Path = path, Size = NewSize(Math.Max(0, sizeOf(path))) };
        }

        if (choice < 91)
        {
            return new Operation { Kind = OperationKind.Rename, Path = PickExisting(sizeOf), Target = Pick(Paths) };
        }

        if (choice < 95)
        {
            return new Operation { Kind = OperationKind.Unlink, Path = PickExisting(sizeOf) };
        }

        if (choice < 97)
        {
            // Folders: renamed onto each other (replacing an empty one), made and removed; renames of folders
            // holding open files and of files being written are where a mount's rename differs most from a disk's.
            var folder = Pick(Directories[1..]);
            return _random.Next(4) switch
            {
                0 => new Operation { Kind = OperationKind.Mkdir, Path = folder },
                1 => new Operation { Kind = OperationKind.Rmdir, Path = folder },
                _ => new Operation { Kind = OperationKind.Rename, Path = folder, Target = Pick(Directories[1..]) },
            };
        }

        return new Operation { Kind = OperationKind.Stat, Path = Pick(Paths) };
    }

    private Operation OpenSomething(int slot, IReadOnlyList<SlotState> slots, Func<string, long> sizeOf)
    {
        var path = _random.Next(4) == 0 ? Pick(Paths) : PickExisting(sizeOf);
        // One writable descriptor per file: two would be two staged copies on the mount, and the later close ESTALE
        // (documented); the model keeps to the case where the mount promises local-disk behaviour.
        var canWrite = !slots.Any(s => s.Writable && s.Path == path);
        if (canWrite && (sizeOf(path) < 0 || _random.Next(3) == 0))
        {
            return new Operation { Kind = OperationKind.Create, Slot = slot, Path = path, Flag = _random.Next(4) == 0 };
        }

        return new Operation { Kind = OperationKind.Open, Slot = slot, Path = path, Flag = canWrite && _random.Next(2) == 0 };
    }

    private Operation WriteSomething(int slot, SlotState state, Func<string, long> sizeOf)
    {
        var size = SizeOf(state, sizeOf);
        var kind = _random.Next(10);
        if (kind == 0)
        {
            return new Operation { Kind = OperationKind.Truncate, Slot = slot, Size = NewSize(size) };
        }

        var length = Length();
        if (kind == 1)
        {
            return new Operation { Kind = OperationKind.Append, Slot = slot, Length = (int)Math.Min(length, Math.Max(1, MaxFileSize - size)), DataSeed = _random.Next() };
        }

        // Anywhere up to a little past the end: holes read as zeros on both sides.
        var offset = _random.NextInt64(0, Math.Min(MaxFileSize - 1, size + 8192) + 1);
        if (_random.Next(4) == 0)
        {
            offset = offset / 4096 * 4096;
        }

        return new Operation { Kind = OperationKind.Write, Slot = slot, Offset = offset, Length = (int)Math.Max(1, Math.Min(length, MaxFileSize - offset)), DataSeed = _random.Next() };
    }

    /// <summary>Mostly small (a few KiB), sometimes up to 256 KiB.</summary>
    private int Length() => _random.Next(20) switch
    {
        < 14 => _random.Next(1, 4097),
        < 19 => _random.Next(4097, 65537),
        _ => _random.Next(65537, 262145),
    };

    private long NewSize(long size) => _random.Next(4) switch
    {
        0 => 0,
        1 => _random.NextInt64(0, size + 1),
        _ => Math.Min(MaxFileSize, _random.NextInt64(0, size + 65537)),
    };

    private static long SizeOf(SlotState state, Func<string, long> sizeOf) => state.Path is { } path ? Math.Max(0, sizeOf(path)) : 0;

    private string PickExisting(Func<string, long> sizeOf)
    {
        var existing = Paths.Where(p => sizeOf(p) >= 0).ToArray();
        return existing.Length == 0 ? Pick(Paths) : Pick(existing);
    }

    private int RandomSlot(IReadOnlyList<SlotState> slots, Func<SlotState, bool> which)
    {
        var candidates = Enumerable.Range(0, slots.Count).Where(i => which(slots[i])).ToArray();
        return candidates.Length == 0 ? -1 : candidates[_random.Next(candidates.Length)];
    }

    private string Pick(string[] from) => from[_random.Next(from.Length)];
}
