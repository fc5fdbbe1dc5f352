// Over 400 lines on purpose: each WinFsp callback is a short translation onto IFileSystem, kept side by side as in
// WinFsp's memfs sample; extended attributes and pending completions are in WinFspAdapter.Ea.cs and .Async.cs.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Vfs;
using Octue.Mount.Windows.Mapping;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Adapter;

/// <summary>
/// Maps WinFsp's path-based file-system operations onto <see cref="IFileSystem"/>, the same calls the Linux FUSE
/// adapter makes. It holds no policy of its own: semantics (caching, integrity, preconditions, what a name may be) are
/// the VFS's; this class translates paths, handles, times, attributes, EAs and errors. The native callbacks
/// (<see cref="WinFspCallbacks"/>) find it through <c>FSP_FILE_SYSTEM.UserContext</c>.
/// </summary>
internal sealed partial class WinFspAdapter
{
    // CreateOptions and GrantedAccess bits (winnt.h / ntioapi.h).
    private const uint FileDirectoryFile = 0x1;
    private const uint FileReadData = 0x1;
    private const uint FileWriteData = 0x2;
    private const uint FileAppendData = 0x4;
    private const uint FileExecute = 0x20;
    private const uint CleanupDelete = 0x01;
    private const int MaxDirInfoNameLength = 255;
    private static readonly TimeSpan ShutdownDrainTimeout = TimeSpan.FromSeconds(30);

    private readonly IFileSystem _fs;
    private readonly PathWalker _paths;
    private readonly WinFspMountOptions _options;
    private readonly IWinFspResponder _responder;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<OpenFile, byte> _open = new();
    private int _inFlight;

    public WinFspAdapter(IFileSystem fs, WinFspMountOptions options, IWinFspResponder responder)
    {
        _fs = fs;
        _paths = new PathWalker(fs);
        _options = options;
        _responder = responder;
        _log = (ILogger?)options.LoggerFactory?.CreateLogger("Octue.Mount.Windows.WinFsp") ?? NullLogger.Instance;
    }

    /// <summary>The native <c>FSP_FILE_SYSTEM*</c> this adapter serves (needed to send asynchronous responses).</summary>
    public nint FileSystem { get; set; }

    public ILogger Log => _log;

    /// <summary>Files and directories currently open (created or opened and not yet closed).</summary>
    public int OpenCount => _open.Count;

    private CancellationToken Ct => _shutdown.Token;

    // ---------------------------------------------------------------- volume

    public unsafe int GetVolumeInfo(FspVolumeInfo* info)
    {
        FileSystemStats stats = _fs.GetStats();
        info->TotalSize = stats.TotalBlocks * stats.BlockSize;
        info->FreeSize = stats.AvailableBlocks * stats.BlockSize;
        ReadOnlySpan<char> label = _options.VolumeLabel.AsSpan(0, Math.Min(_options.VolumeLabel.Length, 32));
        label.CopyTo(new Span<char>(info->VolumeLabel, 32));
        info->VolumeLabelLength = (ushort)(label.Length * sizeof(char));
        return NtStatus.Success;
    }

    // ---------------------------------------------------------------- names, security

    public int GetSecurityByName(string path, out uint attributes)
    {
        ResolvedPath found = DispatcherWait.Run(_paths.ResolveAsync(path, hold: false, Ct));
        attributes = 0;
        if (!found.IsOk)
            return StatusForLookup(found);
        attributes = FileInfoMapper.ToFileInfo(found.Attributes).FileAttributes;
        return NtStatus.Success;
    }

    public static unsafe int CopySecurityDescriptor(void* descriptor, nuint* size)
    {
        if (size == null)
            return NtStatus.Success;
        ReadOnlySpan<byte> sd = SecurityDescriptors.EveryoneFullAccess;
        nuint capacity = *size;
        *size = (nuint)sd.Length;
        if (descriptor == null)
            return NtStatus.Success;
        if (capacity < (nuint)sd.Length)
            return NtStatus.BufferOverflow;
        sd.CopyTo(new Span<byte>(descriptor, sd.Length));
        return NtStatus.Success;
    }

