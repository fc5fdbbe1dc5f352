namespace Octue.Mount.Windows.Mapping;

/// <summary>
/// Windows EA names ⇄ the VFS's extended-attribute names. The EAs carry the Linux xattr names verbatim
/// (<c>user.octue.tags</c>, <c>user.gcs.meta.&lt;key&gt;</c>, …). Windows compares EA names case-insensitively and,
/// unless a volume asks otherwise, the I/O manager upper-cases them; the mount sets CasePreservedExtendedAttributes so
/// names reach it as typed, and maps any spelling back with this rule: a name equal, ignoring ASCII case, to an
/// attribute the file already has takes that attribute's spelling; any other name is lower-cased (every name the VFS
/// defines is lower case, so <c>USER.OCTUE.TAGS</c> means <c>user.octue.tags</c>). Attribute names that are not
/// 1–255 ASCII characters cannot be EAs and are not listed.
/// </summary>
internal static class EaNames
{
    public static string ToXattrName(string eaName, IReadOnlyList<string> existing)
    {
        for (int i = 0; i < existing.Count; i++)
        {
            if (string.Equals(existing[i], eaName, StringComparison.OrdinalIgnoreCase))
                return existing[i];
        }
        return eaName.ToLowerInvariant();
    }

    public static bool CanBeEaName(string xattrName) =>
        xattrName.Length is > 0 and <= EaBuffer.MaxNameLength && System.Text.Ascii.IsValid(xattrName) && !xattrName.Contains('\0');
}
