using System.Text;

namespace Octue.Mount.Linux.Session;

/// <summary>
/// The LISTXATTR payload: every name in UTF-8 followed by a NUL. (Which names exist is the VFS's business:
/// <c>Octue.Mount.Vfs.XattrNames</c>.)
/// </summary>
internal static class XattrNameList
{
    public static byte[] Encode(IReadOnlyList<string> names)
    {
        var length = 0;
        for (var i = 0; i < names.Count; i++)
            length += Encoding.UTF8.GetByteCount(names[i]) + 1;
        var result = new byte[length];
        var position = 0;
        for (var i = 0; i < names.Count; i++)
        {
            position += Encoding.UTF8.GetBytes(names[i], result.AsSpan(position));
            result[position++] = 0;
        }
        return result;
    }
}