    // ---------------------------------------------------------------- create, open, overwrite

    public int Create(string path, uint createOptions, uint fileAttributes, out OpenFile? file, out FspFileInfo info)
    {
        var outcome = new OpenOutcome();
        int status = DispatcherWait.Run(CreateCoreAsync(path, createOptions, fileAttributes, outcome));
        file = outcome.File;
        info = outcome.Info;
        return status;
    }

    private async ValueTask<int> CreateCoreAsync(string path, uint createOptions, uint fileAttributes, OpenOutcome outcome)
    {
        (string parentPath, string name) = PathWalker.Split(path);
        if (name.Length == 0)
            return NtStatus.ObjectNameInvalid;
        ResolvedPath parent = await _paths.ResolveAsync(parentPath, hold: true, Ct).ConfigureAwait(false);
        if (!parent.IsOk)
            return parent.Error is VfsError.NotFound or VfsError.NotDirectory ? NtStatus.ObjectPathNotFound : NtStatusMap.FromVfsError(parent.Error);
        try
        {
            ulong parentNode = parent.Attributes.NodeId;
            bool readOnly = (fileAttributes & WinFileAttributes.ReadOnly) != 0;
            // WinFsp reports no POSIX caller (its owner is a SID): what a Windows mount creates belongs to the mount's
            // uid/gid, as everything it shows does, and a later Linux mount shows it the same way.
            if ((createOptions & FileDirectoryFile) != 0)
            {
                VfsResult<NodeAttributes> made = await _fs.MakeDirectoryAsync(parentNode, name, _options.DirectoryMode, owner: null, Ct).ConfigureAwait(false);
                if (!made.IsOk)
                    return NtStatusMap.FromVfsError(made.Error);
                outcome.File = Track(new OpenFile(made.Value.NodeId, NodeKind.Directory, null, false) { HoldsLookup = true });
                outcome.Info = FileInfoMapper.ToFileInfo(made.Value);
                return NtStatus.Success;
            }

            uint mode = readOnly ? _options.FileMode & ~0x92u : _options.FileMode;
            VfsResult<CreatedFile> created = await _fs.CreateAsync(parentNode, name, mode, OpenFlags.ReadWrite | OpenFlags.Exclusive, owner: null, Ct).ConfigureAwait(false);
            if (!created.IsOk)
                return NtStatusMap.FromVfsError(created.Error);
            CreatedFile c = created.Value;
            outcome.File = Track(new OpenFile(c.Attributes.NodeId, NodeKind.File, c.Handle, true) { HoldsLookup = true });
            outcome.Info = FileInfoMapper.ToFileInfo(c.Attributes);
            return NtStatus.Success;
        }
        finally
        {
            _paths.Release(parent);
        }
    }

    public int Open(string path, uint grantedAccess, out OpenFile? file, out FspFileInfo info)
    {
        var outcome = new OpenOutcome();
        int status = DispatcherWait.Run(OpenCoreAsync(path, grantedAccess, outcome));
        file = outcome.File;
        info = outcome.Info;
        return status;
    }

    private async ValueTask<int> OpenCoreAsync(string path, uint grantedAccess, OpenOutcome outcome)
    {
        ResolvedPath found = await _paths.ResolveAsync(path, hold: true, Ct).ConfigureAwait(false);
        if (!found.IsOk)
            return StatusForLookup(found);
        NodeAttributes a = found.Attributes;
        bool wantsRead = (grantedAccess & (FileReadData | FileExecute)) != 0;
        bool wantsWrite = (grantedAccess & (FileWriteData | FileAppendData)) != 0;
        ulong? handle = null;
        if (a.Kind == NodeKind.File && (wantsRead || wantsWrite))
        {
            OpenFlags flags = (wantsRead ? OpenFlags.Read : 0) | (wantsWrite ? OpenFlags.Write : 0);
            VfsResult<ulong> opened = await _fs.OpenAsync(a.NodeId, flags, Ct).ConfigureAwait(false);
            if (!opened.IsOk)
            {
                _paths.Release(found);
                return NtStatusMap.FromVfsError(opened.Error);
            }
            handle = opened.Value;
        }
        // A root open holds no lookup count (found.Held is false); everything else keeps the one the walk took.
        outcome.File = Track(new OpenFile(a.NodeId, a.Kind, handle, wantsWrite && handle.HasValue) { HoldsLookup = found.Held });
        outcome.Info = FileInfoMapper.ToFileInfo(a);
        return NtStatus.Success;
    }

