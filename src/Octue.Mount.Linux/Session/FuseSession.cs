using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// The request loop of one FUSE connection. Dedicated threads block in read(2) on /dev/fuse, each with a pooled
/// buffer, and the thread that reads a request runs its handler itself up to the handler's first wait for I/O: a
/// request answered from memory (a cached read, an attribute, a lookup the listing answers) is answered on that
/// thread with no hand-off to another, and one that waits continues wherever its I/O completes, so replies leave
/// out of order. While one reader serves, another is in read(2): when a reader takes a request and none is left
/// reading, a new one starts (up to <see cref="FuseSessionOptions.MaxReaderThreads"/>), so a handler that is slow
/// before its first wait never keeps the next request waiting. The loop ends when the kernel says ENODEV (the
/// mount is gone or the connection was aborted).
/// </summary>
internal sealed class FuseSession
{
    private readonly FuseDevice _device;
    private readonly IFileSystem _fs;
    private readonly FuseSessionOptions _options;
    private readonly ILogger _logger;
    private readonly FuseReplySender _reply;
    private readonly FuseDispatcher _dispatcher;
    private readonly RequestBufferPool _buffers;
    private readonly FuseRequestCounts _counts = new();
    private readonly PassthroughFiles _passthrough;
    private readonly ConcurrentDictionary<ulong, FuseRequest> _inFlight = new();
    private readonly TaskCompletionSource<FuseInitOut> _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FuseNotifier? _notifier;
    private int _runningReaders;
    private int _startedReaders;
    private int _waitingReaders;
    private int _activeHandlers;
    private long _answeredByReader;

    public FuseSession(FuseDevice device, IFileSystem fs, FuseSessionOptions options, ILogger logger)
    {
        _device = device;
        _fs = fs;
        _options = options;
        _logger = logger;
        _reply = new FuseReplySender(device, logger);
        _passthrough = new PassthroughFiles(device, logger);
        _dispatcher = new FuseDispatcher(fs, _reply, logger, _passthrough);
        _buffers = new RequestBufferPool(options.RequestBufferSize, options.RetainedBuffers);
    }

    /// <summary>Completes with the INIT reply once the kernel's INIT was answered; faults if it was refused or the connection ended first.</summary>
    public Task<FuseInitOut> Initialized => _initialized.Task;

    /// <summary>Completes when every reader has stopped (unmount, abort, or a fatal read error).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Requests received so far, by opcode.</summary>
    public FuseRequestCounts RequestCounts => _counts;

    /// <summary>Requests being handled right now.</summary>
    public int ActiveHandlers => Volatile.Read(ref _activeHandlers);

    /// <summary>Requests whose handler finished on the reader thread that read them, without waiting for anything.</summary>
    public long AnsweredByReader => Interlocked.Read(ref _answeredByReader);

    /// <summary>Reader threads started so far (they stop only when the connection ends).</summary>
    public int ReaderThreads => Volatile.Read(ref _startedReaders);

    public void Start()
    {
        for (var i = 0; i < _options.ReaderThreads; i++)
            TryStartReader();
    }

    /// <summary>Starts one more reader unless <see cref="FuseSessionOptions.MaxReaderThreads"/> are running.</summary>
    private void TryStartReader()
    {
        var limit = Math.Max(_options.ReaderThreads, _options.MaxReaderThreads);
        int started;
        do
        {
            started = Volatile.Read(ref _startedReaders);
            if (started >= limit)
                return;
        }
        while (Interlocked.CompareExchange(ref _startedReaders, started + 1, started) != started);
        // Counted before the thread runs, so that the last reader to stop is the one that sees zero.
        Interlocked.Increment(ref _runningReaders);
        var thread = new Thread(ReaderLoop) { IsBackground = true, Name = $"fuse-reader-{started}" };
        // Handlers run on this thread: it must not carry the starter's execution context (its async-locals, the
        // current activity) into every request it serves.
        thread.UnsafeStart();
    }

