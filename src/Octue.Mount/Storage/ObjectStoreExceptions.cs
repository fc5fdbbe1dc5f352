namespace Octue.Mount.Storage;

/// <summary>Base of every failure the object store reports. Callers act on the subclasses.</summary>
public class ObjectStoreException : Exception
{
    /// <summary>A failure described by <paramref name="message"/> (which names the operation and the object), caused by <paramref name="inner"/> when given.</summary>
    public ObjectStoreException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The bucket or object does not exist (HTTP 404).</summary>
public sealed class ObjectNotFoundException : ObjectStoreException
{
    /// <summary>A failure described by <paramref name="message"/> (which names the operation and the object), caused by <paramref name="inner"/> when given.</summary>
    public ObjectNotFoundException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A generation or metageneration precondition did not hold (HTTP 412, or 409 on bucket creation races).</summary>
public sealed class PreconditionFailedException : ObjectStoreException
{
    /// <summary>A failure described by <paramref name="message"/> (which names the operation and the object), caused by <paramref name="inner"/> when given.</summary>
    public PreconditionFailedException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Bytes did not match their hash: on upload the server refused them, or a download did not verify.</summary>
public sealed class CorruptionException : ObjectStoreException
{
    /// <summary>A failure described by <paramref name="message"/> (which names the operation and the object), caused by <paramref name="inner"/> when given.</summary>
    public CorruptionException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A failure that persisted after retries (429, 5xx, reset connections).</summary>
public sealed class TransientStoreException : ObjectStoreException
{
    /// <summary>A failure described by <paramref name="message"/> (which names the operation and the object), caused by <paramref name="inner"/> when given.</summary>
    public TransientStoreException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Missing or insufficient credentials (HTTP 401/403).</summary>
public sealed class PermissionDeniedException : ObjectStoreException
{
    /// <summary>A failure described by <paramref name="message"/> (which names the operation and the object), caused by <paramref name="inner"/> when given.</summary>
    public PermissionDeniedException(string message, Exception? inner = null) : base(message, inner) { }
}