    /// <summary>
    /// Overwrite (CREATE_ALWAYS, TRUNCATE_EXISTING, FILE_SUPERSEDE): truncates the file and applies the given
    /// attributes, which replace the current ones when <paramref name="replaceAttributes"/> is set (supersede) and are
    /// merged into them otherwise. Of the attributes only READONLY is kept (as the POSIX write bits).
    /// </summary>
    public int Overwrite(OpenFile file, uint fileAttributes, bool replaceAttributes, out FspFileInfo info)
    {
        var outcome = new OpenOutcome();
        int status = DispatcherWait.Run(OverwriteCoreAsync(file, fileAttributes, replaceAttributes, outcome));
        info = outcome.Info;
        return status;
    }

    private async ValueTask<int> OverwriteCoreAsync(OpenFile file, uint fileAttributes, bool replaceAttributes, OpenOutcome outcome)
    {
        if (file.Kind != NodeKind.File)
            return NtStatus.FileIsADirectory;
        VfsResult<NodeAttributes> current = await _fs.GetAttributesAsync(file.Node, file.Handle, Ct).ConfigureAwait(false);
        if (!current.IsOk)
            return NtStatusMap.FromVfsError(current.Error);
        uint merged = replaceAttributes ? fileAttributes : fileAttributes | FileInfoMapper.ToFileInfo(current.Value).FileAttributes;
        var changes = new SetAttributes { Size = 0, Mode = FileInfoMapper.ModeForAttributes(merged, current.Value.Mode) };
        VfsResult<NodeAttributes> set = await _fs.SetAttributesAsync(file.Node, file.Handle, changes, Ct).ConfigureAwait(false);
        if (!set.IsOk)
            return NtStatusMap.FromVfsError(set.Error);
        outcome.Info = FileInfoMapper.ToFileInfo(set.Value);
        return NtStatus.Success;
    }

    // ---------------------------------------------------------------- cleanup, close

    /// <summary>
    /// Cleanup is the moment the last handle of a file object is closed (CloseHandle). A pending delete happens here;
    /// otherwise a file opened for writing is flushed, so its bytes are durable in GCS when CloseHandle returns, the
    /// Windows counterpart of close-to-open. Cleanup cannot fail: errors are logged (and the VFS keeps unuploaded bytes
    /// in its cache folder).
    /// </summary>
    public void Cleanup(OpenFile file, string? fileName, uint flags)
    {
        if ((flags & CleanupDelete) != 0 && fileName is not null)
        {
            VfsError error = DispatcherWait.Run(DeleteAsync(file, fileName));
            if (error != VfsError.None)
                _log.LogWarning("Deleting {Path} at cleanup failed: {Error}", fileName, error);
            return;
        }
        if (file.Writable && file.Handle is ulong handle)
        {
            RestoreExplicitLastWriteTime(file, handle, fileName);
            VfsError error = DispatcherWait.Run(_fs.FlushAsync(handle, Ct));
            if (error != VfsError.None)
                _log.LogError("Flushing {Path} when its last handle closed failed: {Error}", fileName, error);
        }
    }

