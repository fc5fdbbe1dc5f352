namespace Octue.Mount.Emulator;

/// <summary>
/// One injected fault: it applies to the next <see cref="Times"/> requests that match every filter that is set
/// (<see cref="Method"/>, <see cref="Bucket"/>, <see cref="ObjectName"/>, <see cref="RequestKind"/>).
/// <see cref="ObjectName"/> matches the object named in the path, in the <c>name</c> query parameter, or by the
/// resumable upload session a chunk belongs to.
/// </summary>
public sealed class FaultRule
{
    public FaultKind Kind { get; init; }

    /// <summary>HTTP method (GET, PUT, POST, PATCH, DELETE); null matches any.</summary>
    public string? Method { get; init; }

    public string? Bucket { get; init; }

    public string? ObjectName { get; init; }

    public RequestKind? RequestKind { get; init; }

    /// <summary>How many matching requests the fault applies to (at least 1).</summary>
    public int Times { get; init; } = 1;

    /// <summary>How many matching requests to let through untouched first (e.g. fail the third chunk of an upload).</summary>
    public int Skip { get; init; }

    /// <summary>The status of a <see cref="FaultKind.Status"/> fault (429, 500, 503...).</summary>
    public int StatusCode { get; init; } = 503;

    /// <summary>The wait of a <see cref="FaultKind.Delay"/> fault.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Where a reset, corruption or truncation happens, in bytes of the body.</summary>
    public long AfterBytes { get; init; }
}
