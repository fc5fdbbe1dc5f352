using System.Collections.Concurrent;

namespace Octue.Mount.Emulator;

/// <summary>
/// The open resumable upload sessions, by upload id. A session unused for <see cref="IdleLifetime"/> is dropped
/// (with the bytes it holds) when another one opens, so abandoned uploads do not hold memory for ever.
/// </summary>
internal sealed class ResumableUploads(TimeProvider clock)
{
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, ResumableSession> _sessions = new(StringComparer.Ordinal);

    public ResumableUploads()
        : this(TimeProvider.System)
    {
    }

    public int Count => _sessions.Count;

    public ResumableSession Open(string bucket, string name, ObjectAttributes attributes, Preconditions preconditions,
        ClientHashes hashes, long? declaredLength)
    {
        DropIdle();
        var session = new ResumableSession(Guid.NewGuid().ToString("N"), bucket, name, attributes, preconditions, hashes, declaredLength)
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