    /// <summary>
    /// Puts back the last-write time the application set on this handle when data was written after it (see
    /// <see cref="OpenFile.ExplicitLastWriteTime"/>), so the upload carries it. Without an explicit time the VFS's
    /// own stamp of the last write is the time WinFsp asks for with FspCleanupSetLastWriteTime.
    /// </summary>
    private void RestoreExplicitLastWriteTime(OpenFile file, ulong handle, string? fileName)
    {
        ulong time = file.ExplicitLastWriteTime;
        if (time == 0 || !file.ChangedSinceExplicitTime)
            return;
        var changes = new SetAttributes { ModifiedNs = FileTime.ToUnixNanoseconds(time) };
        VfsResult<NodeAttributes> set = DispatcherWait.Run(_fs.SetAttributesAsync(file.Node, handle, changes, Ct));
        if (set.IsOk)
            file.ChangedSinceExplicitTime = false;
        else
            _log.LogWarning("Keeping the last-write time set on {Path} failed: {Error}", fileName, set.Error);
    }

    private async ValueTask<VfsError> DeleteAsync(OpenFile file, string fileName)
    {
        (string parentPath, string name) = PathWalker.Split(fileName);
        ResolvedPath parent = await _paths.ResolveAsync(parentPath, hold: true, Ct).ConfigureAwait(false);
        if (!parent.IsOk)
            return parent.Error;
        try
        {
            return file.Kind == NodeKind.Directory
                ? await _fs.RemoveDirectoryAsync(parent.Attributes.NodeId, name, Ct).ConfigureAwait(false)
                : await _fs.UnlinkAsync(parent.Attributes.NodeId, name, Ct).ConfigureAwait(false);
        }
        finally
        {
            _paths.Release(parent);
        }
    }

    /// <summary>The final close of a file object: releases the VFS handle (uploading what is still staged) and the lookup.</summary>
    public void Close(OpenFile file)
    {
        if (Interlocked.Exchange(ref file.Closed, 1) != 0)
            return;
        _open.TryRemove(file, out _);
        if (file.Handle is ulong handle)
        {
            VfsError error = DispatcherWait.Run(_fs.ReleaseAsync(handle, CancellationToken.None));
            if (error != VfsError.None)
                _log.LogError("Closing node {Node} failed: {Error}", file.Node, error);
        }
        if (file.HoldsLookup)
            _fs.Forget(file.Node, 1);
    }

    // ---------------------------------------------------------------- data

    public async ValueTask<IoResult> ReadAsync(OpenFile file, Memory<byte> buffer, ulong offset)
    {
        if (file.Kind == NodeKind.Symlink)
            return IoResult.Fail(NtStatus.EndOfFile);
        if (file.Handle is not ulong handle)
            return IoResult.Fail(file.Kind == NodeKind.Directory ? NtStatus.FileIsADirectory : NtStatus.InvalidHandle);
        if (offset > long.MaxValue)
            return IoResult.Fail(NtStatus.EndOfFile);
        VfsResult<int> read = await _fs.ReadAsync(handle, (long)offset, buffer, Ct).ConfigureAwait(false);
        if (!read.IsOk)
            return IoResult.Fail(NtStatusMap.FromVfsError(read.Error));
        if (read.Value == 0 && buffer.Length > 0)
            return IoResult.Fail(NtStatus.EndOfFile);
        return new IoResult(NtStatus.Success, (uint)read.Value);
    }

