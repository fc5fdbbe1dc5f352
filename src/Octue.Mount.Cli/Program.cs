using System.CommandLine;
using Octue.Mount.Cli.Commands;

var root = new RootCommand("Octue Mount: Google Cloud Storage buckets and Octue manifests as ordinary folders, with verified reads and writes.");
foreach (var command in CommandCatalog.Create())
    root.Subcommands.Add(command);
// Mounts stop on SIGTERM/SIGINT by themselves (unmount, finish uploads); give them time instead of the default 2 s.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(2) });
