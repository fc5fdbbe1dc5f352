namespace Octue.Mount.Emulator;

/// <summary>The misbehaviours of real GCS (and the networks in front of it) that tests can inject.</summary>
public enum FaultKind
{
    /// <summary>Answer with <see cref="FaultRule.StatusCode"/> and a GCS error body; the request has no effect.</summary>
    Status,

    /// <summary>
    /// Reset the connection: a request that carries a body is aborted after <see cref="FaultRule.AfterBytes"/> bytes
    /// of it were received (nothing of it takes effect); a media download is aborted after
    /// <see cref="FaultRule.AfterBytes"/> bytes of the response body; any other request is aborted before a reply.
    /// </summary>
    ResetConnection,

    /// <summary>Wait <see cref="FaultRule.Delay"/> before handling the request normally.</summary>
    Delay,

    /// <summary>
    /// Flip the bits of the byte at <see cref="FaultRule.AfterBytes"/> (from the start of the response body, clamped
    /// to its last byte) of a media download; the length and the headers (hashes included) stay those of the truth.
    /// </summary>
    CorruptMedia,

    /// <summary>
    /// Send only the first <see cref="FaultRule.AfterBytes"/> bytes of a media download, as a complete response
    /// whose Content-Length says so, while the hashes and Content-Range still describe the whole.
    /// </summary>
    TruncateMedia,
}
