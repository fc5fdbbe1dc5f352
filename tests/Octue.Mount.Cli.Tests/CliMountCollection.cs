namespace Octue.Mount.Cli.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliMountCollection
{
    public const string Name = "CLI mounts";
}
