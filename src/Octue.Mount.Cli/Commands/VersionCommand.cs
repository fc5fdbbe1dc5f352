using System.CommandLine;
using System.Reflection;

namespace Octue.Mount.Cli.Commands;

/// <summary><c>octue-mount version</c>: prints the version of the command.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the version of octue-mount.");
        command.SetAction(_ =>
        {
            var version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"octue-mount {version}");
            return 0;
        });
        return command;
    }
}
