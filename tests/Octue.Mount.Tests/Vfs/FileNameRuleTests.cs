using Octue.Mount.Octue;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>The rule for object names that cannot be file names (docs/naming.md), as the errors a call naming a file gets.</summary>
public sealed class FileNameRuleTests
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
    public void Checks_segments(string segment, VfsError expected) => Assert.Equal(expected, FileNameErrors.Check(segment));

    [Fact]
    public void Limits_names_to_255_bytes_of_utf8()
    {
        Assert.Equal(VfsError.None, FileNameErrors.Check(new string('a', 255)));
        Assert.Equal(VfsError.NameTooLong, FileNameErrors.Check(new string('a', 256)));
        Assert.Equal(VfsError.None, FileNameErrors.Check(new string('é', 127)));
        Assert.Equal(VfsError.NameTooLong, FileNameErrors.Check(new string('é', 128)));
    }

    [Theory]
    [InlineData("", "empty name segment")]
    [InlineData(".", "a '.' name segment")]
    [InlineData("..", "a '..' name segment")]
    [InlineData("a\0b", "contains NUL")]
    [InlineData("../../etc", "contains '/'")]
    [InlineData("a/b", "contains '/'")]
    public void Each_reason_names_the_real_problem(string name, string reason)
    {
        Assert.Contains(reason, FileNameRule.Reason(name));
        if (!name.Contains('\0'))
            Assert.DoesNotContain("NUL", FileNameRule.Reason(name));
    }

    [Fact]
    public void The_reason_for_a_long_name_is_its_length() =>
        Assert.Contains("longer than 255 bytes", FileNameRule.Reason(new string('a', 256)));
}