    /// <summary>
    /// Write: <paramref name="toEndOfFile"/> appends at the current size; <paramref name="constrainedIo"/> (paging I/O)
    /// must not extend the file, so it is clipped at the current size. Paging writes of cached data come through the
    /// file object that started caching the file, which may be an open without write access while another open
    /// wrote the data: such a write goes to a writable open of the same file.
    /// </summary>
    public async ValueTask<IoResult> WriteAsync(OpenFile file, ReadOnlyMemory<byte> data, ulong offset, bool toEndOfFile, bool constrainedIo)
    {
        OpenFile? writer = file.Writable && file.Handle is not null ? file : WritableOpenOf(file.Node);
        if (writer?.Handle is not ulong handle)
            return IoResult.Fail(file.Kind == NodeKind.Directory ? NtStatus.FileIsADirectory : NtStatus.InvalidHandle);
        file = writer;
        if (toEndOfFile || constrainedIo)
        {
            VfsResult<NodeAttributes> current = await _fs.GetAttributesAsync(file.Node, handle, Ct).ConfigureAwait(false);
            if (!current.IsOk)
                return IoResult.Fail(NtStatusMap.FromVfsError(current.Error));
            ulong size = (ulong)current.Value.Size;
            if (toEndOfFile)
            {
                if (constrainedIo)
                    return new IoResult(NtStatus.Success, 0, FileInfoMapper.ToFileInfo(current.Value));
                offset = size;
            }
            else
            {
                if (offset >= size)
                    return new IoResult(NtStatus.Success, 0, FileInfoMapper.ToFileInfo(current.Value));
                data = data[..(int)Math.Min((ulong)data.Length, size - offset)];
            }
        }
        if (offset > long.MaxValue)
            return IoResult.Fail(NtStatus.InvalidParameter);
        VfsResult<WrittenBytes> written = await _fs.WriteAsync(handle, (long)offset, data, Ct).ConfigureAwait(false);
        if (!written.IsOk)
            return IoResult.Fail(NtStatusMap.FromVfsError(written.Error));
        if (file.ExplicitLastWriteTime != 0 && written.Value.Count > 0)
            file.ChangedSinceExplicitTime = true;
        return new IoResult(NtStatus.Success, (uint)written.Value.Count, FileInfoMapper.ToFileInfo(written.Value.Attributes));
    }

    /// <summary>
    /// FlushFileBuffers: uploads the staged copy now and answers with the file's attributes after it, as the VFS
    /// tells them with the flush (the volume-wide flush, with no file, has nothing to do).
    /// </summary>
    public int Flush(OpenFile? file, out FspFileInfo info)
    {
        info = default;
        if (file is null)
            return NtStatus.Success;
        if (!file.Writable || file.Handle is not ulong handle)
            return GetFileInfo(file, out info);
        VfsResult<NodeAttributes> flushed = DispatcherWait.Run(_fs.FlushAndGetAttributesAsync(handle, Ct));
        if (!flushed.IsOk)
            return NtStatusMap.FromVfsError(flushed.Error);
        info = FileInfoMapper.ToFileInfo(flushed.Value);
        return NtStatus.Success;
    }

    // ---------------------------------------------------------------- attributes

    public int GetFileInfo(OpenFile file, out FspFileInfo info)
    {
        VfsResult<NodeAttributes> a = DispatcherWait.Run(_fs.GetAttributesAsync(file.Node, file.Handle, Ct));
        info = a.IsOk ? FileInfoMapper.ToFileInfo(a.Value) : default;
        return a.IsOk ? NtStatus.Success : NtStatusMap.FromVfsError(a.Error);
    }

    /// <summary>
    /// SetBasicInfo: last-write and last-access times (a zero FILETIME means "unchanged") and, for files, the
    /// read-only attribute (as POSIX write bits). Creation and change times are not stored by the VFS and are ignored.
    /// </summary>
    public int SetBasicInfo(OpenFile file, uint fileAttributes, ulong lastAccessTime, ulong lastWriteTime, out FspFileInfo info)
    {
        info = default;
        uint? mode = null;
        // READONLY is a file's attribute here (see FileInfoMapper); on a directory it is accepted and not kept.
        if (fileAttributes != WinFileAttributes.Unchanged && file.Kind == NodeKind.File)
        {
            VfsResult<NodeAttributes> current = DispatcherWait.Run(_fs.GetAttributesAsync(file.Node, file.Handle, Ct));
            if (!current.IsOk)
                return NtStatusMap.FromVfsError(current.Error);
            mode = FileInfoMapper.ModeForAttributes(fileAttributes, current.Value.Mode);
        }
        var changes = new SetAttributes
        {
            ModifiedNs = lastWriteTime != 0 ? FileTime.ToUnixNanoseconds(lastWriteTime) : null,
            AccessedNs = lastAccessTime != 0 ? FileTime.ToUnixNanoseconds(lastAccessTime) : null,
            Mode = mode,
        };
        if (changes == default)
            return GetFileInfo(file, out info);
        VfsResult<NodeAttributes> set = DispatcherWait.Run(_fs.SetAttributesAsync(file.Node, file.Handle, changes, Ct));
        if (!set.IsOk)
            return NtStatusMap.FromVfsError(set.Error);
        if (lastWriteTime != 0)
        {
            file.ExplicitLastWriteTime = lastWriteTime;
            file.ChangedSinceExplicitTime = false;
        }
        info = FileInfoMapper.ToFileInfo(set.Value);
        return NtStatus.Success;
    }

