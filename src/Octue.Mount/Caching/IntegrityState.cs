namespace Octue.Mount.Caching;

/// <summary>Whether the bytes of one object generation were checked against the hash GCS holds for them.</summary>
public enum IntegrityState
{
    /// <summary>Not (yet) read in full, or the object has no hash to check against.</summary>
    Unverified,

    /// <summary>Every byte was checked against the object's CRC32C (or MD5), by a full read or a verified upload.</summary>
    Verified,

    /// <summary>The last full read did not match the object's hash; the cached copy was dropped.</summary>
    Failed,
}