    /// <summary>Waits until in-flight handlers have finished (after the readers stopped), at most <paramref name="timeout"/>.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (ActiveHandlers > 0)
        {
            if (DateTime.UtcNow >= deadline)
                return false;
            await Task.Delay(20).ConfigureAwait(false);
        }
        return true;
    }

    private void ReaderLoop()
    {
        try
        {
            while (true)
            {
                var buffer = _buffers.Rent();
                Interlocked.Increment(ref _waitingReaders);
                var n = _device.Read(buffer);
                // This thread now serves what it read; if no other reader is left in read(2), one more starts.
                if (Interlocked.Decrement(ref _waitingReaders) == 0 && n > 0)
                    TryStartReader();
                if (n < 0)
                {
                    _buffers.Return(buffer);
                    var errno = -n;
                    // EINTR: a signal; ENOENT: the request was interrupted before we got it; EAGAIN: spurious wake-up.
                    if (errno is Errno.EINTR or Errno.ENOENT or Errno.EAGAIN)
                        continue;
                    if (errno is Errno.ENODEV or Errno.ECONNABORTED)
                        _logger.LogDebug("FUSE connection closed");
                    else
                        _logger.LogError("Reading /dev/fuse failed: {Error}", Native.LibC.Describe(errno));
                    return;
                }
                if (n == 0)
                {
                    // End of file: not something /dev/fuse does, but a closed connection all the same.
                    _buffers.Return(buffer);
                    _logger.LogDebug("FUSE connection closed (end of file)");
                    return;
                }
                if (n < FuseInHeader.Size)
                {
                    _logger.LogError("Short FUSE request of {Length} bytes ignored", n);
                    _buffers.Return(buffer);
                    continue;
                }
                var header = MemoryMarshal.Read<FuseInHeader>(buffer);
                Process(header, buffer, Math.Min(n, (int)header.Length));
            }
        }
        catch (Exception ex)
        {
            _logger.LogCritical(ex, "FUSE reader thread failed");
        }
        finally
        {
            if (Interlocked.Decrement(ref _runningReaders) == 0)
                OnAllReadersStopped();
        }
    }

    private void OnAllReadersStopped()
    {
        _logger.LogInformation("FUSE requests received: {Counts}; answered by the reader thread without a wait: {ByReader}; reader threads: {Readers}; managed bytes allocated by the process so far: {Allocated}",
            _counts.Describe(), AnsweredByReader, ReaderThreads, GC.GetTotalAllocatedBytes());
        _counts.Dispose();
        _notifier?.Stop();
        _initialized.TrySetException(new IOException("The FUSE connection closed before INIT was answered."));
        _completion.TrySetResult();
    }

    private void Process(in FuseInHeader header, byte[] buffer, int length)
    {
        var args = buffer.AsSpan(FuseInHeader.Size, length - FuseInHeader.Size);
        _counts.Count(header.Opcode);
        if (_logger.IsEnabled(LogLevel.Trace))
            _logger.LogTrace("{Opcode} #{Unique} node {Node} pid {Pid}", header.Opcode, header.Unique, header.NodeId, header.Pid);
        switch (header.Opcode)
        {
            case FuseOpcode.GetXattr or FuseOpcode.SetXattr or FuseOpcode.RemoveXattr when _dispatcher.TryAnswerInline(header, args):
                _buffers.Return(buffer);
                return;
            case FuseOpcode.Forget:
            case FuseOpcode.BatchForget:
                _dispatcher.HandleForget(header, args);
                _buffers.Return(buffer);
                return;
            case FuseOpcode.Interrupt:
                HandleInterrupt(header, args);
                _buffers.Return(buffer);
                return;
            case FuseOpcode.Init:
                HandleInit(header, args);
                _buffers.Return(buffer);
                return;
            case FuseOpcode.NotifyReply:
                // The answer to a RETRIEVE notification; never sent since RETRIEVE is not used, and never answered.
                _buffers.Return(buffer);
                return;
            case FuseOpcode.Destroy:
                _logger.LogDebug("FUSE DESTROY received");
                _reply.Empty(header.Unique);
                _buffers.Return(buffer);
                return;
        }

        var request = new FuseRequest(header, buffer, length);
        _inFlight[header.Unique] = request;
        Interlocked.Increment(ref _activeHandlers);
        // Run here until the handler first waits; what follows runs where the awaited I/O completes.
        if (RunAsync(request).IsCompleted)
            Interlocked.Increment(ref _answeredByReader);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunAsync(FuseRequest request)
    {
        try
        {
            await _dispatcher.HandleAsync(request).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<ulong, FuseRequest>(request.Unique, request));
            request.Dispose();
            _buffers.Return(request.Buffer);
            Interlocked.Decrement(ref _activeHandlers);
        }
    }

    /// <summary>
    /// Cancels the original request's token; its handler then answers EINTR (or its result, if it won the race).
    /// When the original is not known yet, EAGAIN on the interrupt's own unique makes the kernel send it again.
    /// </summary>
    private void HandleInterrupt(in FuseInHeader header, ReadOnlySpan<byte> args)
    {
        var reader = new FuseArgReader(args);
        if (!reader.TryRead(out FuseInterruptIn interrupt))
            return;
        if (_inFlight.TryGetValue(interrupt.Unique, out var original))
            original.Interrupt();
        else
            _reply.Error(header.Unique, Errno.EAGAIN);
    }

    private void HandleInit(in FuseInHeader header, ReadOnlySpan<byte> args)
    {
        var reader = new FuseArgReader(args);
        if (!reader.TryRead(out FuseInitIn init))
        {
            _reply.Error(header.Unique, Errno.EINVAL);
            _initialized.TrySetException(new IOException("The kernel sent a malformed INIT request."));
            return;
        }
        var decision = InitNegotiator.Negotiate(init, _options);
        if (decision.Errno != 0)
        {
            _reply.Error(header.Unique, decision.Errno);
            _initialized.TrySetException(new IOException(
                $"The kernel speaks FUSE {init.Major}.{init.Minor}; Octue Mount needs 7.{InitNegotiator.LowestMinor} or newer."));
            return;
        }
        var reply = decision.Reply;
        if (!_reply.Struct(header.Unique, in reply))
        {
            _initialized.TrySetException(new IOException("The kernel refused the INIT reply."));
            return;
        }
        if (decision.AwaitSecondInit)
            return;
        _dispatcher.SetxattrExt = (reply.Flags & (uint)FuseInitFlags.SetxattrExt) != 0;
        _passthrough.Enabled = (reply.Flags2 & (uint)((ulong)FuseInitFlags.Passthrough >> 32)) != 0;
        _logger.LogDebug("FUSE {Major}.{Minor} negotiated, flags 0x{Flags:x}, max_write {MaxWrite}", reply.Major, reply.Minor, reply.Flags, reply.MaxWrite);
        _notifier = new FuseNotifier(_reply, _logger);
        _fs.InvalidationSink = _notifier;
        _initialized.TrySetResult(reply);
    }
}
