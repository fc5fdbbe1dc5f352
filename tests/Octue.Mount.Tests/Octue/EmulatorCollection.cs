namespace Octue.Mount.Tests.Octue;

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<OctueFixture>
{
    public const string Name = "octue-emulator";
}
