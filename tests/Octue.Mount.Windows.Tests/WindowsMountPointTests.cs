namespace Octue.Mount.Windows.Tests;

/// <summary>What WinFsp is given as the mount point, whatever the user typed.</summary>
public sealed class WindowsMountPointTests
{
    private static string FullPathUnderHome(string path) => path.Length > 1 && path[1] == ':' ? path : @"C:\Users\me\" + path;

    [Theory]
    [InlineData("X:")]
    [InlineData("x:")]
    [InlineData(@"X:\")]
    [InlineData("x:/")]
    [InlineData(" X: ")]
    public void Every_spelling_of_a_drive_becomes_the_letter_and_colon(string typed)
    {
        Assert.True(WindowsMountPoint.IsDrive(typed));
        Assert.Equal("X:", WindowsMountPoint.ForWinFsp(typed, FullPathUnderHome));
    }

    [Theory]
    [InlineData(@"C:\Users\me\gcs", @"C:\Users\me\gcs")]
    [InlineData(@"C:\Users\me\gcs\", @"C:\Users\me\gcs")]
    [InlineData("C:/Users/me/gcs", @"C:\Users\me\gcs")]
    [InlineData("gcs", @"C:\Users\me\gcs")]
    [InlineData(@"mounts\gcs\", @"C:\Users\me\mounts\gcs")]
    public void A_folder_becomes_its_full_path_with_backslashes(string typed, string expected)
    {
        Assert.False(WindowsMountPoint.IsDrive(typed));
        Assert.Equal(expected, WindowsMountPoint.ForWinFsp(typed, FullPathUnderHome));
    }
}
