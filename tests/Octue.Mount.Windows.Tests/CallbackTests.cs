using System.Runtime.InteropServices;
using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Windows.Mapping;
using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// The WinFsp callbacks, invoked through the native interface table with native buffers, over the real VFS and the
/// GCS emulator.
/// </summary>
public sealed class CallbackTests : IClassFixture<EmulatorFixture>
{
    private const uint ReadData = 0x1, WriteData = 0x2, Delete = 0x10000;
    private const uint DirectoryFile = 0x1;
    private const uint CleanupDelete = 0x1;
    private readonly EmulatorFixture _fixture;

    public CallbackTests(EmulatorFixture fixture) => _fixture = fixture;

    private Task<EmulatorFileSystem> Start() => EmulatorFileSystem.StartAsync(_fixture.Emulator);

    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task Reads_a_real_object_through_the_Read_callback_to_end_of_file()
    {
        await using EmulatorFileSystem env = await Start();
        byte[] data = RandomBytes(300_000, 1);
        env.Put("data/blob.bin", data);
        NativeHarness n = env.Native;

        var (status, ctx, info) = await n.Open(@"\data\blob.bin", ReadData);
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(300_000UL, info.FileSize);
        Assert.Equal(WinFileAttributes.Normal, info.FileAttributes);

        var read = new MemoryStream();
        ulong offset = 0;
        while (true)
        {
            var (s, chunk, _) = await n.Read(ctx!, offset, 65_536);
            if (s == NtStatus.EndOfFile)
                break;
            Assert.Equal(NtStatus.Success, s);
            Assert.NotEmpty(chunk);
            read.Write(chunk);
            offset += (ulong)chunk.Length;
        }
        Assert.Equal(data, read.ToArray());
        Assert.Equal(NtStatus.EndOfFile, (await n.Read(ctx!, 300_000, 10)).Status);

        await n.Close(ctx!);
        Assert.Equal(0, n.Adapter.OpenCount);
    }

    [Fact]
    public async Task A_slow_read_returns_STATUS_PENDING_and_completes_through_SendResponse()
    {
        await using EmulatorFileSystem env = await Start();
        // Larger than what an open downloads whole, so the read is the one that downloads.
        byte[] data = RandomBytes((1 << 20) + 50_000, 2);
        env.Put("slow.bin", data);
        NativeHarness n = env.Native;
        var (status, ctx, _) = await n.Open(@"\slow.bin", ReadData);
        Assert.Equal(NtStatus.Success, status);

        env.Emulator.Faults.Add(new FaultRule
        {
            Kind = FaultKind.Delay, Delay = TimeSpan.FromMilliseconds(400), RequestKind = RequestKind.Download, Bucket = env.Bucket, Times = 5,
        });
        try
        {
            var (s, bytes, pending) = await n.Read(ctx!, 0, 50_000);
            Assert.True(pending, "the read should have gone asynchronous");
            Assert.Equal(NtStatus.Success, s);
            Assert.Equal(data[..50_000], bytes);
            Assert.True(n.Responder.Sent >= 1);
        }
        finally
        {
            env.Emulator.Faults.Clear();
        }
        await n.Close(ctx!);
    }

    [Fact]
    public async Task Slow_writes_and_listings_also_complete_through_SendResponse()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("slow/existing.txt", "0123456789"u8.ToArray());
        NativeHarness n = env.Native;
        var (status, file, _) = await n.Open(@"\slow\existing.txt", ReadData | WriteData);
        Assert.Equal(NtStatus.Success, status);
        var (_, dir, _) = await n.Open(@"\slow", ReadData);

