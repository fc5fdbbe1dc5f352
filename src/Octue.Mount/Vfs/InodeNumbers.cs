using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Octue.Mount.Vfs;

/// <summary>
/// Inode numbers derived from where a name is: a hash of its directory's number and its name, so the same name gets
/// the same number after the kernel forgets it and after a remount. SHA-256 is used for its stability (the same on
/// every machine and runtime) and spread, not for secrecy; 63 bits are kept, so tools that treat st_ino as signed see
/// a positive number. Numbers 0 and 1 are never derived: 1 is the root's.
/// </summary>
internal static class InodeNumbers
{
    /// <summary>The root directory's inode number.</summary>
    public const ulong Root = IFileSystem.RootId;

    /// <summary>
    /// The number of <paramref name="name"/> in the directory numbered <paramref name="parentInode"/>; a higher
    /// <paramref name="attempt"/> gives another number for the same name, for when the first is taken.
    /// </summary>
    public static ulong Derive(ulong parentInode, string name, int attempt)
    {
        var length = 12 + Encoding.UTF8.GetMaxByteCount(name.Length);
        byte[]? rented = null;
        Span<byte> input = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            BinaryPrimitives.WriteUInt64LittleEndian(input, parentInode);
            BinaryPrimitives.WriteInt32LittleEndian(input[8..], attempt);
            var used = 12 + Encoding.UTF8.GetBytes(name, input[12..]);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(input[..used], hash);
            var number = BinaryPrimitives.ReadUInt64LittleEndian(hash) & long.MaxValue;
            return number <= Root ? number + 2 : number;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
