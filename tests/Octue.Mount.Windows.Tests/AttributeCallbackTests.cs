using System.Text;
using Octue.Mount.Windows.Mapping;
using Octue.Mount.Windows.Native;
using static Octue.Mount.Windows.Tests.WinFspFlags;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// The WinFsp callbacks for what describes a file rather than its bytes (EAs, security, names, basic info, the
/// read-only bit, links, the volume) over the real VFS and the GCS emulator.
/// </summary>
public sealed class AttributeCallbackTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _fixture;

    public AttributeCallbackTests(EmulatorFixture fixture) => _fixture = fixture;

    private Task<EmulatorFileSystem> Start() => EmulatorFileSystem.StartAsync(_fixture.Emulator);

    [Fact]
    public async Task EAs_are_the_xattrs_encoded_as_FILE_FULL_EA_INFORMATION()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("doc.txt", "x"u8.ToArray());
        NativeHarness n = env.Native;
        var (_, ctx, _) = await n.Open(@"\doc.txt", ReadData);

        var (status, ea) = await n.GetEa(ctx!);
        Assert.Equal(NtStatus.Success, status);
        Dictionary<string, string> eas = EaBuffer.Parse(ea).ToDictionary(e => e.Name, e => Encoding.UTF8.GetString(e.Value));
        Assert.Equal($"gs://{env.Bucket}/doc.txt", eas["user.gcs.uri"]);

        byte[] set = EaChain(("USER.GCS.META.COLOR", "blue"), ("user.octue.labels", "[\"raw\"]"));
        var (setStatus, _) = await n.SetEa(ctx!, set);
        Assert.Equal(NtStatus.Success, setStatus);
        Assert.Equal("blue", env.MetadataOf("doc.txt")["color"]);

        eas = EaBuffer.Parse((await n.GetEa(ctx!)).Ea).ToDictionary(e => e.Name, e => Encoding.UTF8.GetString(e.Value));
        Assert.Equal("blue", eas["user.gcs.meta.color"]);
        Assert.Contains("raw", eas["user.octue.labels"]);

        // An empty value removes the attribute; removing an absent one is not an error.
        Assert.Equal(NtStatus.Success, (await n.SetEa(ctx!, EaChain(("user.gcs.meta.color", ""), ("user.gcs.meta.never", "")))).Status);
        Assert.False(env.MetadataOf("doc.txt").ContainsKey("color"));

        // A read-only attribute is refused with the mapped status; a malformed chain with STATUS_INVALID_PARAMETER.
        Assert.Equal(NtStatus.AccessDenied, (await n.SetEa(ctx!, EaChain(("user.gcs.uri", "gs://elsewhere/x")))).Status);
        Assert.Equal(NtStatus.InvalidParameter, (await n.SetEa(ctx!, [1, 2, 3])).Status);

        // A buffer too small for every EA returns the ones that fit.
        var (small, partial) = await n.GetEa(ctx!, 64);
        Assert.Equal(NtStatus.Success, small);
        Assert.True(partial.Length <= 64);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task GetSecurityByName_reports_attributes_statuses_and_the_descriptor()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("d/f.txt", [1]);
        NativeHarness n = env.Native;

        var root = await n.GetSecurityByName(@"\");
        Assert.Equal(NtStatus.Success, root.Status);
        Assert.Equal(WinFileAttributes.Directory, root.Attributes);
        Assert.Equal(SecurityDescriptors.EveryoneFullAccess.ToArray(), root.SecurityDescriptor);

        Assert.Equal(WinFileAttributes.Normal, (await n.GetSecurityByName(@"\d\f.txt")).Attributes);
        Assert.Equal(NtStatus.ObjectNameNotFound, (await n.GetSecurityByName(@"\d\nope.txt")).Status);
        Assert.Equal(NtStatus.ObjectPathNotFound, (await n.GetSecurityByName(@"\nope\f.txt")).Status);
        Assert.Equal(NtStatus.ObjectPathNotFound, (await n.GetSecurityByName(@"\d\f.txt\deeper")).Status);

        var small = await n.GetSecurityByName(@"\d", sdCapacity: 8);
        Assert.Equal(NtStatus.BufferOverflow, small.Status);
        Assert.Equal(SecurityDescriptors.EveryoneFullAccess.Length, small.SecurityDescriptor.Length);

        var (_, ctx, _) = await n.Open(@"\d\f.txt", ReadData);
        Assert.Equal(SecurityDescriptors.EveryoneFullAccess.ToArray(), (await n.GetSecurity(ctx!, 256)).Sd);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task Names_follow_the_Windows_rule_both_ways()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("what?.txt", "q"u8.ToArray());
        env.Put("CON", "device"u8.ToArray());
        NativeHarness n = env.Native;

        var (s1, c1, _) = await n.Open("\\what\uFF1F.txt", ReadData);
        Assert.Equal(NtStatus.Success, s1);
        Assert.Equal("q", Encoding.UTF8.GetString((await n.Read(c1!, 0, 10)).Data));
        await n.Close(c1!);

        var (s2, c2, _) = await n.Open("\\\uFF23ON", ReadData);
        Assert.Equal(NtStatus.Success, s2);
        await n.Close(c2!);

        var (s4, c4, _) = await n.Create("\\made\uFF1Ahere\uFF0E");
        Assert.Equal(NtStatus.Success, s4);
        await n.Cleanup(c4!, "\\made\uFF1Ahere\uFF0E", 0);
        await n.Close(c4!);
        Assert.NotNull(env.Get("made:here."));
    }

    [Fact]
    public async Task SetBasicInfo_sets_the_modification_time_and_the_readonly_bit()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("t.txt", [1]);
        NativeHarness n = env.Native;
        var (_, ctx, _) = await n.Open(@"\t.txt", ReadData | WriteData);
        ulong when = FileTime.FromUnixNanoseconds(1_577_836_800L * 1_000_000_000); // 2020-01-01T00:00:00Z

        var (status, info) = await n.SetBasicInfo(ctx!, WinFileAttributes.Unchanged, when);
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(when, info.LastWriteTime);
        Assert.Equal(when, (await n.GetFileInfo(ctx!)).Info.LastWriteTime);

        var (roStatus, ro) = await n.SetBasicInfo(ctx!, WinFileAttributes.ReadOnly, 0);
        Assert.Equal(NtStatus.Success, roStatus);
        Assert.Equal(WinFileAttributes.ReadOnly, ro.FileAttributes);
        await n.Cleanup(ctx!, @"\t.txt", 0);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task A_last_write_time_set_on_a_handle_survives_writes_that_reach_the_file_system_after_it()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("copy.bin", "x"u8.ToArray());
        NativeHarness n = env.Native;
        ulong when = FileTime.FromUnixNanoseconds(1_577_836_800L * 1_000_000_000); // 2020-01-01T00:00:00Z

        // CopyFile's order: data, then the source's times, then CloseHandle; the cached pages reach the file system
        // at Cleanup (FlushAndPurgeOnCleanup), after the time was set. WinFsp then sends no FspCleanupSetLastWriteTime.
        var (_, ctx, _) = await n.Open(@"\copy.bin", ReadData | WriteData);
        Assert.Equal(NtStatus.Success, (await n.Write(ctx!, 0, "hello"u8.ToArray())).Status);
        Assert.Equal(NtStatus.Success, (await n.SetBasicInfo(ctx!, WinFileAttributes.Unchanged, when)).Status);
        Assert.Equal(NtStatus.Success, (await n.Write(ctx!, 5, " world"u8.ToArray())).Status);
        await n.Cleanup(ctx!, null, 0);
        await n.Close(ctx!);

        Assert.Equal("hello world", Encoding.UTF8.GetString(env.Get("copy.bin")!));
        Assert.Equal("1577836800", env.MetadataOf("copy.bin")["goog-reserved-file-mtime"]);
        var (_, again, _) = await n.Open(@"\copy.bin", ReadData);
        Assert.Equal(when, (await n.GetFileInfo(again!)).Info.LastWriteTime);
        await n.Close(again!);
    }

    [Fact]
    public async Task Overwrite_merges_or_replaces_the_readonly_attribute()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("o.txt", "0123456789"u8.ToArray());
        NativeHarness n = env.Native;
        var (_, ctx, _) = await n.Open(@"\o.txt", ReadData | WriteData);

        // CREATE_ALWAYS with FILE_ATTRIBUTE_READONLY: merged into the (normal) attributes.
        var readOnly = await n.Overwrite(ctx!, WinFileAttributes.ReadOnly, replaceAttributes: false);
        Assert.Equal((NtStatus.Success, 0UL, WinFileAttributes.ReadOnly), (readOnly.Status, readOnly.Info.FileSize, readOnly.Info.FileAttributes));
        // Merging NORMAL keeps READONLY; replacing (FILE_SUPERSEDE) with NORMAL clears it.
        var merged = await n.Overwrite(ctx!, WinFileAttributes.Normal, replaceAttributes: false);
        Assert.Equal(WinFileAttributes.ReadOnly, merged.Info.FileAttributes);
        var replaced = await n.Overwrite(ctx!, WinFileAttributes.Normal, replaceAttributes: true);
        Assert.Equal((NtStatus.Success, WinFileAttributes.Normal), (replaced.Status, replaced.Info.FileAttributes));

        await n.Cleanup(ctx!, null, 0);
        await n.Close(ctx!);
        Assert.Empty(env.Get("o.txt")!);
        Assert.Equal(WinFileAttributes.Normal, (await n.GetSecurityByName(@"\o.txt")).Attributes);
    }

    [Fact]
    public async Task Symbolic_links_show_as_empty_read_only_files()
    {
        await using EmulatorFileSystem env = await Start();
        env.Put("target.txt", "data"u8.ToArray());
        var link = await env.FileSystem.SymlinkAsync(global::Octue.Mount.Vfs.IFileSystem.RootId, "link", "target.txt");
        Assert.True(link.IsOk);
        env.FileSystem.Forget(link.Value.NodeId, 1);
        NativeHarness n = env.Native;

        var (status, ctx, info) = await n.Open(@"\link", ReadData);
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal(WinFileAttributes.ReadOnly, info.FileAttributes);
        Assert.Equal(0UL, info.FileSize);
        Assert.Equal(NtStatus.EndOfFile, (await n.Read(ctx!, 0, 16)).Status);
        await n.Close(ctx!);
    }

    [Fact]
    public async Task GetVolumeInfo_reports_the_label_and_a_stable_size()
    {
        await using EmulatorFileSystem env = await Start();
        var (status, info) = await env.Native.GetVolumeInfo();
        Assert.Equal(NtStatus.Success, status);
        Assert.Equal("test-volume".Length * 2, info.VolumeLabelLength);
        unsafe
        {
            Assert.Equal("test-volume", new string(info.VolumeLabel, 0, info.VolumeLabelLength / 2));
        }
        Assert.True(info.TotalSize > 0 && info.FreeSize <= info.TotalSize);
    }

    private static byte[] EaChain(params (string Name, string Value)[] entries)
    {
        byte[] buffer = new byte[4096];
        uint used;
        unsafe
        {
            fixed (byte* p = buffer)
            {
                var writer = new EaBuffer(p, (uint)buffer.Length);
                foreach (var (name, value) in entries)
                    Assert.True(writer.TryAdd(name, Encoding.UTF8.GetBytes(value)));
                writer.AddEnd();
                used = writer.BytesTransferred;
            }
        }
        return buffer.AsSpan(0, (int)used).ToArray();
    }
}