        env.Emulator.Faults.Add(new FaultRule
        {
            Kind = FaultKind.Delay, Delay = TimeSpan.FromMilliseconds(400), RequestKind = RequestKind.Download, Bucket = env.Bucket, Times = 5,
        });
        env.Emulator.Faults.Add(new FaultRule
        {
            Kind = FaultKind.Delay, Delay = TimeSpan.FromMilliseconds(400), RequestKind = RequestKind.ListObjects, Bucket = env.Bucket, Times = 5,
        });
        try
        {
            // The first write into an existing object stages its bytes from the store first: slow, so asynchronous.
            var w = await n.Write(file!, 2, "ab"u8.ToArray());
            Assert.True(w.WentPending, "the write should have gone asynchronous");
            Assert.Equal((NtStatus.Success, 2u, 10UL), (w.Status, w.Written, w.Info.FileSize));

            int sentBefore = n.Responder.Sent;
            var (listed, buffer) = await n.ReadDirectory(dir!, null, 4096);
            Assert.Equal(NtStatus.Success, listed);
            Assert.True(n.Responder.Sent > sentBefore, "the listing should have gone asynchronous");
            Assert.Contains("existing.txt", DirInfoBuffer.Parse(buffer, out _).Select(e => e.Name));
        }
        finally
        {
            env.Emulator.Faults.Clear();
        }
        await n.Cleanup(file!, @"\slow\existing.txt", 0);
        Assert.Equal("01ab456789", Encoding.UTF8.GetString(env.Get("slow/existing.txt")!));
        await n.Close(file!);
        await n.Close(dir!);
    }

    [Fact]
    public async Task Creates_appends_constrains_and_uploads_at_cleanup()
    {
        await using EmulatorFileSystem env = await Start();
        NativeHarness n = env.Native;

        var (status, ctx, info) = await n.Create(@"\new.txt");
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(0UL, info.FileSize);

        var w1 = await n.Write(ctx!, 0, "hello "u8.ToArray());
        Assert.Equal((NtStatus.Success, 6u), (w1.Status, w1.Written));
        var w2 = await n.Write(ctx!, 0, "world"u8.ToArray(), writeToEndOfFile: true);
        Assert.Equal((NtStatus.Success, 5u), (w2.Status, w2.Written));
        Assert.Equal(11UL, w2.Info.FileSize);
        // Constrained (paging) I/O never extends the file: clipped at the size, nothing past it.
        var w3 = await n.Write(ctx!, 6, "WORLD!!!!!"u8.ToArray(), constrainedIo: true);
        Assert.Equal((NtStatus.Success, 5u), (w3.Status, w3.Written));
        var w4 = await n.Write(ctx!, 20, "zzz"u8.ToArray(), constrainedIo: true);
        Assert.Equal((NtStatus.Success, 0u), (w4.Status, w4.Written));
        Assert.Equal(11UL, (await n.GetFileInfo(ctx!)).Info.FileSize);

        await n.Cleanup(ctx!, @"\new.txt", 0);
        // Durable when the last handle closes (Cleanup), before Close.
        Assert.Equal("hello WORLD", Encoding.UTF8.GetString(env.Get("new.txt") ?? []));
        await n.Close(ctx!);
        Assert.Equal("hello WORLD", Encoding.UTF8.GetString(env.Get("new.txt") ?? []));

        var again = await n.Create(@"\new.txt");
        Assert.Equal(NtStatus.ObjectNameCollision, again.Status);
    }

    [Fact]
    public async Task A_paging_write_through_a_read_only_open_goes_to_the_open_that_can_write()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("shared.txt", "0123456789"u8.ToArray());
        NativeHarness n = env.Native;
        // The reader opened first and started caching; the writer's cached data is then written through the
        // reader's file object.
        var (_, reader, _) = await n.Open(@"\shared.txt", ReadData);
        var (_, writer, _) = await n.Open(@"\shared.txt", ReadData | WriteData);

        var paged = await n.Write(reader!, 2, "ab"u8.ToArray(), constrainedIo: true);
        Assert.Equal((NtStatus.Success, 2u, 10UL), (paged.Status, paged.Written, paged.Info.FileSize));
        await n.Cleanup(writer!, null, 0);
        Assert.Equal("01ab456789", Encoding.UTF8.GetString(env.Get("shared.txt")!));
        await n.Close(writer!);

        // With no open able to write, the write is refused and nothing changes.
        Assert.Equal(NtStatus.InvalidHandle, (await n.Write(reader!, 0, "zz"u8.ToArray(), constrainedIo: true)).Status);
        await n.Close(reader!);
        Assert.Equal("01ab456789", Encoding.UTF8.GetString(env.Get("shared.txt")!));
    }

    [Fact]
    public async Task An_empty_file_created_and_closed_exists_even_when_Cleanup_is_not_posted()
    {
        await using EmulatorFileSystem env = await Start();
        NativeHarness n = env.Native;
        // PostCleanupWhenModifiedOnly: an unmodified new file may see only Close.
        var (status, ctx, _) = await n.Create(@"\empty.txt");
        Assert.Equal(NtStatus.Success, status);
        await n.Close(ctx!);
        byte[]? uploaded = env.Get("empty.txt");
        Assert.NotNull(uploaded);
        Assert.Empty(uploaded);
    }

    [Fact]
    public async Task Overwrite_SetFileSize_and_Flush_change_the_object()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("f.bin", "0123456789"u8.ToArray());
        NativeHarness n = env.Native;

        var (status, ctx, _) = await n.Open(@"\f.bin", ReadData | WriteData);
        Assert.Equal(NtStatus.Success, status);
        var overwritten = await n.Overwrite(ctx!);
        Assert.Equal(NtStatus.Success, overwritten.Status);
        Assert.Equal(0UL, overwritten.Info.FileSize);
        await n.Write(ctx!, 0, "abcdef"u8.ToArray());
        var shrunk = await n.SetFileSize(ctx!, 4);
        Assert.Equal((NtStatus.Success, 4UL), (shrunk.Status, shrunk.Info.FileSize));
        var allocation = await n.SetFileSize(ctx!, 100, allocationOnly: true);
        Assert.Equal((NtStatus.Success, 4UL), (allocation.Status, allocation.Info.FileSize));
        var flushed = await n.Flush(ctx!);
        Assert.Equal(NtStatus.Success, flushed.Status);
        Assert.Equal("abcd", Encoding.UTF8.GetString(env.Get("f.bin") ?? []));
        Assert.Equal(NtStatus.Success, (await n.Flush(null)).Status);
        await n.Cleanup(ctx!, @"\f.bin", 0);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task ReadDirectory_pages_with_markers_through_small_buffers()
    {
        await using EmulatorFileSystem env = await Start();
        var expected = new List<string>();
        for (int i = 0; i < 25; i++)
        {
            env.Put($"dir/f{i:00}.txt", [(byte)i]);
            expected.Add($"f{i:00}.txt");
        }
        env.Put("dir/odd:name", [1]);
        env.Put("dir/sub/inner", [1]);
        expected.Add("odd\uFF1Aname");
        expected.Add("sub");
        expected.Sort(string.CompareOrdinal);
        NativeHarness n = env.Native;

        var (status, ctx, info) = await n.Open(@"\dir", ReadData);
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(WinFileAttributes.Directory, info.FileAttributes);

        var names = new List<string>();
        string? marker = null;
        int pages = 0;
        bool sawEnd = false;
        while (!sawEnd)
        {
            var (s, buffer) = await n.ReadDirectory(ctx!, marker, 400);
            Assert.Equal(NtStatus.Success, s);
            var entries = DirInfoBuffer.Parse(buffer, out sawEnd);
            Assert.True(entries.Count > 0 || sawEnd);
            Assert.True(entries.Count <= 3, "a 400-byte buffer holds at most three records");
            names.AddRange(entries.Select(e => e.Name));
            if (entries.Count > 0)
                marker = entries[^1].Name;
            Assert.True(++pages < 100);
        }
        Assert.Equal([".", "..", .. expected], names);
        Assert.True(pages >= 10);

        // Asking again without a marker starts over from a fresh listing.
        env.Put("dir/zz-late.txt", [1]);
        var (_, first) = await n.ReadDirectory(ctx!, null, 64 * 1024);
        var all = DirInfoBuffer.Parse(first, out bool end);
        Assert.True(end);
        Assert.Equal("zz-late.txt", all[^1].Name);
        Assert.Equal(FileInfoMapper.AllocationUnit, (uint)all.Single(e => e.Name == "f01.txt").Info.AllocationSize);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task GetDirInfoByName_answers_for_one_name()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("dir/a:b.txt", [1, 2, 3]);
        env.Put("dir/other.txt", [1]);
        NativeHarness n = env.Native;
        var (_, dir, _) = await n.Open(@"\dir", ReadData);

        var (status, name, info) = await n.GetDirInfoByName(dir!, "a\uFF1Ab.txt");
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal("a\uFF1Ab.txt", name);
        Assert.Equal(3UL, info.FileSize);
        Assert.Equal(NtStatus.ObjectNameNotFound, (await n.GetDirInfoByName(dir!, "missing.txt")).Status);
        Assert.Equal(NtStatus.ObjectNameNotFound, (await n.GetDirInfoByName(dir!, new string('x', 256))).Status);
        await n.Close(dir!);
    }

    [Fact]
    public async Task The_root_listing_has_no_dot_entries()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("top.txt", [1]);
        var (_, ctx, _) = await env.Native.Open(@"\", ReadData);
        var (s, buffer) = await env.Native.ReadDirectory(ctx!, null, 4096);
        Assert.Equal(NtStatus.Success, s);
        Assert.Equal(["top.txt"], DirInfoBuffer.Parse(buffer, out _).Select(e => e.Name));
        await env.Native.Close(ctx!);
    }

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
        await using EmulatorFileSystem env = await Start();
        env.Put("report.docx", "old"u8.ToArray());
        NativeHarness n = env.Native;
        // The editor's save: write a temporary, rename it over the original, close.
        var (status, tmp, _) = await n.Create(@"\~report.tmp");
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(NtStatus.Success, (await n.Write(tmp!, 0, "new contents"u8.ToArray())).Status);
        Assert.Equal(NtStatus.Success, await n.Rename(tmp!, @"\~report.tmp", @"\report.docx", true));
        await n.Cleanup(tmp!, @"\report.docx", 0);
        await n.Close(tmp!);
        Assert.Equal("new contents", Encoding.UTF8.GetString(env.Get("report.docx")!));
        Assert.Null(env.Get("~report.tmp"));
    }

    [Fact]
    public async Task EAs_are_the_xattrs_encoded_as_FILE_FULL_EA_INFORMATION()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("doc.txt", "x"u8.ToArray());
        NativeHarness n = env.Native;
        var (_, ctx, _) = await n.Open(@"\doc.txt", ReadData);

        var (status, ea) = await n.GetEa(ctx!);
        Assert.Equal(NtStatus.Success, status);
        Dictionary<string, string> eas = EaBuffer.Parse(ea).ToDictionary(e => e.Name, e => Encoding.UTF8.GetString(e.Value));
        Assert.Equal($"gs://{env.Bucket}/doc.txt", eas["user.gcs.uri"]);

        byte[] set = EaChain(("USER.GCS.META.COLOR", "blue"), ("user.octue.labels", "[\"raw\"]"));
        var (setStatus, _) = await n.SetEa(ctx!, set);
        Assert.Equal(NtStatus.Success, setStatus);
        Assert.Equal("blue", env.MetadataOf("doc.txt")["color"]);

        eas = EaBuffer.Parse((await n.GetEa(ctx!)).Ea).ToDictionary(e => e.Name, e => Encoding.UTF8.GetString(e.Value));
        Assert.Equal("blue", eas["user.gcs.meta.color"]);
        Assert.Contains("raw", eas["user.octue.labels"]);

        // An empty value removes the attribute; removing an absent one is not an error.
        Assert.Equal(NtStatus.Success, (await n.SetEa(ctx!, EaChain(("user.gcs.meta.color", ""), ("user.gcs.meta.never", "")))).Status);
        Assert.False(env.MetadataOf("doc.txt").ContainsKey("color"));

        // A read-only attribute is refused with the mapped status; a malformed chain with STATUS_INVALID_PARAMETER.
        Assert.Equal(NtStatus.AccessDenied, (await n.SetEa(ctx!, EaChain(("user.gcs.uri", "gs://elsewhere/x")))).Status);
        Assert.Equal(NtStatus.InvalidParameter, (await n.SetEa(ctx!, [1, 2, 3])).Status);

        // A buffer too small for every EA returns the ones that fit.
        var (small, partial) = await n.GetEa(ctx!, 64);
        Assert.Equal(NtStatus.Success, small);
        Assert.True(partial.Length <= 64);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task GetSecurityByName_reports_attributes_statuses_and_the_descriptor()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("d/f.txt", [1]);
        NativeHarness n = env.Native;

        var root = await n.GetSecurityByName(@"\");
        Assert.Equal(NtStatus.Success, root.Status);
        Assert.Equal(WinFileAttributes.Directory, root.Attributes);
        Assert.Equal(SecurityDescriptors.EveryoneFullAccess.ToArray(), root.SecurityDescriptor);

        Assert.Equal(WinFileAttributes.Normal, (await n.GetSecurityByName(@"\d\f.txt")).Attributes);
        Assert.Equal(NtStatus.ObjectNameNotFound, (await n.GetSecurityByName(@"\d\nope.txt")).Status);
        Assert.Equal(NtStatus.ObjectPathNotFound, (await n.GetSecurityByName(@"\nope\f.txt")).Status);
        Assert.Equal(NtStatus.ObjectPathNotFound, (await n.GetSecurityByName(@"\d\f.txt\deeper")).Status);

        var small = await n.GetSecurityByName(@"\d", sdCapacity: 8);
        Assert.Equal(NtStatus.BufferOverflow, small.Status);
        Assert.Equal(SecurityDescriptors.EveryoneFullAccess.Length, small.SecurityDescriptor.Length);

        var (_, ctx, _) = await n.Open(@"\d\f.txt", ReadData);
        Assert.Equal(SecurityDescriptors.EveryoneFullAccess.ToArray(), (await n.GetSecurity(ctx!, 256)).Sd);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task Names_follow_the_Windows_rule_both_ways()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("what?.txt", "q"u8.ToArray());
        env.Put("CON", "device"u8.ToArray());
        NativeHarness n = env.Native;

        var (s1, c1, _) = await n.Open("\\what\uFF1F.txt", ReadData);
        Assert.Equal(NtStatus.Success, s1);
        Assert.Equal("q", Encoding.UTF8.GetString((await n.Read(c1!, 0, 10)).Data));
        await n.Close(c1!);

        var (s2, c2, _) = await n.Open("\\\uFF23ON", ReadData);
        Assert.Equal(NtStatus.Success, s2);
        await n.Close(c2!);

        var (s4, c4, _) = await n.Create("\\made\uFF1Ahere\uFF0E");
        Assert.Equal(NtStatus.Success, s4);
        await n.Cleanup(c4!, "\\made\uFF1Ahere\uFF0E", 0);
        await n.Close(c4!);
        Assert.NotNull(env.Get("made:here."));
    }

    [Fact]
    public async Task SetBasicInfo_sets_the_modification_time_and_the_readonly_bit()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("t.txt", [1]);
        NativeHarness n = env.Native;
        var (_, ctx, _) = await n.Open(@"\t.txt", ReadData | WriteData);
        ulong when = FileTime.FromUnixNanoseconds(1_577_836_800L * 1_000_000_000); // 2020-01-01T00:00:00Z

        var (status, info) = await n.SetBasicInfo(ctx!, WinFileAttributes.Unchanged, when);
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(when, info.LastWriteTime);
        Assert.Equal(when, (await n.GetFileInfo(ctx!)).Info.LastWriteTime);

        var (roStatus, ro) = await n.SetBasicInfo(ctx!, WinFileAttributes.ReadOnly, 0);
        Assert.Equal(NtStatus.Success, roStatus);
        Assert.Equal(WinFileAttributes.ReadOnly, ro.FileAttributes);
        await n.Cleanup(ctx!, @"\t.txt", 0);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task A_last_write_time_set_on_a_handle_survives_writes_that_reach_the_file_system_after_it()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("copy.bin", "x"u8.ToArray());
        NativeHarness n = env.Native;
        ulong when = FileTime.FromUnixNanoseconds(1_577_836_800L * 1_000_000_000); // 2020-01-01T00:00:00Z

        // CopyFile's order: data, then the source's times, then CloseHandle; the cached pages reach the file system
        // at Cleanup (FlushAndPurgeOnCleanup), after the time was set. WinFsp then sends no FspCleanupSetLastWriteTime.
        var (_, ctx, _) = await n.Open(@"\copy.bin", ReadData | WriteData);
        Assert.Equal(NtStatus.Success, (await n.Write(ctx!, 0, "hello"u8.ToArray())).Status);
        Assert.Equal(NtStatus.Success, (await n.SetBasicInfo(ctx!, WinFileAttributes.Unchanged, when)).Status);
        Assert.Equal(NtStatus.Success, (await n.Write(ctx!, 5, " world"u8.ToArray())).Status);
        await n.Cleanup(ctx!, null, 0);
        await n.Close(ctx!);

        Assert.Equal("hello world", Encoding.UTF8.GetString(env.Get("copy.bin")!));
        Assert.Equal("1577836800", env.MetadataOf("copy.bin")["goog-reserved-file-mtime"]);
        var (_, again, _) = await n.Open(@"\copy.bin", ReadData);
        Assert.Equal(when, (await n.GetFileInfo(again!)).Info.LastWriteTime);
        await n.Close(again!);
    }

    [Fact]
    public async Task Overwrite_merges_or_replaces_the_readonly_attribute()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("o.txt", "0123456789"u8.ToArray());
        NativeHarness n = env.Native;
        var (_, ctx, _) = await n.Open(@"\o.txt", ReadData | WriteData);

        // CREATE_ALWAYS with FILE_ATTRIBUTE_READONLY: merged into the (normal) attributes.
        var readOnly = await n.Overwrite(ctx!, WinFileAttributes.ReadOnly, replaceAttributes: false);
        Assert.Equal((NtStatus.Success, 0UL, WinFileAttributes.ReadOnly), (readOnly.Status, readOnly.Info.FileSize, readOnly.Info.FileAttributes));
        // Merging NORMAL keeps READONLY; replacing (FILE_SUPERSEDE) with NORMAL clears it.
        var merged = await n.Overwrite(ctx!, WinFileAttributes.Normal, replaceAttributes: false);
        Assert.Equal(WinFileAttributes.ReadOnly, merged.Info.FileAttributes);
        var replaced = await n.Overwrite(ctx!, WinFileAttributes.Normal, replaceAttributes: true);
        Assert.Equal((NtStatus.Success, WinFileAttributes.Normal), (replaced.Status, replaced.Info.FileAttributes));

        await n.Cleanup(ctx!, null, 0);
        await n.Close(ctx!);
        Assert.Empty(env.Get("o.txt")!);
        Assert.Equal(WinFileAttributes.Normal, (await n.GetSecurityByName(@"\o.txt")).Attributes);
    }

    [Fact]
    public async Task Symbolic_links_show_as_empty_read_only_files()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("target.txt", "data"u8.ToArray());
        var link = await env.FileSystem.SymlinkAsync(global::Octue.Mount.Vfs.IFileSystem.RootId, "link", "target.txt");
        Assert.True(link.IsOk);
        env.FileSystem.Forget(link.Value.NodeId, 1);
        NativeHarness n = env.Native;

        var (status, ctx, info) = await n.Open(@"\link", ReadData);
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(WinFileAttributes.ReadOnly, info.FileAttributes);
        Assert.Equal(0UL, info.FileSize);
        Assert.Equal(NtStatus.EndOfFile, (await n.Read(ctx!, 0, 16)).Status);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task GetVolumeInfo_reports_the_label_and_a_stable_size()
    {
        await using EmulatorFileSystem env = await Start();
        var (status, info) = await env.Native.GetVolumeInfo();
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal("test-volume".Length * 2, info.VolumeLabelLength);
        unsafe
        {
            Assert.Equal("test-volume", new string(info.VolumeLabel, 0, info.VolumeLabelLength / 2));
        }
        Assert.True(info.TotalSize > 0 && info.FreeSize <= info.TotalSize);
    }

    [Fact]
    public async Task Unmount_releases_files_Windows_left_open_and_uploads_their_bytes()
    {
        await using EmulatorFileSystem env = await Start();
        NativeHarness n = env.Native;
        var (status, ctx, _) = await n.Create(@"\left-open.txt");
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(NtStatus.Success, (await n.Write(ctx!, 0, "unsaved"u8.ToArray())).Status);
        Assert.Null(env.Get("left-open.txt"));

        List<nint> orphaned = await n.Adapter.ShutdownAsync();
        Assert.Equal("unsaved", Encoding.UTF8.GetString(env.Get("left-open.txt")!));
        Assert.Equal(0, n.Adapter.OpenCount);
        unsafe
        {
            Assert.Equal([(nint)ctx!.Pointer[1]], orphaned);
        }
        foreach (nint handle in orphaned)
            GCHandle.FromIntPtr(handle).Free();
        ctx!.Free();
    }

    [Fact]
    public async Task A_managed_exception_never_crosses_into_native_code()
    {
        await using EmulatorFileSystem env = await Start();
        // A file context whose GCHandle points at something that is not an open file: the callback must fail cleanly.
        var bogus = new NativeContext();
        GCHandle handle = GCHandle.Alloc(new object());
        try
        {
            unsafe
            {
                bogus.Pointer[1] = (ulong)GCHandle.ToIntPtr(handle);
            }
            Assert.Equal(NtStatus.UnexpectedIoError, (await env.Native.GetFileInfo(bogus)).Status);
            Assert.Equal(NtStatus.UnexpectedIoError, (await env.Native.Read(bogus, 0, 16)).Status);
        }
        finally
        {
            handle.Free();
            bogus.Free();
        }
    }

    private static byte[] EaChain(params (string Name, string Value)[] entries)
    {
        byte[] buffer = new byte[4096];
        uint used;
        unsafe
        {
            fixed (byte* p = buffer)
            {
                var writer = new EaBuffer(p, (uint)buffer.Length);
                foreach (var (name, value) in entries)
                    Assert.True(writer.TryAdd(name, Encoding.UTF8.GetBytes(value)));
                writer.AddEnd();
                used = writer.BytesTransferred;
            }
        }
        return buffer.AsSpan(0, (int)used).ToArray();
    }
}