    /// <summary>
    /// SetFileSize: with <paramref name="setAllocationSize"/> only the allocation changes, which for an object store
    /// matters only when it shrinks below the file size (the file is then truncated to it, as NTFS does).
    /// </summary>
    public int SetFileSize(OpenFile file, ulong newSize, bool setAllocationSize, out FspFileInfo info)
    {
        info = default;
        if (file.Kind != NodeKind.File)
            return NtStatus.FileIsADirectory;
        if (newSize > long.MaxValue)
            return NtStatus.InvalidParameter;
        if (setAllocationSize)
        {
            VfsResult<NodeAttributes> current = DispatcherWait.Run(_fs.GetAttributesAsync(file.Node, file.Handle, Ct));
            if (!current.IsOk)
                return NtStatusMap.FromVfsError(current.Error);
            if ((ulong)current.Value.Size <= newSize)
            {
                info = FileInfoMapper.ToFileInfo(current.Value);
                return NtStatus.Success;
            }
        }
        VfsResult<NodeAttributes> set = DispatcherWait.Run(
            _fs.SetAttributesAsync(file.Node, file.Handle, new SetAttributes { Size = (long)newSize }, Ct));
        if (!set.IsOk)
            return NtStatusMap.FromVfsError(set.Error);
        if (file.ExplicitLastWriteTime != 0)
            file.ChangedSinceExplicitTime = true;
        info = FileInfoMapper.ToFileInfo(set.Value);
        return NtStatus.Success;
    }

    // ---------------------------------------------------------------- delete, rename

    /// <summary>Whether a delete may proceed (the delete itself happens at Cleanup): a directory must be empty.</summary>
    public int CanDelete(OpenFile file) => DispatcherWait.Run(CanDeleteAsync(file));

    /// <summary>
    /// SetDelete (FileDispositionInformation and FileDispositionInformationEx): WinFsp keeps the delete-pending flag
    /// itself and reports it at Cleanup (FspCleanupDelete), where the delete happens; this call only vets setting it,
    /// under the same rules as <see cref="CanDelete"/>. Clearing it always succeeds: nothing was deleted yet, and
    /// WinFsp may set and clear it any number of times on one open.
    /// </summary>
    public int SetDelete(OpenFile file, bool deleteFile) =>
        deleteFile ? DispatcherWait.Run(CanDeleteAsync(file)) : NtStatus.Success;

    private async ValueTask<int> CanDeleteAsync(OpenFile file)
    {
        // The mount's root is the volume itself, which NTFS refuses to delete too.
        if (file.Node == IFileSystem.RootId)
            return NtStatus.CannotDelete;
        if (file.Kind != NodeKind.Directory)
            return NtStatus.Success;
        VfsResult<List<DirectoryEntry>> entries = await ListAsync(file.Node).ConfigureAwait(false);
        if (!entries.IsOk)
            return NtStatusMap.FromVfsError(entries.Error);
        foreach (DirectoryEntry e in entries.Value)
        {
            if (e.Name is not "." and not "..")
                return NtStatus.DirectoryNotEmpty;
        }
        return NtStatus.Success;
    }

    /// <summary>
    /// Rename (MoveFileEx). Without <paramref name="replaceIfExists"/> an existing target gives
    /// STATUS_OBJECT_NAME_COLLISION; with it, a file target is replaced but a directory target is refused with
    /// STATUS_ACCESS_DENIED, as NTFS does. Windows renames files that are still open for writing (an editor's
    /// "write a temporary, rename it over the original"): the VFS's rename uploads the bytes its open handles still
    /// stage before it moves the object, for every adapter, so none is flushed here.
    /// </summary>
    public int Rename(OpenFile file, string fileName, string newFileName, bool replaceIfExists) =>
        DispatcherWait.Run(RenameAsync(fileName, newFileName, replaceIfExists));

