using Octue.Mount.Storage;

namespace Octue.Mount.Caching;

/// <summary>
/// Answers "is NAME an object, a folder, both or neither?" with one listing instead of a stat and a listing of
/// <c>NAME/</c>. A listing of the prefix <c>NAME</c> with the delimiter <c>/</c> is in name order: the object
/// <c>NAME</c> (it sorts first), then names that continue <c>NAME</c> with a character below <c>/</c>
/// (<c>NAME.bak</c>, <c>NAME-2</c>, <c>NAME.d/</c>), then the folder <c>NAME/</c> (with
/// <c>includeTrailingDelimiter</c> its placeholder object too, which tells the folder's attributes), then the rest.
/// A page of a few entries therefore settles both questions unless many such siblings come first; only then is the
/// folder asked about on its own.
/// </summary>
internal static class NameProbe
{
    /// <summary>Entries asked for: enough for the object, a few siblings that sort between it and its folder, and the folder.</summary>
    public const int PageSize = 8;

    /// <summary>The one request that answers for <paramref name="objectName"/>.</summary>
    public static ListRequest RequestFor(string objectName) => new()
    {
        Prefix = objectName,
        Delimiter = "/",
        PageSize = PageSize,
        IncludeTrailingDelimiter = true,
    };

    /// <summary>
    /// What the page says. <see cref="Answer.Object"/> is always settled (the object sorts first); the folder is
    /// settled unless the page ended before reaching the place <c>NAME/</c> sorts at.
    /// </summary>
    public static Answer Read(ObjectListing page, string objectName)
    {
        var folder = objectName + "/";
        ObjectInfo? file = null;
        ObjectInfo? placeholder = null;
        foreach (var item in page.Objects)
        {
            if (item.Name.Length == objectName.Length && item.Name == objectName)
            {
                file = item;
            }
            else if (item.Name == folder)
            {
                placeholder = item;
            }
        }

        var isFolder = false;
        var passedFolder = false;
        foreach (var prefix in page.Prefixes)
        {
            if (prefix == folder)
            {
                isFolder = true;
            }
            else if (SortsAfterFolder(prefix, objectName))
            {
                passedFolder = true;
            }
        }

        if (!passedFolder)
        {
            foreach (var item in page.Objects)
            {
                if (SortsAfterFolder(item.Name, objectName))
                {
                    passedFolder = true;
                    break;
                }
            }
        }

        // Without a next page the listing holds everything under the prefix, so an absent folder is absent.
        var folderKnown = isFolder || passedFolder || page.NextPageToken is null;
        return new Answer(file, folderKnown ? isFolder : null, isFolder ? placeholder : null);
    }

    /// <summary>
    /// True when a listed name (which starts with <paramref name="objectName"/>) sorts after <c>NAME/</c>: its next
    /// character is above <c>/</c>. Every character above <c>/</c> is above it in UTF-8 byte order too (the order GCS
    /// lists in), since <c>/</c> is ASCII.
    /// </summary>
    private static bool SortsAfterFolder(string listed, string objectName) =>
        listed.Length > objectName.Length && listed[objectName.Length] > '/';

    /// <summary>What a probe found.</summary>
    /// <param name="Object">The object named exactly NAME, or null when there is none.</param>
    /// <param name="IsFolder">Whether anything lies under <c>NAME/</c>; null when the page did not reach it.</param>
    /// <param name="Placeholder">The folder's placeholder object <c>NAME/</c>, when the folder has one.</param>
    public readonly record struct Answer(ObjectInfo? Object, bool? IsFolder, ObjectInfo? Placeholder);
}
