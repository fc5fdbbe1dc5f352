namespace Octue.Mount.Emulator;

internal enum Operation
{
    Unknown,
    ListBuckets,
    InsertBucket,
    GetBucket,
    DeleteBucket,
    ListObjects,
    GetObject,
    Download,
    PatchObject,
    UpdateObject,
    DeleteObject,
    Rewrite,
    CopyTo,
    Compose,
    UploadStart,
    UploadChunk,
    UploadCancel,
    XmlGetObject,
    XmlHeadObject,
    ControlFaults,
    ControlRequests,
}

/// <summary>What a request targets, with the bucket and object names already percent-decoded.</summary>
internal sealed record Route(
    Operation Operation,
    string? Bucket = null,
    string? Object = null,
    string? DestinationBucket = null,
    string? DestinationObject = null)
{
    public RequestKind Kind => Operation switch
    {
        Operation.ListBuckets or Operation.InsertBucket or Operation.GetBucket or Operation.DeleteBucket => RequestKind.Bucket,
        Operation.ListObjects => RequestKind.ListObjects,
        Operation.GetObject => RequestKind.GetObject,
        Operation.Download or Operation.XmlGetObject => RequestKind.Download,
        Operation.XmlHeadObject => RequestKind.GetObject,
        Operation.PatchObject => RequestKind.Patch,
        Operation.UpdateObject => RequestKind.Update,
        Operation.DeleteObject => RequestKind.Delete,
        Operation.Rewrite or Operation.CopyTo => RequestKind.Copy,
        Operation.Compose => RequestKind.Compose,
        Operation.UploadStart or Operation.UploadChunk or Operation.UploadCancel => RequestKind.Upload,
        _ => RequestKind.Other,
    };
}
