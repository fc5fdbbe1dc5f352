namespace Octue.Mount.Emulator;

/// <summary>A request GCS would refuse: the status, the error reason GCS reports, and a message naming the problem.</summary>
internal sealed class GcsException(int statusCode, string reason, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Reason { get; } = reason;

    public static GcsException BadRequest(string message) => new(400, "invalid", message);

    public static GcsException NotFound(string message) => new(404, "notFound", message);

    public static GcsException PreconditionFailed() =>
        new(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");

    public static GcsException NoSuchObject(string bucket, string name) => NotFound($"No such object: {bucket}/{name}");

    public static GcsException NoSuchBucket(string bucket) => NotFound($"The specified bucket does not exist: {bucket}");

    /// <summary>Turns a failed store result into the error GCS would give.</summary>
    public static GcsException From(StoreStatus status, string bucket, string? name) => status switch
    {
        StoreStatus.BucketNotFound => NoSuchBucket(bucket),
        StoreStatus.ObjectNotFound => NoSuchObject(bucket, name ?? ""),
        StoreStatus.PreconditionFailed => PreconditionFailed(),
        StoreStatus.Conflict => new GcsException(409, "conflict", $"The bucket you tried to delete is not empty: {bucket}"),
        _ => new GcsException(500, "backendError", $"Unexpected store status {status}."),
    };
}
