using System.Collections.Concurrent;

namespace Octue.Mount.Emulator;

/// <summary>The open resumable upload sessions, by upload id.</summary>
internal sealed class ResumableUploads
{
    private readonly ConcurrentDictionary<string, ResumableSession> _sessions = new(StringComparer.Ordinal);

    public ResumableSession Open(string bucket, string name, ObjectAttributes attributes, Preconditions preconditions,
        ClientHashes hashes, long? declaredLength)
    {
        var session = new ResumableSession(Guid.NewGuid().ToString("N"), bucket, name, attributes, preconditions, hashes, declaredLength);
        _sessions[session.Id] = session;
        return session;
    }

    public ResumableSession? Find(string? id) => id is not null && _sessions.TryGetValue(id, out var session) ? session : null;

    public void Remove(ResumableSession session)
    {
        if (_sessions.TryRemove(session.Id, out _))
            session.Dispose();
    }
}
