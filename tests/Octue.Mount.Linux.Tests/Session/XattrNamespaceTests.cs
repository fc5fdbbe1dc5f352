using Octue.Mount.Linux.Session;

namespace Octue.Mount.Linux.Tests.Session;

public sealed class XattrNamespaceTests
{
    [Theory]
    [InlineData("user.octue.tags", true)]
    [InlineData("user.gcs.crc32c", true)]
    [InlineData("security.selinux", false)]
    [InlineData("security.capability", false)]
    [InlineData("system.posix_acl_access", false)]
    [InlineData("trusted.x", false)]
    [InlineData("userx", false)]
    public void Only_user_names_reach_the_file_system(string name, bool passed)
    {
        Assert.Equal(passed, FuseDispatcher.IsUserNamespace(name));
    }
}
