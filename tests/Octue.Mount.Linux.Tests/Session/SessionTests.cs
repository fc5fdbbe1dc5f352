// Over 400 lines: every reply-rule test drives the one socket-pair harness above its tests (about 150 lines); split, each
// part would need a copy of it.
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Emulator;
using Octue.Mount.Linux.Native;
using Octue.Mount.Linux.Protocol;
using Octue.Mount.Linux.Session;
using Octue.Mount.Linux.Tests.Mounts;
using Octue.Mount.Storage;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Tests.Session;

/// <summary>
/// The request loop and dispatcher driven through a SEQPACKET socket pair standing in for /dev/fuse (one message per
/// read, like the device), with the real <see cref="OctueFileSystem"/> over the emulator behind it. This is where
/// the reply rules are checked byte for byte: lengths, negative errnos, no reply to FORGET, INTERRUPT handling.
/// </summary>
public sealed class SessionTests(EmulatorFixture fixture) : IAsyncLifetime, IClassFixture<EmulatorFixture>
{
    private const int SockSeqPacket = 5;
    private readonly TempDirectory _temp = new();
    private readonly Channel<byte[]> _replies = Channel.CreateUnbounded<byte[]>();
    private GcsEmulator _emulator = null!;
    private string _bucket = null!;
    private GcsObjectStore _store = null!;
    private OctueFileSystem _fs = null!;
    private FuseSession _session = null!;
    private int _kernelFd = -1;
    private ulong _unique = 100;

