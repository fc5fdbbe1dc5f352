using System.Text.Json;
using Octue.Mount.Emulator;

namespace Octue.Mount.ModelTest;

// The run's faults, remounts and kills (kill -9 and the recovery at the next mount), and the checks that follow them.
public sealed partial class ModelRun
{
    private void Arm(Operation op)
    {
        _emulator.Faults.Clear();
        _emulator.Faults.Add(op.Flag
            ? new FaultRule { Kind = FaultKind.ResetConnection, RequestKind = RequestKind.Download, AfterBytes = op.Offset }
            : new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Times = op.Length });
        _armed = (_emulator.Faults.Triggered, _executed.Count);
    }

    /// <summary>A fault that met a request and every step since agreed with the model was survived.</summary>
    private void AccountFaults()
    {
        if (_armed is not { } armed)
        {
            return;
        }

        if (_emulator.Faults.Triggered > armed.TriggeredBefore)
        {
            _stats.FaultsInjected++;
            _stats.FaultsSurvived++;
            _armed = null;
        }
        else if (_executed.Count - armed.ArmedAt > 100)
        {
            _emulator.Faults.Clear();
            _stats.FaultsUnused++;
            _armed = null;
        }
    }

    private async Task MountAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _daemon = await MountDaemon.StartAsync(_options.Cli, _emulator.HostAndPort, $"gs://{_bucket}", _mountPoint, _cache,
                    Path.Combine(_work, $"daemon-{++_daemons}.log")).ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException e) when (attempt < 3)
            {
                // A mount that did not come up (the machine's FUSE connections are shared with other tests) is
                // tried again; the recovery of staged files it did not finish is done by the next one.
                Console.Error.WriteLine($"mount attempt {attempt} failed, retrying: {e.Message.Split('\n')[0]}");
                MountDaemon.Unmount(_mountPoint);
            }
        }
    }

    private async Task<string?> RemountAsync(bool fresh)
    {
        if (CloseAll() is { } problem || VerifyAll() is { } unverified && (problem = unverified) is not null)
        {
            return $"before the remount: {problem}";
        }

        await _daemon!.StopAsync().ConfigureAwait(false);
        if (fresh)
        {
            // An empty cache: reads download again (where resets in downloads are met).
            _cache = Path.Combine(_work, $"cache{++_caches}");
        }

        await MountAsync().ConfigureAwait(false);
        _stats.Remounts++;
        return VerifyAll() is { } after ? $"after the remount: {after}" : null;
    }

    private async Task<string?> KillAsync(Operation op)
    {
        Task? fsync = null;
        var synced = op.Size == 1 ? _slots[op.Slot].Path : null;
        byte[]? before = null, after = null;
        if (op.Size == 1)
        {
            // The kill lands while the daemon uploads: the object must be the old one or the new one, never partial,
            // and after the next mount the staged bytes recovered.
            var sync = new Operation { Kind = OperationKind.Fsync, Slot = op.Slot };
            _reference.Execute(sync);
            if (synced is not null)
            {
                before = StoredBytes(synced);
                after = _reference.ReadFile(synced);
            }

            fsync = Task.Run(() => _mount.Execute(sync));
            await Task.Delay((int)(op.Offset % 40)).ConfigureAwait(false);
        }

        _daemon!.Kill();
        _mount.AbandonSlots();
        if (fsync is not null)
        {
            await fsync.ConfigureAwait(false);
        }

        if (synced is not null)
        {
            var stored = StoredBytes(synced);
            var old = Same(stored, before);
            if (!old && !Same(stored, after))
            {
                return $"kill -9 during fsync of \"{synced}\": the bucket holds {stored?.Length.ToString() ?? "no"} bytes, neither the old object ({before?.Length.ToString() ?? "none"}) nor the new ({after!.Length})";
            }

            // Counted here, where the outcome is checked: an fsync of a file already unlinked uploads nothing.
            _stats.KillsDuringFsync++;
            if (old)
            {
                _stats.KilledUploadsOld++;
            }
            else
            {
                _stats.KilledUploadsNew++;
            }
        }

        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].Open)
            {
                _reference.CloseSlot(i);
                _slots[i].Clear();
            }
        }

        _emulator.Faults.Clear();
        _armed = null;
        await MountAsync().ConfigureAwait(false);
        _stats.Kills++;
        return VerifyAll() is { } problem ? $"after kill -9 and recovery: {problem}" : CheckConflicts();
    }

    /// <summary>
    /// Bytes a recovery kept in conflicts/ instead of uploading: tolerated only when the file has them anyway (an
    /// upload confirmed by the store just before the kill, retried by the recovery).
    /// </summary>
    private string? CheckConflicts()
    {
        var folder = Path.Combine(_cache, "conflicts");
        if (!Directory.Exists(folder))
        {
            return null;
        }

        foreach (var description in Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories))
        {
            var kept = description[..^".json".Length];
            using var json = JsonDocument.Parse(File.ReadAllText(description));
            var uri = json.RootElement.GetProperty("uri").GetString()!;
            var path = uri[$"gs://{_bucket}/".Length..];
            var bytes = File.ReadAllBytes(kept);
            var reference = File.Exists(_reference.Full(path)) ? _reference.ReadFile(path) : null;
            if (reference is null || !reference.AsSpan().SequenceEqual(bytes))
            {
                _stats.BytesLost += bytes.Length;
                return $"after kill -9 and recovery, {bytes.Length} bytes of \"{path}\" were kept in {kept} and are not the file's";
            }

            _stats.SpuriousConflicts++;
            File.Delete(kept);
            File.Delete(description);
        }

        return null;
    }

    private string? CloseAll()
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            if (!_slots[i].Open)
            {
                continue;
            }

            var expected = _reference.CloseSlot(i);
            var actual = _mount.CloseSlot(i);
            _slots[i].Clear();
            if (expected.Error != actual.Error)
            {
                return $"close(h{i}): the reference gave {expected}, the mount {actual}";
            }
        }

        return null;
    }

    /// <summary>At the end: everything closed and compared, the daemon stopped cleanly, and the bucket itself compared with the reference.</summary>
    private async Task<string?> FinishAsync()
    {
        if (CloseAll() is { } problem || VerifyAll() is { } unverified && (problem = unverified) is not null)
        {
            return $"at the end: {problem}";
        }

        await _daemon!.StopAsync().ConfigureAwait(false);
        _daemon = null;
        var expected = OperationGenerator.Paths.Where(p => File.Exists(_reference.Full(p))).Order(StringComparer.Ordinal).ToArray();
        var stored = _emulator.Store.ListObjectNames(_bucket).Where(n => !n.EndsWith('/')).Order(StringComparer.Ordinal).ToArray();
        if (!expected.SequenceEqual(stored))
        {
            return $"at the end the bucket holds [{string.Join(", ", stored)}], the reference [{string.Join(", ", expected)}]";
        }

        foreach (var path in expected)
        {
            _emulator.Store.TryGetObject(_bucket, path, out var obj);
            var bytes = _reference.ReadFile(path);
            if (!bytes.AsSpan().SequenceEqual(obj.Data))
            {
                _stats.BytesLost += Lost(bytes, obj.Data);
                return $"at the end gs://{_bucket}/{path}: {Difference(bytes, obj.Data)}";
            }
        }

        return null;
    }
}
