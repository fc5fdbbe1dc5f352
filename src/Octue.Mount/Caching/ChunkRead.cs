namespace Octue.Mount.Caching;

internal enum ChunkReadOutcome
{
    /// <summary>The chunk is not in the cache (or was, and failed its check and was discarded).</summary>
    Miss,

    /// <summary>Served from the cache.</summary>
    Hit,

    /// <summary>Served from the cache, and the chunk's CRC32C was read from its file for the first time.</summary>
    HitFirstSeen,
}

/// <summary>The result of reading from a cached chunk; <see cref="ChunkCrc"/> is set with <see cref="ChunkReadOutcome.HitFirstSeen"/>.</summary>
internal readonly record struct ChunkRead(ChunkReadOutcome Outcome, uint ChunkCrc);

/// <summary>What a read found in a chunk held in memory.</summary>
internal enum HotRead
{
    /// <summary>The chunk is not in memory.</summary>
    Absent,

    /// <summary>The bytes were copied.</summary>
    Copied,

    /// <summary>The chunk is being filled and the bytes (or its check) are not there yet: await, then look again.</summary>
    Wait,
}
