using System.Diagnostics;

namespace Octue.Mount.Tests.Vfs;

/// <summary>
/// A tmpfs of a few pages mounted on a fresh folder (root only, as the test machine runs): the way to make a cache
/// folder run out of space at a chosen moment. Disposing unmounts it lazily and removes the folder.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    public const int PageSize = 4096;

    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    public static SmallDisk Mount(int kibibytes)
    {
        var path = Directory.CreateTempSubdirectory("octue-small-disk-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={kibibytes}k,mode=0700", "tmpfs", path);
        return new SmallDisk(path);
    }

    /// <summary>
    /// Fills the disk with a file of whole pages until it refuses another, then gives back
    /// <paramref name="pagesLeft"/> pages, so exactly that much space is left.
    /// </summary>
    public string Fill(int pagesLeft = 0)
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        var page = new byte[PageSize];
        using (var stream = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            try
            {
                while (true)
                {
                    stream.Write(page);
                }
            }
            catch (IOException)
            {
                // Full. A page that did not fit was not written (tmpfs allocates whole pages).
            }
        }

        var length = new FileInfo(filler).Length;
        Assert.True(length % PageSize == 0 && length >= pagesLeft * PageSize, $"filler is {length} bytes");
        using (var handle = File.OpenHandle(filler, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, length - (long)pagesLeft * PageSize);
        }

        return filler;
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)}: {error}");
    }
}
