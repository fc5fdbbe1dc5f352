namespace Octue.Mount.Emulator;

/// <summary>What a request asks of the emulator, as counted by <see cref="RequestCounter"/> and matched by faults.</summary>
public enum RequestKind
{
    ListObjects,
    GetObject,
    Download,
    Upload,
    Patch,
    Update,
    Delete,
    Copy,
    Compose,
    Bucket,
    Other,
}
