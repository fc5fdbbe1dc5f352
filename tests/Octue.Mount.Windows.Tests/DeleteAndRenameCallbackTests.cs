using System.Text;
using Octue.Mount.Windows.Mapping;
using Octue.Mount.Windows.Native;
using static Octue.Mount.Windows.Tests.WinFspFlags;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// The WinFsp delete (CanDelete, SetDelete, delete at Cleanup) and Rename callbacks over the real VFS and the GCS
/// emulator.
/// </summary>
public sealed class DeleteAndRenameCallbackTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _fixture;

    public DeleteAndRenameCallbackTests(EmulatorFixture fixture) => _fixture = fixture;

    private Task<EmulatorFileSystem> Start() => EmulatorFileSystem.StartAsync(_fixture.Emulator);

    [Fact]
    public async Task Delete_happens_at_cleanup_and_needs_an_empty_directory()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("gone.txt", [1, 2, 3]);
        env.Put("full/a.txt", [1]);
        NativeHarness n = env.Native;

        var (status, file, _) = await n.Open(@"\gone.txt", Delete);
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(NtStatus.Success, await n.CanDelete(file!, @"\gone.txt"));
        Assert.NotNull(env.Get("gone.txt"));
        await n.Cleanup(file!, @"\gone.txt", CleanupDelete);
        Assert.Null(env.Get("gone.txt"));
        await n.Close(file!);
        Assert.Equal(NtStatus.ObjectNameNotFound, (await n.GetSecurityByName(@"\gone.txt")).Status);

        var (_, full, _) = await n.Open(@"\full", Delete);
        Assert.Equal(NtStatus.DirectoryNotEmpty, await n.CanDelete(full!, @"\full"));
        await n.Close(full!);

        var (made, empty, emptyInfo) = await n.Create(@"\empty", DirectoryFile);
        Assert.Equal(NtStatus.Success, made);
        Assert.Equal(WinFileAttributes.Directory, emptyInfo.FileAttributes);
        Assert.NotNull(env.Get("empty/"));
        Assert.Equal(NtStatus.Success, await n.CanDelete(empty!, @"\empty"));
        await n.Cleanup(empty!, @"\empty", CleanupDelete);
        await n.Close(empty!);
        Assert.Null(env.Get("empty/"));
        Assert.Equal(0, n.Adapter.OpenCount);
    }

    [Fact]
    public async Task SetDelete_vets_setting_the_flag_allows_clearing_it_and_the_delete_waits_for_cleanup()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("kept.txt", [1]);
        env.Put("doomed.txt", [2]);
        env.Put("full/a.txt", [3]);
        NativeHarness n = env.Native;

        // Set, then cleared again (a DeleteFile cancelled, or FileDispositionInformationEx toggled): nothing is deleted.
        var (_, kept, _) = await n.Open(@"\kept.txt", Delete);
        Assert.Equal(NtStatus.Success, await n.SetDelete(kept!, @"\kept.txt", true));
        Assert.Equal(NtStatus.Success, await n.SetDelete(kept!, @"\kept.txt", false));
        await n.Cleanup(kept!, @"\kept.txt", 0);
        await n.Close(kept!);
        Assert.NotNull(env.Get("kept.txt"));

        // Set: the object stays until the Cleanup that carries FspCleanupDelete.
        var (_, doomed, _) = await n.Open(@"\doomed.txt", Delete);
        Assert.Equal(NtStatus.Success, await n.SetDelete(doomed!, @"\doomed.txt", true));
        Assert.NotNull(env.Get("doomed.txt"));
        await n.Cleanup(doomed!, @"\doomed.txt", CleanupDelete);
        Assert.Null(env.Get("doomed.txt"));
        await n.Close(doomed!);

        // A directory with children refuses the flag; clearing it is still fine and deletes nothing.
        var (_, full, _) = await n.Open(@"\full", Delete);
        Assert.Equal(NtStatus.DirectoryNotEmpty, await n.SetDelete(full!, @"\full", true));
        Assert.Equal(NtStatus.Success, await n.SetDelete(full!, @"\full", false));
        await n.Close(full!);
        Assert.NotNull(env.Get("full/a.txt"));

        // An empty directory accepts it and goes at its cleanup.
        var (_, empty, _) = await n.Create(@"\empty", DirectoryFile);
        Assert.Equal(NtStatus.Success, await n.SetDelete(empty!, @"\empty", true));
        Assert.NotNull(env.Get("empty/"));
        await n.Cleanup(empty!, @"\empty", CleanupDelete);
        await n.Close(empty!);
        Assert.Null(env.Get("empty/"));

        // The volume root cannot be deleted.
        var (_, root, _) = await n.Open(@"\", Delete);
        Assert.Equal(NtStatus.CannotDelete, await n.SetDelete(root!, @"\", true));
        await n.Close(root!);
        Assert.Equal(0, n.Adapter.OpenCount);
    }

    [Fact]
    public async Task A_new_file_deleted_at_its_cleanup_never_reaches_the_bucket()
    {
        await using EmulatorFileSystem env = await Start();
        NativeHarness n = env.Native;
        // FILE_DELETE_ON_CLOSE temporaries: created, written, deleted when the handle closes.
        var (status, ctx, _) = await n.Create(@"\scratch.tmp");
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(NtStatus.Success, (await n.Write(ctx!, 0, new byte[1000])).Status);
        await n.Cleanup(ctx!, @"\scratch.tmp", CleanupDelete);
        await n.Close(ctx!);
        Assert.Null(env.Get("scratch.tmp"));
        Assert.Equal(NtStatus.ObjectNameNotFound, (await n.GetSecurityByName(@"\scratch.tmp")).Status);
    }

    [Fact]
    public async Task Rename_without_replace_refuses_an_existing_target_and_with_replace_replaces_it()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("a.txt", "A"u8.ToArray());
        env.Put("b.txt", "B"u8.ToArray());
        env.Put("sub/x", [1]);
        NativeHarness n = env.Native;
        var (_, ctx, _) = await n.Open(@"\a.txt", Delete);

        Assert.Equal(NtStatus.ObjectNameCollision, await n.Rename(ctx!, @"\a.txt", @"\b.txt", false));
        Assert.Equal("A", Encoding.UTF8.GetString(env.Get("a.txt")!));
        Assert.Equal("B", Encoding.UTF8.GetString(env.Get("b.txt")!));

        Assert.Equal(NtStatus.AccessDenied, await n.Rename(ctx!, @"\a.txt", @"\sub", true));

        Assert.Equal(NtStatus.Success, await n.Rename(ctx!, @"\a.txt", @"\b.txt", true));
        Assert.Null(env.Get("a.txt"));
        Assert.Equal("A", Encoding.UTF8.GetString(env.Get("b.txt")!));
        // The open file follows its rename.
        var afterRename = await n.GetFileInfo(ctx!);
        Assert.Equal((NtStatus.Success, 1UL), (afterRename.Status, afterRename.Info.FileSize));

        Assert.Equal(NtStatus.Success, await n.Rename(ctx!, @"\b.txt", "\\sub\\c\uFF1Ad.txt", false));
        Assert.Equal("A", Encoding.UTF8.GetString(env.Get("sub/c:d.txt")!));
        Assert.Equal(NtStatus.ObjectPathNotFound, await n.Rename(ctx!, "\\sub\\c\uFF1Ad.txt", @"\nowhere\e.txt", false));
        await n.Close(ctx!);
    }

    [Fact]
    public async Task A_file_renamed_while_written_is_uploaded_under_its_new_name()
    {
        CallCountingFileSystem calls = null!;
        await using EmulatorFileSystem env = await EmulatorFileSystem.StartAsync(_fixture.Emulator,
            fs => CallCountingFileSystem.Wrap(fs, out calls));
        env.Put("report.docx", "old"u8.ToArray());
        NativeHarness n = env.Native;
        // The editor's save: write a temporary, rename it over the original, close.
        var (status, tmp, _) = await n.Create(@"\~report.tmp");
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(NtStatus.Success, (await n.Write(tmp!, 0, "new contents"u8.ToArray())).Status);
        calls.Reset();
        Assert.Equal(NtStatus.Success, await n.Rename(tmp!, @"\~report.tmp", @"\report.docx", true));
        // The VFS's rename uploads what the open handle staged: the adapter does not flush it first.
        Assert.Equal(0, calls.Count(nameof(global::Octue.Mount.Vfs.IFileSystem.FlushAsync)));
        Assert.Equal("new contents", Encoding.UTF8.GetString(env.Get("report.docx")!));
        await n.Cleanup(tmp!, @"\report.docx", 0);
        await n.Close(tmp!);
        Assert.Equal("new contents", Encoding.UTF8.GetString(env.Get("report.docx")!));
        Assert.Null(env.Get("~report.tmp"));
    }
}
