using Octue.Mount.Emulator;
using Octue.Mount.Linux.Mounting;
using Octue.Mount.Linux.Tests.Mounts;
using Octue.Mount.Testing;

namespace Octue.Mount.Cli.Tests;

/// <summary>
/// Bad input to `mount`, run as a user runs it: each is refused with a message that names the problem and a non-zero
/// exit, before anything is created or asked of the store.
/// </summary>
[Collection(CliMountCollection.Name)]
public sealed class MountErrorTests
{
    private readonly GcsEmulator _emulator;

    public MountErrorTests(EmulatorFixture fixture)
    {
        _emulator = CliEmulator.Fresh(fixture);
        _emulator.Store.CreateBucket("bkt");
    }

    private Task<ToolResult> Cli(params string[] arguments) =>
        Tool.RunAsync(MountProcess.CliPath, arguments, TimeSpan.FromSeconds(90), new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort });

    /// <summary>
    /// Runs `mount` with the arguments (MNT and TMP stand for the test's mount point and folder, in the expected text
    /// too) and checks it is refused: the exit status, the message, and nothing made or asked of the store.
    /// </summary>
    private async Task RefusedAsync(int exitCode, string expected, params string[] arguments)
    {
        using var temp = new TempDirectory();
        var mountPoint = temp.CreateDirectory("mnt");
        File.WriteAllText(temp.Combine("a-file"), "x");
        temp.CreateDirectory("a-folder");
        string Fill(string text) => text.Replace("MNT", mountPoint).Replace("TMP", temp.Path);
        var before = _emulator.Requests.Total;
        try
        {
            var result = await Cli(arguments.Select(Fill).ToArray());
            Assert.True(exitCode == result.ExitCode, $"exit {result.ExitCode}, expected {exitCode}: {result.Stderr}{result.Stdout}");
            Assert.Contains(Fill(expected), result.Stderr);
            Assert.DoesNotContain("Unhandled exception", result.Stderr);
            Assert.DoesNotContain("Mounted", result.Stdout);
            Assert.Null(MountTable.Find(mountPoint));
            Assert.Empty(Directory.EnumerateFileSystemEntries(mountPoint));
            Assert.False(Directory.Exists(temp.Combine("cache")));
            Assert.Equal("x", File.ReadAllText(temp.Combine("a-file")));
            Assert.Equal(before, _emulator.Requests.Total);
        }
        finally
        {
            // Should the input be taken after all, the mount it made does not outlive the test.
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    [Theory]
    [InlineData("https://storage.googleapis.com/bkt/x%00y", "control character U+0000")]
    [InlineData("https://storage.googleapis.com/bkt/x%0Ay", "control character U+000A")]
    [InlineData("gs://bkt/a\u0007b/", "control character U+0007")]
    [InlineData("gs://bkt/a\rb/manifest.json", "control character U+000D")]
    [InlineData("/etc/passwd", "'/etc/passwd' is a local path, not a bucket")]
    [InlineData("./data", "is a local path, not a bucket")]
    [InlineData("Not_A_Bucket!", "is not a bucket or a gs:// source")]
    [InlineData("ftp://bkt/x", "only gs://BUCKET")]
    [InlineData("gs://bkt/a/../b", "'.' and '..'")]
    public async Task A_source_that_cannot_be_an_object_path_is_refused(string source, string expected)
    {
        await RefusedAsync(2, expected, "mount", source, "MNT", "--cache-dir", "TMP/cache/c");
    }

    [Fact]
    public async Task A_prefix_over_1024_bytes_is_refused()
    {
        await RefusedAsync(2, "longer than the 1024 bytes", "mount", "gs://bkt/" + new string('p', 1030), "MNT", "--cache-dir", "TMP/cache/c");
    }

    [Theory]
    [InlineData("Unknown option '--bogus'", "mount", "--bogus", "gs://bkt", "MNT")]
    [InlineData("Unknown option '-w'", "mount", "gs://bkt", "MNT", "-w", "--cache-dir", "TMP/cache/c")]
    [InlineData("Too many arguments", "mount", "gs://bkt", "MNT", "extra", "--cache-dir", "TMP/cache/c")]
    [InlineData("The log file 'TMP/a-folder' is a folder", "mount", "gs://bkt", "MNT", "--log-file", "TMP/a-folder", "--cache-dir", "TMP/cache/c")]
    [InlineData("is inside the mount point", "mount", "gs://bkt", "MNT", "--log-file", "MNT/x.log", "--cache-dir", "TMP/cache/c")]
    [InlineData("is inside the mount point", "mount", "gs://bkt", "MNT", "--log-file", "MNT/deeper/x.log", "--cache-dir", "TMP/cache/c")]
    [InlineData("is inside the mount point", "mount", "gs://bkt", "MNT", "-o", "log_file=MNT/x.log", "--foreground", "--cache-dir", "TMP/cache/c")]
    [InlineData("The cache folder 'TMP/a-file' is a file", "mount", "gs://bkt", "MNT", "--cache-dir", "TMP/a-file")]
    [InlineData("is inside the mount point", "mount", "gs://bkt", "MNT", "--cache-dir", "MNT/cache")]
    [InlineData("is inside the mount point", "mount", "gs://bkt", "MNT", "--cache-dir", "MNT")]
    [InlineData("is inside the cache folder", "mount", "gs://bkt", "MNT", "--cache-dir", "TMP")]
    [InlineData("The credentials file 'TMP/a-folder' is a folder", "mount", "gs://bkt", "MNT", "--credentials", "TMP/a-folder", "--cache-dir", "TMP/cache/c")]
    public async Task A_bad_option_or_local_path_is_refused_naming_it(string expected, params string[] arguments)
    {
        await RefusedAsync(2, expected, arguments);
    }

    [Fact]
    public async Task A_cache_folder_reached_through_a_link_into_the_mount_point_is_refused()
    {
        using var temp = new TempDirectory();
        var mountPoint = temp.CreateDirectory("mnt");
        File.CreateSymbolicLink(temp.Combine("link"), mountPoint);
        try
        {
            var result = await Cli("mount", "gs://bkt", mountPoint, "--cache-dir", temp.Combine("link", "cache"));
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("is inside the mount point", result.Stderr);
            Assert.Empty(Directory.EnumerateFileSystemEntries(mountPoint));
        }
        finally
        {
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    /// <summary>A key file named by GOOGLE_APPLICATION_CREDENTIALS that cannot be used is named in the error (and no request is sent anywhere).</summary>
    [Theory]
    [InlineData("garbage")]
    [InlineData("missing")]
    [InlineData("folder")]
    public async Task A_bad_GOOGLE_APPLICATION_CREDENTIALS_file_is_named(string kind)
    {
        using var temp = new TempDirectory();
        var mountPoint = temp.CreateDirectory("mnt");
        var key = temp.Combine("key.json");
        if (kind == "garbage")
            File.WriteAllText(key, "{ this is not a key");
        else if (kind == "folder")
            Directory.CreateDirectory(key);
        try
        {
            var result = await Tool.RunAsync("env", ["-u", "STORAGE_EMULATOR_HOST", $"GOOGLE_APPLICATION_CREDENTIALS={key}", MountProcess.CliPath,
                "mount", "gs://some-bucket", mountPoint, "--cache-dir", temp.Combine("cache")], TimeSpan.FromSeconds(90));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"The credentials file '{key}' named by GOOGLE_APPLICATION_CREDENTIALS cannot be used", result.Stderr);
            // The problem and the advice that follows it are two sentences ("... does not exist. Sign in with ...").
            Assert.Matches(@"\. Sign in with 'gcloud auth application-default login'", result.Stderr);
            Assert.Null(MountTable.Find(mountPoint));
            Assert.False(Directory.Exists(temp.Combine("cache")));
        }
        finally
        {
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }

    /// <summary>A prefix of 240 bytes mounts with the default cache folder (whose name is capped), and is readable.</summary>
    [Fact]
    public async Task A_long_prefix_mounts_with_the_default_cache_folder()
    {
        using var temp = new TempDirectory();
        var mountPoint = temp.CreateDirectory("mnt");
        var prefix = string.Join('/', Enumerable.Repeat(new string('d', 59), 4));
        _emulator.Store.PutObject("bkt", prefix + "/hello.txt", "hi\n"u8.ToArray());
        var environment = new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = _emulator.HostAndPort, ["XDG_CACHE_HOME"] = temp.Combine("xdg") };
        try
        {
            var result = await Tool.RunAsync(MountProcess.CliPath, ["mount", $"gs://bkt/{prefix}", mountPoint], TimeSpan.FromSeconds(90), environment);
            result.EnsureSuccess("mount of a long prefix");
            Assert.Equal("hi\n", (await Tool.RunAsync("cat", Path.Combine(mountPoint, "hello.txt"))).EnsureSuccess("cat").Stdout);
            var folder = Assert.Single(Directory.GetDirectories(temp.Combine("xdg", "octue-mount")));
            Assert.InRange(Path.GetFileName(folder).Length, 20, 80);
        }
        finally
        {
            await MountProcess.CleanUpAsync(mountPoint);
        }
    }
}
