using System.CommandLine;
using Octue.Mount.Linux;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Windows;

namespace Octue.Mount.Cli.Commands;

/// <summary>
/// <c>octue-mount unmount MOUNTPOINT [--lazy]</c>: unmounts; the daemon then finishes in-flight uploads and exits.
/// On Windows it asks the process serving the mount to unmount and waits until it has.
/// </summary>
internal static class UnmountCommand
{
    public static Command Create()
    {
        var mountPoint = new Argument<string>("mountpoint") { Description = "The folder (or, on Windows, the drive letter) a bucket is mounted on." };
        var lazy = new Option<bool>("--lazy", "-z") { Description = "Detach now even if files are open; the mount goes away when they are closed." };
        var command = new Command("unmount", "Unmount a mounted bucket or manifest.") { mountPoint, lazy };
        command.Aliases.Add("umount");
        command.SetAction(async (result, ct) =>
        {
            // A WinFsp mount is served by its own octue-mount process, which listens for this request (--lazy has
            // no meaning there: files still open are released, and their staged bytes uploaded, either way).
            if (OperatingSystem.IsWindows())
                return await WindowsUnmount.RunAsync(result.GetValue(mountPoint)!, Console.Out, Console.Error, ct);
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
