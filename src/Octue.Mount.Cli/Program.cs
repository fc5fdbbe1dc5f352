using System.CommandLine;
using Octue.Mount.Cli.Commands;

var root = new RootCommand("Octue Mount: Google Cloud Storage buckets and Octue manifests as ordinary folders, with verified reads and writes.");
foreach (var command in CommandCatalog.Create())
    root.Subcommands.Add(command);
// Mounts stop on SIGTERM/SIGINT by themselves (unmount, finish uploads); give them time instead of the default 2 s.
// On Linux `mount` handles SIGINT, SIGTERM and SIGHUP entirely itself (MountHost, DetachedLauncher): it must see
// which signal came, at once, and the command line's own handler holds every later handler back until the command
// has ended.
var handlesItsSignals = OperatingSystem.IsLinux() && args is ["mount", ..];
return await root.Parse(args).InvokeAsync(new InvocationConfiguration
{
    ProcessTerminationTimeout = handlesItsSignals ? null : TimeSpan.FromMinutes(2),
});
