using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

public sealed class NameRulesTests
{
    [Theory]
    [InlineData("file.txt", VfsError.None)]
    [InlineData(".octue", VfsError.None)]
    [InlineData("...", VfsError.None)]
    [InlineData("", VfsError.InvalidArgument)]
    [InlineData(".", VfsError.InvalidArgument)]
    [InlineData("..", VfsError.InvalidArgument)]
    [InlineData("a/b", VfsError.InvalidArgument)]
    [InlineData("a\0b", VfsError.InvalidArgument)]
    public void Checks_segments(string segment, VfsError expected) => Assert.Equal(expected, NameRules.Check(segment));

    [Fact]
    public void Limits_names_to_255_bytes_of_utf8()
    {
        Assert.Equal(VfsError.None, NameRules.Check(new string('a', 255)));
        Assert.Equal(VfsError.NameTooLong, NameRules.Check(new string('a', 256)));
        Assert.Equal(VfsError.None, NameRules.Check(new string('é', 127)));
        Assert.Equal(VfsError.NameTooLong, NameRules.Check(new string('é', 128)));
    }

    [Theory]
    [InlineData("a/b/c", "a/b/")]
    [InlineData("a/b/", "a/")]
    [InlineData("a", "")]
    [InlineData("a/", "")]
    [InlineData("", "")]
    [InlineData("a//b", "a//")]
    public void Parent_prefixes(string name, string parent) => Assert.Equal(parent, MetadataCache.ParentPrefix(name));

    [Theory]
    [InlineData("", "empty name segment")]
    [InlineData(".", "a '.' name segment")]
    [InlineData("..", "a '..' name segment")]
    [InlineData("a\0b", "contains NUL")]
    [InlineData("../../etc", "contains '/'")]
    [InlineData("a/b", "contains '/'")]
    public void Each_reason_names_the_real_problem(string name, string reason)
    {
        Assert.Contains(reason, NameRules.Reason(name));
        if (!name.Contains('\0'))
            Assert.DoesNotContain("NUL", NameRules.Reason(name));
    }

    [Fact]
    public void The_reason_for_a_long_name_is_its_length() =>
        Assert.Contains("longer than 255 bytes", NameRules.Reason(new string('a', 256)));
}