    private async ValueTask<int> RenameAsync(string fileName, string newFileName, bool replaceIfExists)
    {
        (string fromParentPath, string fromName) = PathWalker.Split(fileName);
        (string toParentPath, string toName) = PathWalker.Split(newFileName);
        if (fromName.Length == 0 || toName.Length == 0)
            return NtStatus.ObjectNameInvalid;
        ResolvedPath fromParent = await _paths.ResolveAsync(fromParentPath, hold: true, Ct).ConfigureAwait(false);
        if (!fromParent.IsOk)
            return NtStatus.ObjectPathNotFound;
        ResolvedPath toParent = default;
        try
        {
            toParent = await _paths.ResolveAsync(toParentPath, hold: true, Ct).ConfigureAwait(false);
            if (!toParent.IsOk)
                return NtStatus.ObjectPathNotFound;
            ulong from = fromParent.Attributes.NodeId, to = toParent.Attributes.NodeId;
            if (replaceIfExists)
            {
                VfsResult<NodeAttributes> target = await _fs.LookupAsync(to, toName, Ct).ConfigureAwait(false);
                if (target.IsOk)
                {
                    _fs.Forget(target.Value.NodeId, 1);
                    bool sameNode = from == to && fromName == toName;
                    if (target.Value.Kind == NodeKind.Directory && !sameNode)
                        return NtStatus.AccessDenied;
                }
            }
            VfsError error = await _fs.RenameAsync(from, fromName, to, toName,
                replaceIfExists ? RenameFlags.None : RenameFlags.NoReplace, Ct).ConfigureAwait(false);
            return NtStatusMap.FromVfsError(error);
        }
        finally
        {
            _paths.Release(toParent);
            _paths.Release(fromParent);
        }
    }

    // ---------------------------------------------------------------- directories

    /// <summary>
    /// ReadDirectory with WinFsp's marker paging: with no marker a fresh listing is taken and kept on the open
    /// directory; each call then writes entries after the marker until the buffer is full, and the end marker once
    /// the listing is exhausted.
    /// </summary>
    public async ValueTask<IoResult> ReadDirectoryAsync(OpenFile file, string? marker, nint buffer, uint length)
    {
        if (file.Kind != NodeKind.Directory)
            return IoResult.Fail(NtStatus.NotADirectory);
        DirectorySnapshot? snapshot = file.Listing;
        if (marker is null || snapshot is null)
        {
            VfsResult<List<DirectoryEntry>> entries = await ListAsync(file.Node).ConfigureAwait(false);
            if (!entries.IsOk)
                return IoResult.Fail(NtStatusMap.FromVfsError(entries.Error));
            snapshot = BuildSnapshot(file.Node, entries.Value);
            file.Listing = snapshot;
        }
        return new IoResult(NtStatus.Success, FillDirectoryBuffer(snapshot, marker, buffer, length));
    }

    /// <summary>
    /// GetDirInfoByName: the directory entry of one name (FindFirstFile on an exact name), answered with a single
    /// lookup instead of a listing of the whole directory. WinFsp's buffer holds names of up to 255 characters.
    /// </summary>
    public unsafe int GetDirInfoByName(OpenFile directory, string windowsName, FspDirInfo* dirInfo)
    {
        if (directory.Kind != NodeKind.Directory)
            return NtStatus.NotADirectory;
        if (windowsName.Length > MaxDirInfoNameLength)
            return NtStatus.ObjectNameNotFound;
        VfsResult<NodeAttributes> found = DispatcherWait.Run(_fs.LookupAsync(directory.Node, WindowsNames.ToObjectName(windowsName), Ct));
        if (!found.IsOk)
            return found.Error == VfsError.NotFound ? NtStatus.ObjectNameNotFound : NtStatusMap.FromVfsError(found.Error);
        _fs.Forget(found.Value.NodeId, 1);
        new Span<byte>(dirInfo, DirInfoBuffer.HeaderSize).Clear();
        dirInfo->Size = (ushort)(DirInfoBuffer.HeaderSize + windowsName.Length * sizeof(char));
        dirInfo->FileInfo = FileInfoMapper.ToFileInfo(found.Value);
        windowsName.AsSpan().CopyTo(new Span<char>((byte*)dirInfo + DirInfoBuffer.HeaderSize, windowsName.Length));
        return NtStatus.Success;
    }

