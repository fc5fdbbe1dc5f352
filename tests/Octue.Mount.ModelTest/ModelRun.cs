using Octue.Mount.Emulator;

namespace Octue.Mount.ModelTest;

/// <summary>
/// One run: a fresh bucket, a real mount of it served by <c>octue-mount</c>, and a local reference folder. Each
/// operation is done on both and the outcomes compared (errors, bytes read, sizes); after every step the stat of
/// the files it touched and the listings of the folders it changed are compared, and every few hundred steps every
/// file's bytes. Faults, clean remounts and kill -9 (with recovery at the next mount) are operations too: after a
/// kill the mount must show exactly what the reference has (every write that returned was staged, and staging
/// survives a crash), a conflict copy being tolerated only when the file has its bytes anyway.
/// </summary>
public sealed partial class ModelRun : IAsyncDisposable
{
    private readonly ModelOptions _options;
    private readonly GcsEmulator _emulator;
    private readonly RunStatistics _stats;
    private readonly string _bucket;
    private readonly string _work;
    private readonly string _mountPoint;
    private readonly SlotState[] _slots;
    private readonly FileTree _reference;
    private readonly FileTree _mount;
    private readonly List<Operation> _executed = new();
    private string _cache;
    private int _caches;
    private int _daemons;
    private MountDaemon? _daemon;
    private (int TriggeredBefore, int ArmedAt)? _armed;

    private ModelRun(ModelOptions options, GcsEmulator emulator, RunStatistics stats, string work, string bucket)
    {
        _options = options;
        _emulator = emulator;
        _stats = stats;
        _work = work;
        _bucket = bucket;
        _mountPoint = Path.Combine(work, "mnt");
        _cache = Path.Combine(work, "cache0");
        var referenceRoot = Directory.CreateDirectory(Path.Combine(work, "reference")).FullName;
        _slots = Enumerable.Range(0, options.Slots).Select(_ => new SlotState()).ToArray();
        _reference = new FileTree(referenceRoot, options.Slots);
        _mount = new FileTree(_mountPoint, options.Slots);
    }

    public string LogFiles => Path.Combine(_work, "daemon-*.log");

    public static async Task<ModelRun> StartAsync(ModelOptions options, GcsEmulator emulator, RunStatistics stats, string work)
    {
        var bucket = $"model-{Guid.NewGuid():N}"[..30];
        emulator.Store.CreateBucket(bucket);
        var run = new ModelRun(options, emulator, stats, work, bucket);
        await run.MountAsync().ConfigureAwait(false);
        foreach (var dir in OperationGenerator.Directories.Where(d => d.Length > 0))
        {
            Directory.CreateDirectory(run._reference.Full(dir));
            Directory.CreateDirectory(run._mount.Full(dir));
        }

        return run;
    }

