using System.Text;

namespace Octue.Mount.ModelTest;

/// <summary>What an operation does. Handle operations name a slot (an open descriptor kept across operations).</summary>
public enum OperationKind
{
    /// <summary>open(path, O_RDWR|O_CREAT[|O_TRUNC]) into a slot.</summary>
    Create,
    /// <summary>open(path, O_RDONLY or O_RDWR) of an existing file into a slot.</summary>
    Open,
    /// <summary>pwrite(slot, offset, length bytes made from a seed).</summary>
    Write,
    /// <summary>pwrite at the file's current end.</summary>
    Append,
    /// <summary>pread(slot, offset, length), bytes compared.</summary>
    Read,
    /// <summary>ftruncate(slot, size).</summary>
    Truncate,
    /// <summary>truncate(path, size), no descriptor.</summary>
    TruncatePath,
    /// <summary>fsync(slot): the mount uploads.</summary>
    Fsync,
    /// <summary>close(slot): the mount uploads what is staged.</summary>
    Close,
    /// <summary>rename(path, target), replacing the target.</summary>
    Rename,
    /// <summary>unlink(path).</summary>
    Unlink,
    /// <summary>stat(path): existence and size compared.</summary>
    Stat,
    /// <summary>mkdir(path).</summary>
    Mkdir,
    /// <summary>rmdir(path).</summary>
    Rmdir,
    /// <summary>Every file of the tree read from a fresh descriptor and compared, and every listing.</summary>
    VerifyAll,
    /// <summary>Arms a fault in the emulator: 503s (a burst of up to three) or a connection reset in a download.</summary>
    Fault,
    /// <summary>Every descriptor closed, the daemon stopped cleanly, then mounted again (with a fresh cache when Size is 1).</summary>
    Remount,
    /// <summary>kill -9 of the daemon (during an fsync of Slot when Size is 1), then a mount with the same cache: staged bytes recovered.</summary>
    Kill,
}

/// <summary>One step of a run: concrete enough to replay exactly (no randomness left inside).</summary>
public sealed record Operation
{
    public required OperationKind Kind { get; init; }
    public int Slot { get; init; }
    public string Path { get; init; } = "";
    public string Target { get; init; } = "";
    public long Offset { get; init; }
    public int Length { get; init; }
    public long Size { get; init; }
    public bool Flag { get; init; }
    public int DataSeed { get; init; }

    /// <summary>The bytes a write or append writes: the same on both sides and in every replay.</summary>
    public byte[] Data()
    {
        var data = new byte[Length];
        new Random(DataSeed).NextBytes(data);
        return data;
    }

    public override string ToString() => Kind switch
    {
        OperationKind.Create => $"h{Slot} = open(\"{Path}\", O_RDWR|O_CREAT{(Flag ? "|O_TRUNC" : "")})",
        OperationKind.Open => $"h{Slot} = open(\"{Path}\", {(Flag ? "O_RDWR" : "O_RDONLY")})",
        OperationKind.Write => $"pwrite(h{Slot}, {Length} bytes (seed {DataSeed}), offset {Offset})",
        OperationKind.Append => $"pwrite(h{Slot}, {Length} bytes (seed {DataSeed}), at the end)",
        OperationKind.Read => $"pread(h{Slot}, {Length} bytes, offset {Offset})",
        OperationKind.Truncate => $"ftruncate(h{Slot}, {Size})",
        OperationKind.TruncatePath => $"truncate(\"{Path}\", {Size})",
        OperationKind.Fsync => $"fsync(h{Slot})",
        OperationKind.Close => $"close(h{Slot})",
        OperationKind.Rename => $"rename(\"{Path}\", \"{Target}\")",
        OperationKind.Unlink => $"unlink(\"{Path}\")",
        OperationKind.Stat => $"stat(\"{Path}\")",
        OperationKind.Mkdir => $"mkdir(\"{Path}\")",
        OperationKind.Rmdir => $"rmdir(\"{Path}\")",
        OperationKind.VerifyAll => "read every file and listing and compare",
        OperationKind.Fault => Flag ? $"fault: reset the next download after {Offset} bytes" : $"fault: answer the next {Length} request(s) 503",
        OperationKind.Remount => Size == 1 ? "close all, unmount, mount again with an empty cache" : "close all, unmount, mount again",
        OperationKind.Kill => Size == 1 ? $"kill -9 the daemon during fsync(h{Slot}), mount again" : "kill -9 the daemon, mount again",
        _ => Kind.ToString(),
    };

    /// <summary>The operations as a numbered list, for a report.</summary>
    public static string Describe(IReadOnlyList<Operation> operations)
    {
        var text = new StringBuilder();
        for (var i = 0; i < operations.Count; i++)
        {
            text.Append("  ").Append(i + 1).Append(". ").AppendLine(operations[i].ToString());
        }

        return text.ToString();
    }
}
