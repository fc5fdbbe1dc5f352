using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

/// <summary>The folders object names imply.</summary>
public sealed class ObjectNamesTests
{
    [Theory]
    [InlineData("a/b/c", "a/b/")]
    [InlineData("a/b/", "a/")]
    [InlineData("a", "")]
    [InlineData("a/", "")]
    [InlineData("", "")]
    [InlineData("a//b", "a//")]
    public void Parent_prefixes(string name, string parent) => Assert.Equal(parent, ObjectNames.ParentPrefix(name));
}
