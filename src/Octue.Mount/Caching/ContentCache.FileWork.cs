using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Octue.Mount.Caching;

// Part of ContentCache (one lock, _sync, guards all its state; ContentCache.cs says how):
// file work decided under the lock (deletes, closes, state writes) and done after it, by whoever takes it.
public sealed partial class ContentCache
{
    /// <summary>Called before every file open, deletion, rename, state write and handle close of the cache, with whether its lock is held (tests).</summary>
    internal Action<bool>? FileWorkObserver { get; set; }

    private QueuedFileWork QueueFileWorkLocked() => _queuedFileWork ??= new QueuedFileWork();

    private QueuedFileWork? TakeQueuedFileWorkLocked()
    {
        QueuedFileWork? work = _queuedFileWork;
        _queuedFileWork = null;
        return work;
    }

    /// <summary>
    /// Deletes, handle closes and state-file writes decided under the lock, run after it is released: the read path's
    /// lock is never held across a syscall. A file queued for deletion is no longer known to the cache, so nobody
    /// opens it meanwhile.
    /// </summary>
    private sealed class QueuedFileWork
    {
        public List<string> Deletes { get; } = [];
        public List<SafeFileHandle> Closes { get; } = [];
        public List<CacheEntry> Persists { get; } = [];

        public void Run(ContentCache cache)
        {
            foreach (SafeFileHandle handle in Closes)
            {
                cache.FileWorkObserver?.Invoke(Monitor.IsEntered(cache._sync));
                handle.Dispose();
            }
            foreach (string path in Deletes)
            {
                cache.TryDeleteFile(path);
            }
            foreach (CacheEntry entry in Persists)
            {
                _ = cache.PersistInBackgroundAsync(entry);
            }
        }
    }

    private void TryDeleteFile(string path)
    {
        FileWorkObserver?.Invoke(Monitor.IsEntered(_sync));
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Could not delete cache file {Path}", path);
        }
    }

    private void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Could not delete cache folder {Path}", path);
        }
    }
}
