using System.Text;
using global::Octue.Mount.Octue;

namespace Octue.Mount.Tests.Octue;

/// <summary>What a download may write, decided before its first byte: object names never meet in one local file.</summary>
public sealed class DownloadLayoutTests
{
    private static DownloadConflictException Refused(string root, params (string Path, string Source)[] files)
    {
        var layout = new DownloadLayout(root);
        foreach (var (path, source) in files)
            layout.AddFile(path, source);
        return Assert.Throws<DownloadConflictException>(layout.ThrowIfInvalid);
    }

    [Fact]
    public void Distinct_files_in_folders_are_accepted()
    {
        using var temp = new TempFolder();
        var layout = new DownloadLayout(temp.Path);
        layout.AddFile("a/b.txt", "gs://b/ds/a/b.txt");
        layout.AddFile("a/c.txt", "gs://b/ds/a/c.txt");
        layout.AddFile("b", "gs://b/ds/b");
        layout.AddFile(".octue", "the dataset's own .octue file");
        layout.ThrowIfInvalid();
    }

    [Theory]
    [InlineData("a", "a/b")]
    [InlineData("a/b", "a")]
    [InlineData("x/a", "x/a/b/c")]
    public void A_file_where_another_object_needs_a_folder_is_refused_naming_both(string first, string second)
    {
        using var temp = new TempFolder();
        var error = Refused(temp.Path, (first, "gs://b/" + first), (second, "gs://b/" + second));
        var problem = Assert.Single(error.Problems);
        Assert.Contains("gs://b/" + first, problem);
        Assert.Contains("gs://b/" + second, problem);
        Assert.StartsWith("Nothing was downloaded", error.Message);
    }

    [Fact]
    public void Two_objects_for_one_file_are_refused_naming_both()
    {
        using var temp = new TempFolder();
        var error = Refused(temp.Path, ("ok.txt", "gs://b/ds/ok.txt"), ("ok.txt", "gs://b/ds/other"));
        Assert.Contains("gs://b/ds/ok.txt and gs://b/ds/other would both be written to 'ok.txt'", Assert.Single(error.Problems));
    }

    [Fact]
    public void A_name_refused_for_its_dot_dot_also_names_the_object_it_would_have_overwritten()
    {
        using var temp = new TempFolder();
        var error = Refused(temp.Path, ("evil/../ok.txt", "gs://b/ds/evil/../ok.txt"), ("ok.txt", "gs://b/ds/ok.txt"));
        var problem = Assert.Single(error.Problems);
        Assert.Contains("gs://b/ds/evil/../ok.txt cannot be a local file because it has a '..' name segment", problem);
        Assert.Contains("overwrite gs://b/ds/ok.txt", problem);
    }

    [Fact]
    public void A_backslash_separates_as_the_download_does_so_it_cannot_hide_a_collision()
    {
        using var temp = new TempFolder();
        var error = Refused(temp.Path, ("a/b", "gs://b/a/b"), ("a\\b", "gs://b/a\\b"));
        Assert.Contains("would both be written", Assert.Single(error.Problems));
    }

    public static TheoryData<string, string> UnshowableNames() => new()
    {
        { "evil/../ok.txt", "'..'" },
        { "./x", "'.'" },
        { "a//b", "empty name segment" },
        { "/leading", "empty name segment" },
        { "trailing/", "empty name segment" },
        { "nul\0name", "NUL" },
        { "long/" + new string('x', 256), "longer than 255 bytes" },
        { "..\\..\\etc\\passwd", "'..'" },
    };

    [Theory]
    [MemberData(nameof(UnshowableNames))]
    public void Names_the_mount_would_hide_are_refused_with_the_mounts_reason(string path, string reason)
    {
        using var temp = new TempFolder();
        var error = Refused(temp.Path, (path, "gs://b/ds/" + path));
        var problem = Assert.Single(error.Problems);
        Assert.Contains("gs://b/ds/" + path, problem);
        Assert.Contains(reason, problem);
    }

    [Fact]
    public void A_local_folder_where_a_file_goes_and_a_local_file_where_a_folder_goes_are_refused()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(Path.Combine(temp.Path, "taken"));
        temp.File("blocker", "local");
        var error = Refused(temp.Path, ("taken", "gs://b/taken"), ("blocker/inner.txt", "gs://b/blocker/inner.txt"));
        Assert.Equal(2, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("gs://b/taken") && p.Contains("is a folder here"));
        Assert.Contains(error.Problems, p => p.Contains("gs://b/blocker/inner.txt") && p.Contains("is a file here"));
    }

    [Fact]
    public void Every_problem_is_listed_not_just_the_first()
    {
        using var temp = new TempFolder();
        var error = Refused(temp.Path, ("a", "gs://b/a"), ("a/b", "gs://b/a/b"), ("../x", "gs://b/../x"), ("y", "gs://b/y"), ("y", "gs://b/./y"));
        Assert.Equal(3, error.Problems.Count);
        Assert.Contains("3 problems", error.Message);
    }

    [Fact]
    public void The_temporary_name_of_a_download_stays_a_legal_file_name()
    {
        foreach (var name in new[] { "short.txt", new string('n', 255), string.Concat(Enumerable.Repeat("é", 127)), string.Concat(Enumerable.Repeat("😀", 63)) })
        {
            var partial = FileTransfer.PartialFileName(name);
            Assert.InRange(Encoding.UTF8.GetByteCount(partial), 1, 255);
            Assert.StartsWith(".", partial);
            Assert.Contains(".partial-", partial);
            Assert.DoesNotContain('\uFFFD', Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(partial)));
        }
    }
}
