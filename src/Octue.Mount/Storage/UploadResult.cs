namespace Octue.Mount.Storage;

/// <summary>The object GCS created and the hashes that were declared for its bytes.</summary>
internal sealed record UploadResult(ObjectInfo Stored, uint Crc32c, byte[] Md5);
