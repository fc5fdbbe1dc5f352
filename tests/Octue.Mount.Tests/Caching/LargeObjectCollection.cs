namespace Octue.Mount.Tests.Caching;

/// <summary>
/// The test classes that read the fixture's 256 MiB object, through the read path and through the file system. They
/// share one fixture so the suite holds that object once in memory (the emulator keeps the generated array itself).
/// </summary>
[CollectionDefinition(Name)]
public sealed class LargeObjectCollection : ICollectionFixture<EmulatorReadFixture>
{
    public const string Name = "256 MiB object";
}
