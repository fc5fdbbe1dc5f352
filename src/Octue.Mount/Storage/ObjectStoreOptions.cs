using Microsoft.Extensions.Logging;

namespace Octue.Mount.Storage;

/// <summary>How <see cref="GcsObjectStore"/> reaches GCS (or an emulator) and how hard it tries.</summary>
public sealed class ObjectStoreOptions
{
    /// <summary>Default chunk size of resumable uploads and default threshold above which uploads are resumable.</summary>
    public const int DefaultChunkSize = 8 * 1024 * 1024;

    /// <summary>
    /// An emulator to talk to instead of GCS, in any form people write it (<c>host:port</c>, <c>http://host:port</c>,
    /// with or without <c>/storage/v1/</c>). When null, the <c>STORAGE_EMULATOR_HOST</c> environment variable is used,
    /// and when that is unset too, production GCS. An emulator is always used without credentials.
    /// </summary>
    public string? EmulatorHost { get; init; }

    /// <summary>A service-account key file (JSON). When null (and not <see cref="Anonymous"/>), Application Default Credentials.</summary>
    public string? CredentialsFile { get; init; }

    /// <summary>No credentials at all: enough for public buckets.</summary>
    public bool Anonymous { get; init; }

    /// <summary>Bytes per request of a resumable upload; a multiple of 256 KiB.</summary>
    public int UploadChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>Uploads of at least this many bytes are resumable (chunked); smaller ones go in a single request.</summary>
    public int ResumableThreshold { get; init; } = DefaultChunkSize;

    /// <summary>How many times a transient failure (429, 5xx, reset connection) is retried before it is reported.</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>The first retry waits up to this long; each further retry doubles the bound (with full jitter).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>No single wait between retries is longer than this.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(16);

    /// <summary>A read that receives nothing for this long is abandoned and resumed, like a broken connection.</summary>
    public TimeSpan ReadStallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where the store logs retries, resumptions and integrity failures; null for no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Where environment variables are read (tests replace it so they never depend on the machine's).</summary>
    internal Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Wraps the HTTP handler under the client; lets tests interfere with bytes on the wire.</summary>
    internal Func<HttpMessageHandler, HttpMessageHandler>? HttpHandlerWrapper { get; init; }

    internal void Validate()
    {
        const int quantum = 256 * 1024;
        if (UploadChunkSize < quantum || UploadChunkSize % quantum != 0)
        {
            throw new ArgumentException($"UploadChunkSize must be a positive multiple of 256 KiB (262144 bytes); got {UploadChunkSize}.");
        }
        if (ResumableThreshold < 0)
        {
            throw new ArgumentException($"ResumableThreshold cannot be negative; got {ResumableThreshold}.");
        }
        if (MaxRetries < 0)
        {
            throw new ArgumentException($"MaxRetries cannot be negative; got {MaxRetries}.");
        }
        if (InitialBackoff < TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ArgumentException($"Backoff bounds must satisfy 0 <= InitialBackoff ({InitialBackoff}) <= MaxBackoff ({MaxBackoff}).");
        }
        if (ReadStallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ReadStallTimeout must be positive; got {ReadStallTimeout}.");
        }
        if (Anonymous && CredentialsFile is not null)
        {
            throw new ArgumentException("Anonymous access and a credentials file exclude each other: choose one.");
        }
    }
}
