using System.Buffers.Text;
using System.Text;

namespace Octue.Mount.Emulator;

/// <summary>
/// The opaque continuation of a listing: the last entry the previous page returned, and whether it was a prefix
/// (then every name under it is skipped as well).
/// </summary>
internal readonly record struct PageToken(string LastKey, bool LastWasPrefix)
{
    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes((LastWasPrefix ? "p" : "i") + LastKey));

    public static bool TryDecode(string token, out PageToken result)
    {
        result = default;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException)
        {
            return false;
        }
        if (bytes.Length < 2 || (bytes[0] != (byte)'p' && bytes[0] != (byte)'i'))
            return false;
        result = new PageToken(Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1), bytes[0] == (byte)'p');
        return true;
    }
}
