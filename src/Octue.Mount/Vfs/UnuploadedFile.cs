using Octue.Mount.Storage;

namespace Octue.Mount.Vfs;

/// <summary>A file created here and not uploaded yet: what its writer's staged copy says it will be.</summary>
internal static class UnuploadedFile
{
    /// <summary>The writer of a file created here and not uploaded yet, if the node is one.</summary>
    public static FileHandle? WriterOf(Node node) => node.ActiveWriter() is { Base: null } writer ? writer : null;

    /// <summary>What a file not uploaded yet will be: its staged size, metadata and content type.</summary>
    public static ObjectInfo? ObjectOf(Node node, FileHandle writer)
    {
        if (writer.Staged is not { } staged)
        {
            return null;
        }

        return new ObjectInfo
        {
            Bucket = node.Bucket,
            Name = node.ObjectName,
            Size = staged.Length,
            ContentType = staged.Sidecar.ContentType,
            Metadata = new Dictionary<string, string>(staged.Sidecar.Metadata, StringComparer.Ordinal),
            Updated = PosixMetadata.FromNs(writer.ModifiedNs),
            Created = PosixMetadata.FromNs(writer.ModifiedNs),
        };
    }
}