    private static unsafe uint FillDirectoryBuffer(DirectorySnapshot snapshot, string? marker, nint buffer, uint length)
    {
        var writer = new DirInfoBuffer((void*)buffer, length);
        for (int i = snapshot.IndexAfter(marker); i < snapshot.Count; i++)
        {
            (string name, FspFileInfo info) = snapshot[i];
            if (!writer.TryAdd(name, info))
                return writer.BytesTransferred;
        }
        writer.TryAddEnd();
        return writer.BytesTransferred;
    }

    private DirectorySnapshot BuildSnapshot(ulong node, List<DirectoryEntry> entries)
    {
        var dots = new List<(string, FspFileInfo)>(2);
        var rest = new List<(string, FspFileInfo)>(entries.Count);
        foreach (DirectoryEntry e in entries)
        {
            if (e.Name is "." or "..")
            {
                if (node != IFileSystem.RootId)
                    dots.Add((e.Name, FileInfoMapper.ToFileInfo(e.Attributes)));
                continue;
            }
            rest.Add((WindowsNames.ToWindowsName(e.Name), FileInfoMapper.ToFileInfo(e.Attributes)));
        }
        return new DirectorySnapshot(dots.ToArray(), rest);
    }

    private async ValueTask<VfsResult<List<DirectoryEntry>>> ListAsync(ulong node)
    {
        VfsResult<ulong> opened = await _fs.OpenDirectoryAsync(node, Ct).ConfigureAwait(false);
        if (!opened.IsOk)
            return opened.Error;
        ulong dir = opened.Value;
        try
        {
            var all = new List<DirectoryEntry>();
            long cookie = 0;
            while (true)
            {
                VfsResult<IReadOnlyList<DirectoryEntry>> page = await _fs.ReadDirectoryAsync(dir, cookie, Ct).ConfigureAwait(false);
                if (!page.IsOk)
                    return page.Error;
                IReadOnlyList<DirectoryEntry> entries = page.Value;
                if (entries.Count == 0)
                    return all;
                for (int i = 0; i < entries.Count; i++)
                    all.Add(entries[i]);
                long next = entries[^1].NextCookie;
                if (next <= cookie)
                    return all;
                cookie = next;
            }
        }
        finally
        {
            VfsError released = await _fs.ReleaseDirectoryAsync(dir, CancellationToken.None).ConfigureAwait(false);
            if (released != VfsError.None)
                _log.LogDebug("Releasing directory handle {Handle} failed: {Error}", dir, released);
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>An open of <paramref name="node"/> that can write, or null when there is none.</summary>
    private OpenFile? WritableOpenOf(ulong node)
    {
        foreach (OpenFile open in _open.Keys)
        {
            if (open.Node == node && open.Writable && open.Handle is not null && Volatile.Read(ref open.Closed) == 0)
                return open;
        }
        return null;
    }

    private OpenFile Track(OpenFile file)
    {
        _open.TryAdd(file, 0);
        return file;
    }

    private static int StatusForLookup(in ResolvedPath found) =>
        found.MissingParent ? NtStatus.ObjectPathNotFound : NtStatusMap.FromVfsError(found.Error);

    /// <summary>Carries results out of the async cores (async methods cannot have out parameters).</summary>
    private sealed class OpenOutcome
    {
        public OpenFile? File;
        public FspFileInfo Info;
    }
}
