using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Octue.Mount.Caching;
using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>
/// Sends a staged copy to its object while it is written, when it is written from its start in order (a new file, or
/// one truncated to nothing): once the copy holds a chunk, a resumable session opens and a pump sends each chunk as
/// the writer completes it, read back from the staged copy (so a chunk of any size costs no memory, and the copy stays
/// the truth for reads, for a fallback and for a recovery after a crash). The upload is finished only by
/// <see cref="StagedUploader"/> at flush, fsync or close, with the same plan and preconditions as any upload: until
/// then nothing is published.
/// <para>
/// Anything that is not a write at the end (a write elsewhere, a truncation, a discarded copy), a failure of the
/// session, or a plan at the finish that differs from the session's (a rename, a merged metadata race) abandons the
/// stream: the session is cancelled (an unfinished session publishes nothing anyway) and the copy is uploaded whole,
/// as if it had never streamed.
/// </para>
/// </summary>
internal sealed class StreamedUpload : IStagedWriteFollower
{
    /// <summary>The unit of a resumable chunk before the last.</summary>
    private const int Quantum = 256 * 1024;

    /// <summary>At most this many chunks go in one request when the writer is ahead of the network.</summary>
    private const int MaxChunksPerRequest = 4;

    private readonly IObjectStore _store;
    private readonly StagedFile _staged;
    private readonly ILogger _logger;
    private readonly long _chunkSize;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _more = new(0);

    /// <summary>Bytes written in order from the start, all in the copy (the writer's side; read by the pump).</summary>
    private long _written;
    private int _pumpWaiting;
    private volatile bool _finishing;
    private volatile bool _abandoned;
    private Task? _pump;
    private SafeFileHandle? _reader;
    private IStreamingUpload? _session;
    private Exception? _failure;

    public StreamedUpload(IObjectStore store, StagedFile staged, long chunkSize, ILogger logger)
    {
        _store = store;
        _staged = staged;
        _chunkSize = chunkSize;
        _logger = logger;
    }

    /// <summary>True once the session opened (the copy reached its first chunk), even if it was abandoned since.</summary>
    public bool Started => _pump is not null;

    /// <summary>The object the session writes to, and what it sends with the bytes (null until the session opens).</summary>
    public StagedUploadPlan? Sent { get; private set; }

    public void Writing(long offset, int count)
    {
        if (offset != _written)
        {
            Abandon($"a write at {offset}, not at the end ({_written})");
        }
    }

    public ValueTask WrittenAsync(long end, CancellationToken ct)
    {
        if (_abandoned)
        {
            return ValueTask.CompletedTask;
        }

        Volatile.Write(ref _written, end);
        if (_pump is null)
        {
            if (end >= _chunkSize)
            {
                Start();
            }
        }
        else if (Interlocked.Exchange(ref _pumpWaiting, 0) == 1)
        {
            _more.Release();
        }

        return ValueTask.CompletedTask;
    }

    public void Resizing(long length)
    {
        if (length != _written)
        {
            Abandon($"its length set to {length}");
        }
    }

    public void Discarded() => Abandon(reason: null);

    /// <summary>
    /// Finishes the upload with <paramref name="plan"/> at the copy's <paramref name="length"/>: the rest is sent with
    /// the length and the CRC32C of the whole, and the object returned once made. Null when the stream cannot finish
    /// this upload (it never started, was abandoned, failed, or the plan is not the session's): the stream is then
    /// abandoned and the caller uploads the copy whole. A refusal at the finish (a lost race, a corrupt upload) is
    /// thrown; the session is over then too. Called with the writer stopped (the handle's gate held).
    /// </summary>
    public async Task<ObjectInfo?> FinishAsync(StagedUploadPlan plan, long length, CancellationToken ct)
    {
        if (_pump is null || _abandoned)
        {
            Abandon(reason: null);
            return null;
        }

        _finishing = true;
        _more.Release();
        await _pump.ConfigureAwait(false);
        if (_failure is { } failure)
        {
            Abandon($"its session failed ({failure.Message})");
            return null;
        }

        if (!SameUpload(Sent!, plan))
        {
            Abandon("the object's name or preconditions changed since it started");
            return null;
        }

        var session = _session!;
        try
        {
            var finished = await session.FinishAsync(length, ct).ConfigureAwait(false);
            _logger.LogDebug("Streamed {Uri}: {Length} bytes, generation {Generation}", plan.Uri, length, finished.Generation);
            return finished;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Refused, or failed for now: the copy is uploaded whole at the next attempt, never by this session.
            _ = session.CancelAsync(CancellationToken.None);
            throw;
        }
        finally
        {
            // Finished or refused, the session is over; a failure that may pass leaves the copy to a whole upload.
            _abandoned = true;
            Close();
        }
    }

