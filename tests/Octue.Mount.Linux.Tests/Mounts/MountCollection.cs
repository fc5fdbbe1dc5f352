namespace Octue.Mount.Linux.Tests.Mounts;

/// <summary>Mount tests run one at a time: each drives real tools against a real mount, and the machine is small.</summary>
[CollectionDefinition(Name)]
public sealed class MountCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "Real mounts";
}
