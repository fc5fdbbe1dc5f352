using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Octue.Mount.Caching;

/// <summary>Identifies the bytes of one object: a generation never changes, so cached bytes stay valid across mounts.</summary>
internal readonly record struct ObjectKey(string Bucket, string Name, long Generation)
{
    /// <summary>
    /// A fixed-length folder name (object names may hold any character and be 1024 bytes long); the state file in
    /// the folder names the object in full, so a collision would be noticed rather than served.
    /// </summary>
    public string DirectoryName()
    {
        string text = string.Create(CultureInfo.InvariantCulture, $"{Bucket}\n{Name}\n{Generation}");
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Convert.ToHexStringLower(hash.AsSpan(0, 20));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"gs://{Bucket}/{Name}#{Generation}");
}