    public async Task InitializeAsync()
    {
        // The class's emulator, as a new one would start: no faults armed (a test that failed may have left one), and
        // a bucket of this test's own.
        _emulator = fixture.Emulator;
        _emulator.Faults.Clear();
        _bucket = fixture.NewBucket("session");
        _emulator.Store.PutObject(_bucket, "hello.txt", "hello\n"u8.ToArray());
        _store = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = _emulator.HostAndPort, MaxRetries = 0 });
        _fs = await OctueFileSystem.CreateAsync(new FileSystemOptions
        {
            Source = MountSource.Parse($"gs://{_bucket}", null),
            CacheDirectory = _temp.Combine("cache"),
            MetadataTtl = TimeSpan.Zero,
        }, _store);

        var (daemonFd, kernelFd) = CreatePair();
        _kernelFd = kernelFd;
        _session = new FuseSession(new FuseDevice(daemonFd), _fs, new FuseSessionOptions { ReaderThreads = 2 }, NullLogger.Instance);
        _session.Start();
        new Thread(ReadReplies) { IsBackground = true }.Start();
    }

    public async Task DisposeAsync()
    {
        try
        {
            // shutdown (not just close) wakes the reply reader and shows the daemon's readers the end of the connection.
            if (_kernelFd >= 0)
                LibC.Shutdown(_kernelFd, LibC.SHUT_RDWR);
            await _session.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            if (_kernelFd >= 0)
                LibC.Close(_kernelFd);
            await _fs.DisposeAsync();
            _store.Dispose();
            _temp.Dispose();
        }
    }

    private void ReadReplies()
    {
        var buffer = new byte[2 << 20];
        while (true)
        {
            var n = ReadInto(_kernelFd, buffer);
            if (n <= 0)
            {
                _replies.Writer.TryComplete();
                return;
            }
            _replies.Writer.TryWrite(buffer.AsSpan(0, (int)n).ToArray());
        }
    }

    private ulong Send(FuseOpcode opcode, ulong node, params byte[][] args)
    {
        var unique = _unique += 2;
        SendRaw(opcode, unique, node, args);
        return unique;
    }

    private void SendRaw(FuseOpcode opcode, ulong unique, ulong node, params byte[][] args)
    {
        var length = FuseInHeader.Size + args.Sum(a => a.Length);
        var message = new byte[length];
        var header = new FuseInHeader { Length = (uint)length, Opcode = opcode, Unique = unique, NodeId = node };
        MemoryMarshal.Write(message, in header);
        var offset = FuseInHeader.Size;
        foreach (var arg in args)
        {
            arg.CopyTo(message, offset);
            offset += arg.Length;
        }
        Assert.Equal(length, WriteAll(_kernelFd, message));
    }

    private static unsafe (int Daemon, int Kernel) CreatePair()
    {
        var pair = stackalloc int[2];
        Assert.Equal(0, LibC.SocketPair(LibC.AF_UNIX, SockSeqPacket | LibC.O_CLOEXEC, 0, pair));
        return (pair[0], pair[1]);
    }

    private static unsafe nint ReadInto(int fd, byte[] buffer)
    {
        fixed (byte* pointer = buffer)
            return LibC.Read(fd, pointer, buffer.Length);
    }

    private static unsafe int WriteAll(int fd, byte[] message)
    {
        fixed (byte* pointer = message)
            return (int)LibC.Write(fd, pointer, message.Length);
    }

    private async Task<(FuseOutHeader Header, byte[] Payload)> ReceiveAsync(TimeSpan? timeout = null)
    {
        var message = await _replies.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
        var header = MemoryMarshal.Read<FuseOutHeader>(message);
        Assert.NotEqual(0UL, header.Unique);
        Assert.Equal((uint)message.Length, header.Length);
        Assert.True(header.Error <= 0 && header.Error > -1000, $"error {header.Error} is not a negative errno");
        if (header.Error != 0)
            Assert.Equal(FuseOutHeader.Size, message.Length);
        return (header, message[FuseOutHeader.Size..]);
    }

    private static byte[] Bytes<T>(T value) where T : unmanaged
    {
        var bytes = new byte[System.Runtime.CompilerServices.Unsafe.SizeOf<T>()];
        MemoryMarshal.Write(bytes, in value);
        return bytes;
    }

    private static byte[] Name(string name) => System.Text.Encoding.UTF8.GetBytes(name + "\0");

    private async Task InitAsync()
    {
        SendRaw(FuseOpcode.Init, 2, 0, Bytes(new FuseInitIn { Major = 7, Minor = 45, MaxReadahead = 131072, Flags = 0x73fffffb, Flags2 = 0x5fd }));
        var (header, payload) = await ReceiveAsync();
        Assert.Equal(2UL, header.Unique);
        Assert.Equal(0, header.Error);
        Assert.Equal(FuseInitOut.Size, payload.Length);
        var init = MemoryMarshal.Read<FuseInitOut>(payload);
        Assert.Equal(45u, init.Minor);
        Assert.Equal(1u << 20, init.MaxWrite);
        await _session.Initialized.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Init_then_lookup_answers_an_entry_or_a_16_byte_enoent()
    {
        await InitAsync();
        var found = Send(FuseOpcode.Lookup, 1, Name("hello.txt"));
        var (header, payload) = await ReceiveAsync();
        Assert.Equal(found, header.Unique);
        Assert.Equal(0, header.Error);
        Assert.Equal(FuseEntryOut.Size, payload.Length);
        var entry = MemoryMarshal.Read<FuseEntryOut>(payload);
        Assert.NotEqual(0UL, entry.NodeId);
        Assert.Equal(6UL, entry.Attr.FileSize);
        Assert.Equal(FileModes.Regular, entry.Attr.Mode & FileModes.TypeMask);

        var missing = Send(FuseOpcode.Lookup, 1, Name("nothing-here"));
        var miss = await ReceiveAsync();
        Assert.Equal(missing, miss.Header.Unique);
        Assert.Equal(-Errno.ENOENT, miss.Header.Error);

        // Open, read and release the file through its handle.
        Send(FuseOpcode.Open, entry.NodeId, Bytes(new FuseOpenIn()));
        var opened = MemoryMarshal.Read<FuseOpenOut>((await ReceiveAsync()).Payload);
        Send(FuseOpcode.Read, entry.NodeId, Bytes(new FuseReadIn { Fh = opened.Fh, ReadSize = 4096 }));
        Assert.Equal("hello\n"u8.ToArray(), (await ReceiveAsync()).Payload);
        Send(FuseOpcode.Release, entry.NodeId, Bytes(new FuseReleaseIn { Fh = opened.Fh }));
        Assert.Empty((await ReceiveAsync()).Payload);
    }

    [Fact]
    public async Task Opens_that_cannot_write_are_answered_with_no_flush_and_the_others_keep_their_flush()
    {
        await InitAsync();
        Send(FuseOpcode.Lookup, 1, Name("hello.txt"));
        var node = MemoryMarshal.Read<FuseEntryOut>((await ReceiveAsync()).Payload).NodeId;
        async Task<FuseOpenOutFlags> OpenAndReleaseAsync(uint flags)
        {
            Send(FuseOpcode.Open, node, Bytes(new FuseOpenIn { Flags = flags }));
            var opened = MemoryMarshal.Read<FuseOpenOut>((await ReceiveAsync()).Payload);
            Send(FuseOpcode.Release, node, Bytes(new FuseReleaseIn { Fh = opened.Fh }));
            Assert.Equal(0, (await ReceiveAsync()).Header.Error);
            return opened.OpenFlags;
        }

        // close(2) of a read-only open then sends no FLUSH: there is nothing it could upload.
        Assert.True((await OpenAndReleaseAsync(FileModes.ReadOnly)).HasFlag(FuseOpenOutFlags.NoFlush));
        // Every open that can write keeps its FLUSH: its close uploads and returns once the object is durable.
        Assert.False((await OpenAndReleaseAsync(FileModes.WriteOnly)).HasFlag(FuseOpenOutFlags.NoFlush));
        Assert.False((await OpenAndReleaseAsync(FileModes.ReadWrite)).HasFlag(FuseOpenOutFlags.NoFlush));
        Assert.False((await OpenAndReleaseAsync(FileModes.ReadOnly | FileModes.Append)).HasFlag(FuseOpenOutFlags.NoFlush));
    }

    [Fact]
    public async Task A_request_answered_from_memory_is_answered_by_the_reader_thread_that_read_it()
    {
        await InitAsync();
        var before = _session.AnsweredByReader;
        Send(FuseOpcode.StatFs, 1);
        Assert.Equal(0, (await ReceiveAsync()).Header.Error);
        Send(FuseOpcode.GetAttr, 1, Bytes(new FuseGetAttrIn()));
        Assert.Equal(0, (await ReceiveAsync()).Header.Error);
        // The reader counts a request once its handler has returned, which is just after the reply went out: the
        // reply can reach us first, so wait a moment for the count rather than read it at once.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (_session.AnsweredByReader < before + 2 && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        Assert.Equal(before + 2, _session.AnsweredByReader);
    }

    [Fact]
    public async Task A_reader_that_takes_a_request_starts_another_when_none_is_left_reading_up_to_the_limit()
    {
        var (daemonFd, kernelFd) = CreatePair();
        var session = new FuseSession(new FuseDevice(daemonFd), _fs, new FuseSessionOptions { ReaderThreads = 1, MaxReaderThreads = 3 }, NullLogger.Instance);
        try
        {
            session.Start();
            Assert.Equal(1, session.ReaderThreads);
            var reply = new byte[4096];
            var header = new FuseInHeader { Length = (uint)FuseInHeader.Size, Opcode = FuseOpcode.StatFs, NodeId = 1 };
            var message = new byte[FuseInHeader.Size];
            for (var i = 0; i < 10; i++)
            {
                header.Unique = 2 + 2 * (ulong)i;
                MemoryMarshal.Write(message, in header);
                Assert.Equal(message.Length, WriteAll(kernelFd, message));
                Assert.True(ReadInto(kernelFd, reply) > 0);
                Assert.Equal(header.Unique, MemoryMarshal.Read<FuseOutHeader>(reply).Unique);
                // The first request found the only reader busy with it, so a second one started before it was answered.
                Assert.InRange(session.ReaderThreads, 2, 3);
            }
        }
        finally
        {
            LibC.Shutdown(kernelFd, LibC.SHUT_RDWR);
            await session.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            LibC.Close(kernelFd);
        }
    }

    [Fact]
    public async Task Forget_gets_no_reply_and_unsupported_opcodes_get_the_right_errno()
    {
        await InitAsync();
        Send(FuseOpcode.Lookup, 1, Name("hello.txt"));
        var node = MemoryMarshal.Read<FuseEntryOut>((await ReceiveAsync()).Payload).NodeId;
        SendRaw(FuseOpcode.Forget, _unique += 2, node, Bytes(new FuseForgetIn { NLookup = 1 }));
        var link = Send(FuseOpcode.Link, 1, Bytes(new FuseLinkIn { OldNodeId = node }), Name("hard"));
        var reply = await ReceiveAsync();
        Assert.Equal(link, reply.Header.Unique);
        Assert.Equal(-Errno.EPERM, reply.Header.Error);

        var unknown = Send((FuseOpcode)99, 1);
        reply = await ReceiveAsync();
        Assert.Equal(unknown, reply.Header.Unique);
        Assert.Equal(-Errno.ENOSYS, reply.Header.Error);

        Send(FuseOpcode.Rename2, 1, Bytes(new FuseRename2In { NewDir = 1, Flags = FuseRename2In.Exchange }), Name("hello.txt"), Name("other.txt"));
        Assert.Equal(-Errno.EINVAL, (await ReceiveAsync()).Header.Error);
    }

    /// <summary>Per spec/fuse-notes.md §1.8-1.9: ENOSYS where the kernel's sticky fallback is wanted, EOPNOTSUPP for FALLOCATE.</summary>
    [Theory]
    [InlineData(FuseOpcode.Lseek, 24, Errno.ENOSYS)]             // generic lseek for ever
    [InlineData(FuseOpcode.Statx, 24, Errno.ENOSYS)]             // GETATTR instead
    [InlineData(FuseOpcode.CopyFileRange, 56, Errno.ENOSYS)]     // the kernel copies through READ/WRITE
    [InlineData(FuseOpcode.CopyFileRange64, 56, Errno.ENOSYS)]
    [InlineData(FuseOpcode.TmpFile, 16, Errno.ENOSYS)]           // O_TMPFILE fails with EOPNOTSUPP from then on
    [InlineData(FuseOpcode.Fallocate, 32, Errno.EOPNOTSUPP)]     // "header only, or EOPNOTSUPP"
    [InlineData(FuseOpcode.GetLk, 48, Errno.ENOSYS)]             // POSIX_LOCKS is not negotiated: locks stay local
    [InlineData(FuseOpcode.SetLk, 48, Errno.ENOSYS)]
    [InlineData(FuseOpcode.SetLkW, 48, Errno.ENOSYS)]
    public async Task Unsupported_operations_get_the_errno_the_kernel_expects(FuseOpcode opcode, int argumentSize, int errno)
    {
        await InitAsync();
        Send(FuseOpcode.Lookup, 1, Name("hello.txt"));
        var node = MemoryMarshal.Read<FuseEntryOut>((await ReceiveAsync()).Payload).NodeId;
        var target = opcode == FuseOpcode.TmpFile ? 1UL : node;
        var unique = opcode == FuseOpcode.TmpFile
            ? Send(opcode, target, new byte[argumentSize], Name("tmp"))
            : Send(opcode, target, new byte[argumentSize]);
        var reply = await ReceiveAsync();
        Assert.Equal(unique, reply.Header.Unique);
        Assert.Equal(-errno, reply.Header.Error);
    }

    [Fact]
    public async Task Replies_leave_out_of_order_a_fast_request_is_answered_while_a_slow_read_waits()
    {
        // Larger than what an open downloads whole, so its first read downloads.
        var large = new byte[(1 << 20) + 4096];
        new Random(7).NextBytes(large);
        _emulator.Store.PutObject(_bucket, "large.bin", large);
        await InitAsync();
        Send(FuseOpcode.Lookup, 1, Name("large.bin"));
        var node = MemoryMarshal.Read<FuseEntryOut>((await ReceiveAsync()).Payload).NodeId;
        Send(FuseOpcode.Open, node, Bytes(new FuseOpenIn()));
        var fh = MemoryMarshal.Read<FuseOpenOut>((await ReceiveAsync()).Payload).Fh;

        // The read's download is held back by the emulator; nothing else needs the network.
        _emulator.Faults.Add(new FaultRule { Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(5), Bucket = _bucket, RequestKind = RequestKind.Download });
        var read = Send(FuseOpcode.Read, node, Bytes(new FuseReadIn { Fh = fh, ReadSize = 4096 }));
        var statfs = Send(FuseOpcode.StatFs, 1);
        var getattr = Send(FuseOpcode.GetAttr, 1, Bytes(new FuseGetAttrIn()));

        var first = await ReceiveAsync();
        var second = await ReceiveAsync();
        Assert.Equal([statfs, getattr], new[] { first.Header.Unique, second.Header.Unique }.Order().ToArray());
        Assert.Equal(FuseStatfsOut.Size, (first.Header.Unique == statfs ? first : second).Payload.Length);

        var last = await ReceiveAsync(TimeSpan.FromSeconds(30));
        _emulator.Faults.Clear();
        Assert.Equal(read, last.Header.Unique);
        Assert.Equal(large[..4096], last.Payload);
    }

    [Fact]
    public async Task Xattr_size_queries_and_foreign_namespaces()
    {
        await InitAsync();
        Send(FuseOpcode.Lookup, 1, Name("hello.txt"));
        var node = MemoryMarshal.Read<FuseEntryOut>((await ReceiveAsync()).Payload).NodeId;

        Send(FuseOpcode.GetXattr, node, Bytes(new FuseGetXattrIn { BufferSize = 0 }), Name("user.gcs.size"));
        var size = await ReceiveAsync();
        Assert.Equal(FuseGetXattrOut.Size, size.Payload.Length);
        Assert.Equal(1u, MemoryMarshal.Read<FuseGetXattrOut>(size.Payload).ValueSize); // "6"

        Send(FuseOpcode.GetXattr, node, Bytes(new FuseGetXattrIn { BufferSize = 64 }), Name("user.gcs.size"));
        Assert.Equal("6"u8.ToArray(), (await ReceiveAsync()).Payload);

        Send(FuseOpcode.ListXattr, node, Bytes(new FuseGetXattrIn { BufferSize = 1 }));
        Assert.Equal(-Errno.ERANGE, (await ReceiveAsync()).Header.Error);

        // Names outside user. are answered "not supported" on the reader thread, whether or not the node exists.
        Send(FuseOpcode.GetXattr, node, Bytes(new FuseGetXattrIn { BufferSize = 64 }), Name("security.capability"));
        Assert.Equal(-Errno.EOPNOTSUPP, (await ReceiveAsync()).Header.Error);
        Send(FuseOpcode.GetXattr, 987654, Bytes(new FuseGetXattrIn { BufferSize = 0 }), Name("system.posix_acl_access"));
        Assert.Equal(-Errno.EOPNOTSUPP, (await ReceiveAsync()).Header.Error);
        Send(FuseOpcode.RemoveXattr, node, Name("trusted.x"));
        Assert.Equal(-Errno.EOPNOTSUPP, (await ReceiveAsync()).Header.Error);
        Assert.Equal(4, _session.RequestCounts[FuseOpcode.GetXattr]);
        Assert.Equal(1, _session.RequestCounts[FuseOpcode.RemoveXattr]);
    }

    [Fact]
    public void Foreign_xattr_names_are_answered_without_the_file_system()
    {
        var (daemonFd, kernelFd) = CreatePair();
        using var device = new FuseDevice(daemonFd);
        try
        {
            // No file system at all behind the dispatcher: an inline answer cannot have asked it.
            var dispatcher = new FuseDispatcher(null!, new FuseReplySender(device, NullLogger.Instance), NullLogger.Instance);
            byte[] Args(string name) => [.. Bytes(new FuseGetXattrIn { BufferSize = 64 }), .. Name(name)];
            var header = new FuseInHeader { Opcode = FuseOpcode.GetXattr, Unique = 42, NodeId = 7 };

            Assert.True(dispatcher.TryAnswerInline(header, Args("security.selinux")));
            var reply = new byte[64];
            Assert.Equal(FuseOutHeader.Size, (int)ReadInto(kernelFd, reply));
            var answer = MemoryMarshal.Read<FuseOutHeader>(reply);
            Assert.Equal(42UL, answer.Unique);
            Assert.Equal(-Errno.EOPNOTSUPP, answer.Error);

            Assert.False(dispatcher.TryAnswerInline(header, Args("user.gcs.size")));
            Assert.False(dispatcher.TryAnswerInline(header with { Opcode = FuseOpcode.Read }, Args("security.selinux")));
        }
        finally
        {
            LibC.Close(kernelFd);
        }
    }

    [Fact]
    public async Task Readdirplus_lists_the_bucket_with_attributes()
    {
        await InitAsync();
        Send(FuseOpcode.OpenDir, 1, Bytes(new FuseOpenIn()));
        var handle = MemoryMarshal.Read<FuseOpenOut>((await ReceiveAsync()).Payload).Fh;
        Send(FuseOpcode.ReadDirPlus, 1, Bytes(new FuseReadIn { Fh = handle, ReadSize = 4096 }));
        var payload = (await ReceiveAsync()).Payload;
        var names = new List<string>();
        for (var offset = 0; offset < payload.Length;)
        {
            var nameLength = BitConverter.ToInt32(payload, offset + FuseEntryOut.Size + 16);
            names.Add(System.Text.Encoding.UTF8.GetString(payload, offset + DirentEncoder.DirentPlusHeaderSize, nameLength));
            if (names[^1] == "hello.txt")
                Assert.Equal(6UL, BitConverter.ToUInt64(payload, offset + 40 + 8)); // entry.attr.size
            offset += DirentEncoder.DirentPlusSize(nameLength);
        }
        Assert.Equal([".", "..", "hello.txt"], names);
        Send(FuseOpcode.ReleaseDir, 1, Bytes(new FuseReleaseIn { Fh = handle }));
        Assert.Equal(0, (await ReceiveAsync()).Header.Error);
    }

    [Fact]
    public async Task Interrupt_of_an_unknown_request_asks_for_a_retry_and_of_a_slow_one_ends_it_with_eintr()
    {
        await InitAsync();
        SendRaw(FuseOpcode.Interrupt, 9001, 0, Bytes(new FuseInterruptIn { Unique = 9000 }));
        var retry = await ReceiveAsync();
        Assert.Equal(9001UL, retry.Header.Unique);
        Assert.Equal(-Errno.EAGAIN, retry.Header.Error);

        _emulator.Faults.Add(new FaultRule { Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(20), Bucket = _bucket, Times = 10 });
        var slow = Send(FuseOpcode.Lookup, 1, Name("slow.txt"));
        await Task.Delay(500);
        SendRaw(FuseOpcode.Interrupt, slow | 1, 0, Bytes(new FuseInterruptIn { Unique = slow }));
        var reply = await ReceiveAsync(TimeSpan.FromSeconds(10));
        _emulator.Faults.Clear();
        Assert.Equal(slow, reply.Header.Unique);
        Assert.Equal(-Errno.EINTR, reply.Header.Error);
    }

    [Fact]
    public async Task A_listing_without_a_name_the_kernel_holds_sends_an_inval_entry_notification()
    {
        await InitAsync();
        Send(FuseOpcode.Lookup, 1, Name("hello.txt"));
        Assert.Equal(0, (await ReceiveAsync()).Header.Error);
        // Another client deletes the object; the next listing of the root (no metadata cache here) no longer has it.
        await _store.DeleteAsync(_bucket, "hello.txt");
        var opendir = Send(FuseOpcode.OpenDir, 1, Bytes(new FuseOpenIn()));
        var (reply, notification) = await ReceiveReplyAndNotificationAsync(opendir);
        Assert.Equal(0, reply.Error);
        AssertInvalEntry(notification, 1, "hello.txt");
    }

    [Fact]
    public async Task A_file_that_became_a_directory_elsewhere_sends_an_inval_entry_notification()
    {
        await InitAsync();
        Send(FuseOpcode.Lookup, 1, Name("hello.txt"));
        Assert.Equal(0, (await ReceiveAsync()).Header.Error);
        await _store.DeleteAsync(_bucket, "hello.txt");
        _emulator.Store.PutObject(_bucket, "hello.txt/inside", "now a folder\n"u8.ToArray());
        var opendir = Send(FuseOpcode.OpenDir, 1, Bytes(new FuseOpenIn()));
        var (reply, notification) = await ReceiveReplyAndNotificationAsync(opendir);
        Assert.Equal(0, reply.Error);
        AssertInvalEntry(notification, 1, "hello.txt");
    }

    [Fact]
    public async Task A_getattr_that_finds_the_object_gone_sends_an_inval_entry_notification()
    {
        await InitAsync();
        Send(FuseOpcode.Lookup, 1, Name("hello.txt"));
        var node = MemoryMarshal.Read<FuseEntryOut>((await ReceiveAsync()).Payload).NodeId;
        await _store.DeleteAsync(_bucket, "hello.txt");
        var getattr = Send(FuseOpcode.GetAttr, node, Bytes(new FuseGetAttrIn()));
        var (reply, notification) = await ReceiveReplyAndNotificationAsync(getattr);
        Assert.Equal(-Errno.ENOENT, reply.Error);
        AssertInvalEntry(notification, 1, "hello.txt");
    }

    /// <summary>The reply to <paramref name="unique"/> and one notification: they leave from different threads, in either order.</summary>
    private async Task<(FuseOutHeader Reply, byte[] Notification)> ReceiveReplyAndNotificationAsync(ulong unique)
    {
        byte[]? notification = null;
        FuseOutHeader? reply = null;
        while (notification is null || reply is null)
        {
            var message = await _replies.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            var header = MemoryMarshal.Read<FuseOutHeader>(message);
            Assert.Equal((uint)message.Length, header.Length);
            if (header.Unique == 0)
            {
                Assert.Null(notification);
                notification = message;
                continue;
            }
            Assert.Equal(unique, header.Unique);
            reply = header;
        }
        return (reply.Value, notification);
    }

    private static void AssertInvalEntry(byte[] notification, ulong parent, string name)
    {
        Assert.Equal((int)FuseNotifyCode.InvalEntry, MemoryMarshal.Read<FuseOutHeader>(notification).Error);
        var payload = notification.AsSpan(FuseOutHeader.Size);
        var inval = MemoryMarshal.Read<FuseNotifyInvalEntryOut>(payload);
        Assert.Equal(parent, inval.Parent);
        Assert.Equal((uint)System.Text.Encoding.UTF8.GetByteCount(name), inval.NameLength);
        Assert.Equal(0u, inval.Flags);
        Assert.Equal(Name(name), payload[FuseNotifyInvalEntryOut.Size..].ToArray());
    }

    [Fact]
    public async Task The_session_ends_when_the_connection_closes()
    {
        await InitAsync();
        LibC.Shutdown(_kernelFd, LibC.SHUT_RDWR);
        await _session.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, _session.ActiveHandlers);
    }
}
