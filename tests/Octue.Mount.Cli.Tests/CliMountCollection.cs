using Octue.Mount.Testing;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// The tests that mount through the command: one at a time (each runs daemons and mounts of its own), sharing one
/// emulator. A test class that takes the <see cref="EmulatorFixture"/> starts each test with its request counts at
/// zero and no faults (<see cref="CliEmulator.Fresh"/>); buckets are named per test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliMountCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "CLI mounts";
}
