using System.CommandLine;

namespace Octue.Mount.Cli.Commands;

/// <summary>Every verb of the octue-mount command, one factory per file in this folder.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create()
    {
        yield return VersionCommand.Create();
        yield return EmulatorCommand.Create();
        yield return MountCommand.Create();
        yield return UnmountCommand.Create();
        yield return DemoCommand.Create();
        yield return UploadCommand.Create();
        yield return DownloadCommand.Create();
        yield return InfoCommand.Create();
    }
}
