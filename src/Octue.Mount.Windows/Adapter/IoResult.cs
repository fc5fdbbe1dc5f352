using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Adapter;

/// <summary>The result of Read, Write or ReadDirectory: status, bytes transferred and (for Write) the file's new info.</summary>
internal readonly record struct IoResult(int Status, uint BytesTransferred, FspFileInfo FileInfo = default)
{
    public static IoResult Fail(int status) => new(status, 0);
}