    /// <summary>True when <paramref name="plan"/> is what the session was opened with, but for the metadata (patched after the finish).</summary>
    private static bool SameUpload(StagedUploadPlan sent, StagedUploadPlan plan) =>
        sent.Bucket == plan.Bucket && sent.Name == plan.Name &&
        sent.Options.IfGenerationMatch == plan.Options.IfGenerationMatch &&
        sent.Options.IfMetagenerationMatch == plan.Options.IfMetagenerationMatch &&
        sent.Options.ContentType == plan.Options.ContentType;

    /// <summary>Opens the session (in the background) with what the copy's sidecar says now.</summary>
    private void Start()
    {
        var sidecar = _staged.Sidecar;
        var metadata = new Dictionary<string, string>(sidecar.Metadata, StringComparer.Ordinal);
        PosixMetadata.SetModified(metadata, PosixMetadata.ToNs(DateTimeOffset.UtcNow));
        Sent = new StagedUploadPlan(sidecar.Bucket, sidecar.ObjectName, StagedUploader.OptionsOf(sidecar, metadata), Base: null);
        try
        {
            _reader = File.OpenHandle(_staged.DataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Abandon($"its staged copy could not be opened for reading ({e.Message})");
            return;
        }

        _pump = PumpAsync(Sent, _stop.Token);
    }

    private async Task PumpAsync(StagedUploadPlan plan, CancellationToken ct)
    {
        try
        {
            _session = await _store.StartStreamingUploadAsync(plan.Bucket, plan.Name, plan.Options, ReadAsync, ct).ConfigureAwait(false);
            while (!_finishing)
            {
                var unsent = Volatile.Read(ref _written) - _session.Persisted;
                if (unsent >= _chunkSize)
                {
                    var send = Math.Min(unsent, _chunkSize * MaxChunksPerRequest) / Quantum * Quantum;
                    await _session.AppendAsync(_session.Persisted + send, ct).ConfigureAwait(false);
                    continue;
                }

                Volatile.Write(ref _pumpWaiting, 1);
                if (!_finishing && Volatile.Read(ref _written) - _session.Persisted < _chunkSize)
                {
                    await _more.WaitAsync(ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Abandoned.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _failure = e;
            _logger.LogWarning("Streaming {Uri} failed ({Error}); it is uploaded whole at close instead", plan.Uri, e.Message);
        }
    }

    private async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken ct)
    {
        var reader = _reader ?? throw new ObjectDisposedException(nameof(StreamedUpload));
        while (destination.Length > 0)
        {
            var read = await RandomAccess.ReadAsync(reader, destination, offset, ct).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException($"The staged copy {_staged.DataPath} ended at {offset}, before the bytes written.");
            }

            destination = destination[read..];
            offset += read;
        }
    }

    /// <summary>Stops following: the pump stops, the session is cancelled, the copy is uploaded whole if at all.</summary>
    private void Abandon(string? reason)
    {
        if (_abandoned)
        {
            return;
        }

        _abandoned = true;
        if (_pump is null)
        {
            Close();
            return;
        }

        if (reason is not null)
        {
            _logger.LogDebug("Streaming {Uri} stops: {Reason}; it is uploaded whole at close", Sent?.Uri, reason);
        }

        _stop.Cancel();
        _ = CancelSessionAsync();
    }

    private async Task CancelSessionAsync()
    {
        try
        {
            await _pump!.ConfigureAwait(false);
            if (_session is { } session)
            {
                await session.CancelAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogDebug(e, "Cancelling the streamed upload of {Uri} failed; unfinished, it publishes nothing", Sent?.Uri);
        }
        finally
        {
            Close();
        }
    }

    private void Close()
    {
        _reader?.Dispose();
        _reader = null;
        _stop.Dispose();
    }
}
