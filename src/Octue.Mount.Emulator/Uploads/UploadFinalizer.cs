using Octue.Mount.Integrity;

namespace Octue.Mount.Emulator;

/// <summary>
/// Makes an uploaded object real: every hash the client declared (in the object resource and in
/// <c>x-goog-hash</c>) must match the bytes received, else 400 and nothing is created; then the write happens if its
/// preconditions hold (else 412).
/// </summary>
internal static class UploadFinalizer
{
    public static async Task<StoredObject> CommitAsync(EmulatorContext c, string bucket, string name, ObjectBytes data,
        uint crc32c, byte[] md5, ObjectAttributes attributes, Preconditions preconditions, ClientHashes[] declarations)
    {
        foreach (var declared in declarations)
            Check(declared, crc32c, md5);
        var stored = c.Require(c.Store.Insert(bucket, name, data, crc32c, md5, attributes, preconditions), bucket, name);
        await c.Store.PersistObjectAsync(bucket, name, CancellationToken.None).ConfigureAwait(false);
        return stored;
    }

    private static void Check(ClientHashes declared, uint crc32c, byte[] md5)
    {
        if (declared.Crc32c is { } expectedCrc && expectedCrc != crc32c)
        {
            throw GcsException.BadRequest(
                $"Provided CRC32C \"{GcsHash.ToBase64(expectedCrc)}\" doesn't match calculated CRC32C \"{GcsHash.ToBase64(crc32c)}\".");
        }
        if (declared.Md5 is { } expectedMd5 && !expectedMd5.AsSpan().SequenceEqual(md5))
        {
            throw GcsException.BadRequest(
                $"Provided MD5 hash \"{Convert.ToBase64String(expectedMd5)}\" doesn't match calculated MD5 hash \"{Convert.ToBase64String(md5)}\".");
        }
    }
}