    /// <summary>Runs <paramref name="operations"/> (replayed: those a shrunk sequence made invalid are skipped); null when the mount agreed with the model throughout.</summary>
    public async Task<Failure?> RunAsync(IEnumerable<Operation> operations)
    {
        var index = 0;
        foreach (var op in operations)
        {
            if (!IsValid(op))
            {
                continue;
            }

            _executed.Add(op);
            string? problem;
            try
            {
                problem = await ExecuteAsync(op).ConfigureAwait(false);
                if (problem is null && ++index % _options.VerifyEvery == 0)
                {
                    problem = VerifyAll();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                problem = $"{e.GetType().Name}: {e.Message}";
            }

            if (problem is not null)
            {
                return new Failure(_executed.Count - 1, op, problem, _executed.ToList());
            }

            _stats.Count(op);
            AccountFaults();
        }

        var final = await FinishAsync().ConfigureAwait(false);
        return final is null ? null : new Failure(_executed.Count, null, final, _executed.ToList());
    }

    /// <summary>Random operations drawn from <paramref name="seed"/>.</summary>
    public IEnumerable<Operation> Generate(int seed, int count)
    {
        var generator = new OperationGenerator(seed, _options);
        for (var i = 0; i < count; i++)
        {
            yield return generator.Next(_slots, SizeInReference);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _mount.AbandonSlots();
        _reference.Dispose();
        _daemon?.Kill();
        MountDaemon.Unmount(_mountPoint);
        _emulator.Faults.Clear();
        await Task.CompletedTask.ConfigureAwait(false);
    }

    // ---- operations ---------------------------------------------------------------------------------------------

    private bool IsValid(Operation op) => op.Kind switch
    {
        OperationKind.Create or OperationKind.Open => op.Slot < _slots.Length && !_slots[op.Slot].Open &&
            (!(op.Kind == OperationKind.Create || op.Flag) || !_slots.Any(s => s.Writable && s.Path == op.Path)),
        OperationKind.Write or OperationKind.Append or OperationKind.Truncate or OperationKind.Fsync => op.Slot < _slots.Length && _slots[op.Slot].Writable,
        OperationKind.Read or OperationKind.Close => op.Slot < _slots.Length && _slots[op.Slot].Open,
        OperationKind.Kill => op.Size == 0 || (op.Slot < _slots.Length && _slots[op.Slot].Writable),
        _ => true,
    };

    private async Task<string?> ExecuteAsync(Operation op)
    {
        switch (op.Kind)
        {
            case OperationKind.Fault:
                Arm(op);
                return null;
            case OperationKind.Remount:
                return await RemountAsync(fresh: op.Size == 1).ConfigureAwait(false);
            case OperationKind.Kill:
                return await KillAsync(op).ConfigureAwait(false);
            case OperationKind.VerifyAll:
                return VerifyAll();
        }

        var expected = _reference.Execute(op);
        var actual = _mount.Execute(op);
        if (expected.Error != actual.Error)
        {
            return $"{op}: the reference gave {expected}, the mount {actual}";
        }

        if (op.Kind == OperationKind.Read && expected.Data is { } wanted)
        {
            _stats.BytesRead += wanted.Length;
            if (!wanted.AsSpan().SequenceEqual(actual.Data))
            {
                return $"{op}: read {Difference(wanted, actual.Data!)}";
            }
        }
        else if (expected.Value != actual.Value)
        {
            return $"{op}: the reference gave {expected}, the mount {actual}";
        }

        if (expected.Succeeded)
        {
            Apply(op);
        }

        return CheckAfter(op);
    }

    /// <summary>The model's state after an operation that succeeded.</summary>
    private void Apply(Operation op)
    {
        switch (op.Kind)
        {
            case OperationKind.Create or OperationKind.Open:
                var slot = _slots[op.Slot];
                slot.Open = true;
                slot.Writable = op.Kind == OperationKind.Create || op.Flag;
                slot.Path = op.Path;
                break;
            case OperationKind.Close:
                _slots[op.Slot].Clear();
                break;
            case OperationKind.Write or OperationKind.Append:
                _stats.BytesWritten += op.Length;
                break;
            case OperationKind.Rename when op.Path != op.Target:
                foreach (var s in _slots)
                {
                    if (s.Path == op.Target)
                    {
                        s.Path = null;
                    }
                    else if (s.Path == op.Path)
                    {
                        s.Path = op.Target;
                    }
                    else if (s.Path is { } inside && inside.StartsWith(op.Path + "/", StringComparison.Ordinal))
                    {
                        // A folder moved with the files open in it.
                        s.Path = op.Target + inside[op.Path.Length..];
                    }
                }

                break;
            case OperationKind.Unlink:
                foreach (var s in _slots.Where(s => s.Path == op.Path))
                {
                    s.Path = null;
                }

                break;
        }
    }

    /// <summary>After every step: the stat of what it touched, and the listings of the folders it changed.</summary>
    private string? CheckAfter(Operation op)
    {
        var paths = new List<string>();
        if (op.Path.Length > 0)
        {
            paths.Add(op.Path);
        }

        if (op.Target.Length > 0)
        {
            paths.Add(op.Target);
        }

        if (op.Kind is OperationKind.Write or OperationKind.Append or OperationKind.Truncate && _slots[op.Slot].Path is { } written)
        {
            paths.Add(written);
        }

        foreach (var path in paths)
        {
            var stat = new Operation { Kind = OperationKind.Stat, Path = path };
            var expected = _reference.Execute(stat);
            var actual = _mount.Execute(stat);
            if (expected != actual)
            {
                return $"after {op}: stat(\"{path}\") gave {expected} on the reference, {actual} on the mount";
            }
        }

        if (op.Kind is OperationKind.Create or OperationKind.Rename or OperationKind.Unlink or OperationKind.Mkdir or OperationKind.Rmdir)
        {
            var folders = paths.Select(p => Path.GetDirectoryName(p) ?? "");
            if (op.Kind is OperationKind.Rename or OperationKind.Mkdir or OperationKind.Rmdir)
            {
                // The folders themselves, when the operation was on folders.
                folders = folders.Concat(paths.Where(p => OperationGenerator.Directories.Contains(p)));
            }

            foreach (var dir in folders.Distinct())
            {
                if (CompareListing(dir) is { } problem)
                {
                    return $"after {op}: {problem}";
                }
            }
        }

        return null;
    }

    private string? CompareListing(string dir)
    {
        var expected = _reference.List(dir);
        var actual = _mount.List(dir);
        if (expected is null || actual is null)
        {
            return expected == actual ? null
                : $"folder \"{dir}\" {(expected is null ? "is absent from the reference but on the mount" : "is in the reference but absent from the mount")}";
        }

        return expected.SequenceEqual(actual) ? null
            : $"listing of \"{dir}\": the reference has [{string.Join(", ", expected)}], the mount [{string.Join(", ", actual)}]";
    }

    /// <summary>Every listing and every file's bytes, each through a descriptor of its own.</summary>
    private string? VerifyAll()
    {
        foreach (var dir in OperationGenerator.Directories)
        {
            if (CompareListing(dir) is { } problem)
            {
                return problem;
            }
        }

        foreach (var path in OperationGenerator.Paths)
        {
            if (!File.Exists(_reference.Full(path)))
            {
                continue;
            }

            var expected = _reference.ReadFile(path);
            var actual = _mount.ReadFile(path);
            _stats.BytesCompared += expected.Length;
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                _stats.BytesLost += Lost(expected, actual);
                return $"\"{path}\": {Difference(expected, actual)}";
            }
        }

        return null;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /// <summary>The object's bytes in the bucket itself (null: no object).</summary>
    private byte[]? StoredBytes(string path) => _emulator.Store.TryGetObject(_bucket, path, out var obj) ? obj.Data : null;

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private long SizeInReference(string path)
    {
        var info = new FileInfo(_reference.Full(path));
        return info.Exists ? info.Length : -1;
    }

    private static string Difference(byte[] expected, byte[] actual)
    {
        var common = Math.Min(expected.Length, actual.Length);
        var first = expected.AsSpan(0, common).CommonPrefixLength(actual.AsSpan(0, common));
        return $"expected {expected.Length} bytes, got {actual.Length}; first difference at byte {first}";
    }

    /// <summary>Bytes of the reference the mount does not have at their place.</summary>
    private static long Lost(byte[] expected, byte[] actual)
    {
        long lost = Math.Max(0, expected.Length - actual.Length);
        for (var i = 0; i < Math.Min(expected.Length, actual.Length); i++)
        {
            if (expected[i] != actual[i])
            {
                lost++;
            }
        }

        return lost;
    }
}
