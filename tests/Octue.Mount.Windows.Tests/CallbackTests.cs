using System.Runtime.InteropServices;
using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Windows.Mapping;
using Octue.Mount.Windows.Native;
using static Octue.Mount.Windows.Tests.WinFspFlags;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// The WinFsp callbacks for a file's bytes (create, open, read, write, overwrite, flush, cleanup) and for the adapter's
/// own life (pending completions, unmount, exceptions), invoked through the native interface table with native
/// buffers, over the real VFS and the GCS emulator. Directories, delete and rename, and attributes have test classes
/// of their own beside this one.
/// </summary>
public sealed class CallbackTests : IClassFixture<EmulatorFixture>
{
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
    public async Task A_write_is_answered_with_the_files_new_size_from_the_write_alone()
    {
        CallCountingFileSystem calls = null!;
        await using EmulatorFileSystem env = await EmulatorFileSystem.StartAsync(_fixture.Emulator,
            fs => CallCountingFileSystem.Wrap(fs, out calls));
        NativeHarness n = env.Native;
        var (status, ctx, _) = await n.Create(@"\grown.txt");
        Assert.Equal(NtStatus.Success, status);

        calls.Reset();
        var w1 = await n.Write(ctx!, 0, "hello"u8.ToArray());
        var w2 = await n.Write(ctx!, 5, " world"u8.ToArray());
        Assert.Equal((NtStatus.Success, 5u, 5UL), (w1.Status, w1.Written, w1.Info.FileSize));
        Assert.Equal((NtStatus.Success, 6u, 11UL), (w2.Status, w2.Written, w2.Info.FileSize));
        Assert.Equal(2, calls.Count(nameof(global::Octue.Mount.Vfs.IFileSystem.WriteAsync)));
        Assert.Equal(0, calls.Count(nameof(global::Octue.Mount.Vfs.IFileSystem.GetAttributesAsync)));

        await n.Cleanup(ctx!, @"\grown.txt", 0);
        await n.Close(ctx!);
        Assert.Equal("hello world", Encoding.UTF8.GetString(env.Get("grown.txt") ?? []));
    }

    [Fact]
    public async Task A_flush_is_answered_with_the_files_attributes_from_the_flush_alone()
    {
        CallCountingFileSystem calls = null!;
        await using EmulatorFileSystem env = await EmulatorFileSystem.StartAsync(_fixture.Emulator,
            fs => CallCountingFileSystem.Wrap(fs, out calls));
        NativeHarness n = env.Native;
        var (status, ctx, _) = await n.Create(@"\flushed.txt");
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(NtStatus.Success, (await n.Write(ctx!, 0, "hello world"u8.ToArray())).Status);

        calls.Reset();
        var flushed = await n.Flush(ctx!);
        Assert.Equal((NtStatus.Success, 11UL), (flushed.Status, flushed.Info.FileSize));
        Assert.Equal("hello world", Encoding.UTF8.GetString(env.Get("flushed.txt") ?? []));
        // The adapter translates what the flush answered; it does not ask for the attributes again.
        Assert.Equal(0, calls.Count(nameof(global::Octue.Mount.Vfs.IFileSystem.GetAttributesAsync)));

        await n.Cleanup(ctx!, @"\flushed.txt", 0);
        await n.Close(ctx!);
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
}
