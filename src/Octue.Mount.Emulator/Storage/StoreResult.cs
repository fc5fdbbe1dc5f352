namespace Octue.Mount.Emulator;

internal enum StoreStatus
{
    Ok,
    BucketNotFound,
    ObjectNotFound,
    PreconditionFailed,
    Conflict,
}

/// <summary>The outcome of a store operation: a value, or why there is none.</summary>
internal readonly record struct StoreResult<T>(StoreStatus Status, T? Value)
{
    public static StoreResult<T> Ok(T value) => new(StoreStatus.Ok, value);

    public static StoreResult<T> Fail(StoreStatus status) => new(status, default);
}
