using Octue.Mount.Windows.Mapping;
using Octue.Mount.Windows.Native;
using static Octue.Mount.Windows.Tests.WinFspFlags;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// The WinFsp directory callbacks (ReadDirectory with markers, GetDirInfoByName) over the real VFS and the GCS
/// emulator.
/// </summary>
public sealed class DirectoryCallbackTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _fixture;

    public DirectoryCallbackTests(EmulatorFixture fixture) => _fixture = fixture;

    private Task<EmulatorFileSystem> Start() => EmulatorFileSystem.StartAsync(_fixture.Emulator);

    [Fact]
    public async Task ReadDirectory_pages_with_markers_through_small_buffers()
    {
        await using EmulatorFileSystem env = await Start();
        var expected = new List<string>();
        for (int i = 0; i < 25; i++)
        {
            env.Put($"dir/f{i:00}.txt", [(byte)i]);
            expected.Add($"f{i:00}.txt");
        }
        env.Put("dir/odd:name", [1]);
        env.Put("dir/sub/inner", [1]);
        expected.Add("odd\uFF1Aname");
        expected.Add("sub");
        expected.Sort(string.CompareOrdinal);
        NativeHarness n = env.Native;

        var (status, ctx, info) = await n.Open(@"\dir", ReadData);
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(WinFileAttributes.Directory, info.FileAttributes);

        var names = new List<string>();
        string? marker = null;
        int pages = 0;
        bool sawEnd = false;
        while (!sawEnd)
        {
            var (s, buffer) = await n.ReadDirectory(ctx!, marker, 400);
            Assert.Equal(NtStatus.Success, s);
            var entries = DirInfoBuffer.Parse(buffer, out sawEnd);
            Assert.True(entries.Count > 0 || sawEnd);
            Assert.True(entries.Count <= 3, "a 400-byte buffer holds at most three records");
            names.AddRange(entries.Select(e => e.Name));
            if (entries.Count > 0)
                marker = entries[^1].Name;
            Assert.True(++pages < 100);
        }
        Assert.Equal([".", "..", .. expected], names);
        Assert.True(pages >= 10);

        // Asking again without a marker starts over from a fresh listing.
        env.Put("dir/zz-late.txt", [1]);
        var (_, first) = await n.ReadDirectory(ctx!, null, 64 * 1024);
        var all = DirInfoBuffer.Parse(first, out bool end);
        Assert.True(end);
        Assert.Equal("zz-late.txt", all[^1].Name);
        Assert.Equal(FileInfoMapper.AllocationUnit, (uint)all.Single(e => e.Name == "f01.txt").Info.AllocationSize);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task GetDirInfoByName_answers_for_one_name()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("dir/a:b.txt", [1, 2, 3]);
        env.Put("dir/other.txt", [1]);
        NativeHarness n = env.Native;
        var (_, dir, _) = await n.Open(@"\dir", ReadData);

        var (status, name, info) = await n.GetDirInfoByName(dir!, "a\uFF1Ab.txt");
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal("a\uFF1Ab.txt", name);
        Assert.Equal(3UL, info.FileSize);
        Assert.Equal(NtStatus.ObjectNameNotFound, (await n.GetDirInfoByName(dir!, "missing.txt")).Status);
        Assert.Equal(NtStatus.ObjectNameNotFound, (await n.GetDirInfoByName(dir!, new string('x', 256))).Status);
        await n.Close(dir!);
    }

    [Fact]
    public async Task The_root_listing_has_no_dot_entries()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("top.txt", [1]);
        var (_, ctx, _) = await env.Native.Open(@"\", ReadData);
        var (s, buffer) = await env.Native.ReadDirectory(ctx!, null, 4096);
        Assert.Equal(NtStatus.Success, s);
        Assert.Equal(["top.txt"], DirInfoBuffer.Parse(buffer, out _).Select(e => e.Name));
        await env.Native.Close(ctx!);
    }
}
