using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Octue.Mount.ModelTest;

/// <summary>
/// One side of the comparison: a folder (the mount, or the local reference) and the descriptors open in it. Every
/// operation is a real system call: open/pread/pwrite/ftruncate/fsync through .NET's <see cref="RandomAccess"/>, and
/// close/rename/unlink/truncate through libc, so their errors reach the model exactly (.NET ignores close's).
/// </summary>
public sealed partial class FileTree : IDisposable
{
    private readonly SafeFileHandle?[] _slots;

    public FileTree(string root, int slots)
    {
        Root = root;
        _slots = new SafeFileHandle?[slots];
    }

    public string Root { get; }

    public string Full(string path) => path.Length == 0 ? Root : System.IO.Path.Combine(Root, path);

    public Outcome Execute(Operation op)
    {
        try
        {
            switch (op.Kind)
            {
                case OperationKind.Create:
                    _slots[op.Slot] = File.OpenHandle(Full(op.Path), op.Flag ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.ReadWrite, Sharing);
                    return Outcome.Ok();
                case OperationKind.Open:
                    _slots[op.Slot] = File.OpenHandle(Full(op.Path), FileMode.Open, op.Flag ? FileAccess.ReadWrite : FileAccess.Read, Sharing);
                    return Outcome.Ok();
                case OperationKind.Write:
                    RandomAccess.Write(Slot(op), op.Data(), op.Offset);
                    return Outcome.Ok();
                case OperationKind.Append:
                    var end = RandomAccess.GetLength(Slot(op));
                    RandomAccess.Write(Slot(op), op.Data(), end);
                    return Outcome.Ok(end);
                case OperationKind.Read:
                    return Outcome.Read(ReadAt(Slot(op), op.Offset, op.Length));
                case OperationKind.Truncate:
                    RandomAccess.SetLength(Slot(op), op.Size);
                    return Outcome.Ok();
                case OperationKind.TruncatePath:
                    return Check(Truncate(Full(op.Path), op.Size));
                case OperationKind.Fsync:
                    RandomAccess.FlushToDisk(Slot(op));
                    return Outcome.Ok();
                case OperationKind.Close:
                    return CloseSlot(op.Slot);
                case OperationKind.Rename:
                    return Check(Rename(Full(op.Path), Full(op.Target)));
                case OperationKind.Unlink:
                    return Check(Unlink(Full(op.Path)));
                case OperationKind.Mkdir:
                    return Check(MakeDirectory(Full(op.Path), 0b111_101_101));
                case OperationKind.Rmdir:
                    return Check(RemoveDirectory(Full(op.Path)));
                case OperationKind.Stat:
                    var info = new FileInfo(Full(op.Path));
                    return info.Exists ? Outcome.Ok(info.Length) : Outcome.Failed(2);
                default:
                    throw new InvalidOperationException($"{op.Kind} is not a file operation");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Outcome.Failed(e);
        }
    }

    public bool IsOpen(int slot) => _slots[slot] is not null;

    /// <summary>close(2) of a slot, with its error (a failed upload shows here, as EIO or ESTALE).</summary>
    public Outcome CloseSlot(int slot)
    {
        var handle = _slots[slot] ?? throw new InvalidOperationException($"slot {slot} is not open");
        _slots[slot] = null;
        var fd = (int)handle.DangerousGetHandle();
        handle.SetHandleAsInvalid();
        return Check(Close(fd));
    }

    /// <summary>Forgets every descriptor after the daemon was killed: their close fails (the connection is gone), which is expected.</summary>
    public void AbandonSlots()
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is { } handle)
            {
                _slots[i] = null;
                var fd = (int)handle.DangerousGetHandle();
                handle.SetHandleAsInvalid();
                Close(fd);
            }
        }
    }

    /// <summary>The names in a folder, sorted (null when it does not exist).</summary>
    public string[]? List(string dir)
    {
        if (!Directory.Exists(Full(dir)))
        {
            return null;
        }

        var names = Directory.GetFileSystemEntries(Full(dir)).Select(System.IO.Path.GetFileName).Select(n => n!).ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    /// <summary>A file's bytes through a descriptor of its own.</summary>
    public byte[] ReadFile(string path) => File.ReadAllBytes(Full(path));

    public void Dispose()
    {
        foreach (var handle in _slots)
        {
            handle?.Dispose();
        }
    }

    private const FileShare Sharing = FileShare.ReadWrite | FileShare.Delete;

    private SafeFileHandle Slot(Operation op) => _slots[op.Slot] ?? throw new InvalidOperationException($"slot {op.Slot} is not open");

    private static byte[] ReadAt(SafeFileHandle handle, long offset, int length)
    {
        var buffer = new byte[length];
        var total = 0;
        while (total < length)
        {
            var read = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return buffer[..total];
    }

    private static Outcome Check(int result) => result == 0 ? Outcome.Ok() : Outcome.Failed(Marshal.GetLastPInvokeError());

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string from, string to);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MakeDirectory(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "rmdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RemoveDirectory(string path);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Unlink(string path);

    [LibraryImport("libc", EntryPoint = "truncate", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Truncate(string path, long size);
}
