using System.CommandLine;
using Octue.Mount.Linux;
using Octue.Mount.Linux.Mounting;

namespace Octue.Mount.Cli.Commands;

/// <summary><c>octue-mount unmount MOUNTPOINT [--lazy]</c>: unmounts; the daemon then finishes in-flight uploads and exits.</summary>
internal static class UnmountCommand
{
    public static Command Create()
    {
        var mountPoint = new Argument<string>("mountpoint") { Description = "The folder a bucket is mounted on." };
        var lazy = new Option<bool>("--lazy", "-z") { Description = "Detach now even if files are open; the mount goes away when they are closed." };
        var command = new Command("unmount", "Unmount a mounted bucket or manifest.") { mountPoint, lazy };
        command.Aliases.Add("umount");
        command.SetAction(async (result, ct) =>
        {
            try
            {
                await FuseMount.UnmountAsync(result.GetValue(mountPoint)!, result.GetValue(lazy), ct);
                return 0;
            }
            catch (FuseMountException ex)
            {
                Console.Error.WriteLine($"octue-mount: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
