namespace Octue.Mount.Storage;

/// <summary>The folder structure GCS object names imply: "a/b/c" lies in the folder "a/b/", "a/b/" in "a/".</summary>
public static class ObjectNames
{
    /// <summary>The prefix of the folder holding <paramref name="name"/> ("a/b/c" → "a/b/", "a/b/" → "a/", "a" → "").</summary>
    public static string ParentPrefix(string name)
    {
        var end = name.EndsWith('/') ? name.Length - 1 : name.Length;
        if (end <= 0)
        {
            return "";
        }

        var slash = name.LastIndexOf('/', end - 1);
        return slash < 0 ? "" : name[..(slash + 1)];
    }
}
