using System.Text;
using Octue.Mount.Linux.Protocol;
using Octue.Mount.Vfs;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// Packs the VFS's directory entries into a READDIR or READDIRPLUS reply of bounded size, one
/// <see cref="DirentEncoder"/> record per entry, and says which entries the kernel counts as lookups.
/// </summary>
internal static class DirectoryPacker
{
    /// <summary>Longest name in bytes a Linux directory entry may carry.</summary>
    private const int MaxNameBytes = 1024;

    /// <summary>"." and ".." are never linked by the kernel, so they carry nodeid 0 and do not count as lookups.</summary>
    public static bool CountsAsLookup(in DirectoryEntry entry) => !IsDotOrDotDot(entry.Name) && entry.Attributes.NodeId != 0 && Fits(entry.Name);

    /// <summary>Names longer than any Linux name are left out of the reply (the VFS never produces them).</summary>
    public static bool Fits(string name) => Encoding.UTF8.GetByteCount(name) <= MaxNameBytes;

    public static bool IsDotOrDotDot(string name) => name is "." or "..";

    /// <summary>Packs entries in order until one does not fit; returns the bytes used and how many entries were packed.</summary>
    public static int Pack(Span<byte> destination, IReadOnlyList<DirectoryEntry> entries, bool plus, out int packedCount)
    {
        Span<byte> name = stackalloc byte[MaxNameBytes];
        var used = 0;
        packedCount = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (!Fits(entry.Name))
            {
                packedCount = i + 1;
                continue;
            }
            var nameLength = Encoding.UTF8.GetBytes(entry.Name, name);
            var type = FileModes.DirentType(AttrMapper.TypeBits(entry.Attributes.Kind));
            var nextOffset = (ulong)entry.NextCookie;
            int written;
            if (plus)
            {
                var entryOut = IsDotOrDotDot(entry.Name) ? default : AttrMapper.ToEntry(entry.Attributes);
                if (IsDotOrDotDot(entry.Name))
                    entryOut.Attr.Ino = AttrMapper.InodeOf(entry.Attributes);
                written = DirentEncoder.TryWriteDirentPlus(destination[used..], in entryOut, nextOffset, type, name[..nameLength]);
            }
            else
            {
                written = DirentEncoder.TryWriteDirent(destination[used..], AttrMapper.InodeOf(entry.Attributes), nextOffset, type, name[..nameLength]);
            }
            if (written == 0)
                break;
            used += written;
            packedCount = i + 1;
        }
        return used;
    }
}
