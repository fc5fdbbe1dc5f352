namespace Octue.Mount.Linux.Mounting;

/// <summary>A mount that could not be made or ended, with a message that names the cause.</summary>
public sealed class FuseMountException : Exception
{
    public FuseMountException(string message, int errno = 0, Exception? inner = null) : base(message, inner)
        => Errno = errno;

    /// <summary>The errno behind the failure, or 0.</summary>
    public int Errno { get; }
}
