using Octue.Mount.Windows.Native;

namespace Octue.Mount.Windows.Tests;

/// <summary>What a pending operation's FspFileSystemSendResponse carried.</summary>
internal readonly record struct SentResponse(uint Kind, ulong Hint, int Status, uint Information, FspFileInfo FileInfo);
