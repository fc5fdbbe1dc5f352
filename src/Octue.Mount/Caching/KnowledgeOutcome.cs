namespace Octue.Mount.Caching;

/// <summary>What the cache made of a chunk CRC32C learnt from a download or a chunk file.</summary>
internal enum KnowledgeOutcome
{
    /// <summary>Nothing was known of this chunk.</summary>
    Unknown,

    /// <summary>The same CRC was known already.</summary>
    Same,

    /// <summary>A different CRC was known: one of two copies of the same generation is wrong.</summary>
    Mismatch,

    /// <summary>Recorded; other chunks are still unknown.</summary>
    Recorded,

    /// <summary>A partial download arrived after its whole chunk (which checked the blocks served before it): read the chunk instead.</summary>
    Superseded,

    /// <summary>Recorded, and now every chunk is known: the caller owns the full-object check.</summary>
    Complete,

    /// <summary>The entry was dropped after the download began: nothing recorded.</summary>
    Stale,
}
