namespace Octue.Mount.Emulator.Tests;

/// <summary>Generation and metageneration preconditions.</summary>
public sealed class PreconditionsTests
{
    [Fact]
    public void PreconditionsTreatAMissingObjectAsGenerationZero()
    {
        var obj = new StoredObject { Bucket = "b", Name = "n", Data = [], Generation = 5, Metageneration = 2, Crc32c = 0 };
        Assert.True(new Preconditions(0, null, null, null).IsSatisfiedBy(null));
        Assert.False(new Preconditions(0, null, null, null).IsSatisfiedBy(obj));
        Assert.True(new Preconditions(5, null, 2, null).IsSatisfiedBy(obj));
        Assert.False(new Preconditions(null, 5, null, null).IsSatisfiedBy(obj));
        Assert.False(new Preconditions(null, 0, null, null).IsSatisfiedBy(null));
        Assert.False(new Preconditions(null, null, 1, null).IsSatisfiedBy(obj));
        Assert.False(new Preconditions(null, null, 1, null).IsSatisfiedBy(null));
        Assert.False(new Preconditions(null, null, null, 2).IsSatisfiedBy(obj));
        Assert.True(Preconditions.None.IsSatisfiedBy(null));
    }
}
