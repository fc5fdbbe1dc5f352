namespace Octue.Mount.Vfs;

/// <summary>The bucket, manifest or project named as the mount source does not exist or cannot be read.</summary>
public sealed class MountSourceNotFoundException : Exception
{
    /// <summary>The failure described by <paramref name="message"/>, caused by <paramref name="inner"/> when given.</summary>
    public MountSourceNotFoundException(string message, Exception? inner = null) : base(message, inner) { }
}
