namespace Octue.Mount.Emulator;

/// <summary>Where the emulator listens and whether it keeps its objects in a folder.</summary>
public sealed class EmulatorOptions
{
    /// <summary>The address to bind (an IP address, or <c>localhost</c> for 127.0.0.1).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The TCP port; 0 picks a free one (read it back from <see cref="GcsEmulator.Endpoint"/>).</summary>
    public int Port { get; set; }

    /// <summary>When set, buckets and objects are written to this folder and reloaded on the next start.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// The largest object an upload may make, in bytes (default, and most: the largest .NET array, about 2 GiB, since
    /// an object is held in one). A larger upload is refused with 400 as soon as its size is known, and whatever it
    /// had sent is released with its session.
    /// </summary>
    public long MaxObjectSize { get; set; } = Array.MaxLength;
}
