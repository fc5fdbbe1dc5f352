using System.Collections.Concurrent;

namespace Octue.Mount.Emulator;

/// <summary>
/// The open resumable upload sessions, by upload id. A session unused for <see cref="IdleLifetime"/> is dropped
/// (with the bytes it holds) when another one opens, so abandoned uploads do not hold memory for ever; a session whose
/// upload is refused for good (too large, longer than declared, a hash that does not match) is dropped at once.
/// </summary>
internal sealed class ResumableUploads(TimeProvider clock, long maxObjectSize)
{
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, ResumableSession> _sessions = new(StringComparer.Ordinal);

    public ResumableUploads(TimeProvider clock)
        : this(clock, Array.MaxLength)
    {
    }

    public int Count => _sessions.Count;

    /// <summary>The largest object an upload may make (<see cref="EmulatorOptions.MaxObjectSize"/>).</summary>
    public long MaxObjectSize { get; } = maxObjectSize;

    /// <summary>400 for a size over <see cref="MaxObjectSize"/>: refused before its bytes are held.</summary>
    public void EnsureWithinLimit(long size)
    {
        if (size > MaxObjectSize)
            throw GcsException.BadRequest($"The upload is {size} bytes, more than the {MaxObjectSize} bytes this emulator accepts in one object.");
    }

    public ResumableSession Open(string bucket, string name, ObjectAttributes attributes, Preconditions preconditions,
        ClientHashes hashes, long? declaredLength)
    {
        if (declaredLength is { } length)
            EnsureWithinLimit(length);
        DropIdle();
        var session = new ResumableSession(Guid.NewGuid().ToString("N"), bucket, name, attributes, preconditions, hashes, declaredLength, MaxObjectSize)
        {
            LastUsed = clock.GetUtcNow(),
        };
        _sessions[session.Id] = session;
        return session;
    }

    public ResumableSession? Find(string? id)
    {
        if (id is null || !_sessions.TryGetValue(id, out var session))
            return null;
        session.LastUsed = clock.GetUtcNow();
        return session;
    }

    public void Remove(ResumableSession session)
    {
        if (_sessions.TryRemove(session.Id, out _))
            session.Dispose();
    }

    private void DropIdle()
    {
        var cutoff = clock.GetUtcNow() - IdleLifetime;
        foreach (var (_, session) in _sessions)
        {
            if (session.LastUsed < cutoff)
                Remove(session);
        }
    }
}
