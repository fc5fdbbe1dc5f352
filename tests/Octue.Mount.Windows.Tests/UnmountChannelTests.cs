using System.IO.Pipes;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Windows.Control;

namespace Octue.Mount.Windows.Tests;

/// <summary>
/// <c>octue-mount unmount</c> on Windows: the mount-point-to-pipe mapping, and the request over a real .NET named pipe
/// (on Linux .NET implements it as a Unix-domain socket, the same code path above the transport).
/// </summary>
public sealed class UnmountChannelTests
{
    private static readonly TimeSpan ShortConnectTimeout = TimeSpan.FromMilliseconds(300);

    private static string FullPathUnder(string currentDirectory, string path) =>
        path.Length > 1 && path[1] == ':' ? path : currentDirectory + "\\" + path;

    private static string UniquePipe() => UnmountPipeName.For($"T:\\tests\\{Guid.NewGuid():N}", "tester", p => p);

    [Fact]
    public void Every_spelling_of_a_drive_or_folder_maps_to_one_pipe()
    {
        string x = UnmountPipeName.For("X:", "alice");
        Assert.Equal(x, UnmountPipeName.For("x:", "alice"));
        Assert.Equal(x, UnmountPipeName.For("X:\\", "alice"));
        Assert.Equal(x, UnmountPipeName.For("x:/", "alice"));

        Func<string, string> fullPath = p => FullPathUnder("C:\\Users\\alice", p);
        string folder = UnmountPipeName.For("C:\\Users\\alice\\gcs", "alice", fullPath);
        Assert.Equal(folder, UnmountPipeName.For("c:/users/ALICE/gcs/", "alice", fullPath));
        Assert.Equal(folder, UnmountPipeName.For("gcs", "alice", fullPath));
    }

    [Fact]
    public void Different_mount_points_and_users_get_different_pipes_with_safe_names()
    {
        Func<string, string> fullPath = p => p;
        string[] names =
        [
            UnmountPipeName.For("X:", "alice"), UnmountPipeName.For("Y:", "alice"), UnmountPipeName.For("X:", "bob"),
            UnmountPipeName.For("C:\\gcs", "alice", fullPath), UnmountPipeName.For("C:\\gcs2", "alice", fullPath),
        ];
        Assert.Equal(names.Length, names.Distinct().Count());
        foreach (string name in names)
        {
            Assert.StartsWith("octue-mount-", name);
            Assert.True(name.Length <= 64, name);
            Assert.All(name, c => Assert.True(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-', name));
        }
    }

    [Fact]
    public async Task An_unmount_request_waits_until_the_mount_reports_it_is_gone()
    {
        string pipe = UniquePipe();
        await using var listener = UnmountListener.Start(pipe, NullLogger.Instance);
        bool accepted = false;
        Task<UnmountReply> request = WindowsUnmount.RequestAsync(pipe, TimeSpan.FromSeconds(30), () => accepted = true, CancellationToken.None);

        await listener.Requested.WaitAsync(TimeSpan.FromSeconds(30));
        // The client cannot have its answer yet: the mount has not reported the unmount.
        Assert.False(request.IsCompleted);
        listener.ReportUnmounted(null);

        UnmountReply reply = await request.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(UnmountOutcome.Unmounted, reply.Outcome);
        Assert.True(accepted);
    }

    [Fact]
    public async Task A_failed_unmount_reaches_every_requester_with_its_reason()
    {
        string pipe = UniquePipe();
        await using var listener = UnmountListener.Start(pipe, NullLogger.Instance);
        Task<UnmountReply> first = WindowsUnmount.RequestAsync(pipe, TimeSpan.FromSeconds(30), null, CancellationToken.None);
        Task<UnmountReply> second = WindowsUnmount.RequestAsync(pipe, TimeSpan.FromSeconds(30), null, CancellationToken.None);
        await listener.Requested.WaitAsync(TimeSpan.FromSeconds(30));

        listener.ReportUnmounted("the dispatcher did not stop\nin time");

        foreach (UnmountReply reply in await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30)))
            Assert.Equal(new UnmountReply(UnmountOutcome.Failed, "the dispatcher did not stop in time"), reply);
    }

    [Fact]
    public async Task An_unknown_request_is_refused_and_the_listener_keeps_serving()
    {
        string pipe = UniquePipe();
        await using var listener = UnmountListener.Start(pipe, NullLogger.Instance);
        await using (var raw = new NamedPipeClientStream(".", pipe, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly))
        {
            await raw.ConnectAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            await raw.WriteAsync("format c:\n"u8.ToArray());
            await raw.FlushAsync();
            using var reader = new StreamReader(raw, Encoding.UTF8);
            Assert.Equal("failed unknown request", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        }
        Assert.False(listener.Requested.IsCompleted);

        Task<UnmountReply> request = WindowsUnmount.RequestAsync(pipe, TimeSpan.FromSeconds(30), null, CancellationToken.None);
        await listener.Requested.WaitAsync(TimeSpan.FromSeconds(30));
        listener.ReportUnmounted(null);
        Assert.Equal(UnmountOutcome.Unmounted, (await request.WaitAsync(TimeSpan.FromSeconds(30))).Outcome);
    }

    [Fact]
    public async Task Unmounting_a_mount_point_nobody_serves_is_a_clear_error()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await WindowsUnmount.RunAsync("Q:", UniquePipe(), ShortConnectTimeout, output, error, CancellationToken.None);
        Assert.Equal(1, exit);
        Assert.Equal("", output.ToString());
        Assert.Contains("Q: is not an octue-mount mount of yours", error.ToString());
    }

    [Fact]
    public async Task The_mount_runner_unmounts_when_asked_through_its_pipe_and_exits_0()
    {
        string pipe = UniquePipe();
        var mount = new RecordingMount();
        var runnerOutput = new StringWriter();
        Task<int> runner = WindowsMountRunner.ServeUntilUnmountedAsync("X:", mount, pipe, runnerOutput, NullLogger.Instance, CancellationToken.None);

        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await WindowsUnmount.RunAsync("X:", pipe, TimeSpan.FromSeconds(30), output, error, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exit);
        Assert.True(mount.Disposed, "the client was told 'unmounted' before the mount was disposed");
        Assert.Equal("", error.ToString());
        Assert.Contains("Unmounted X:.", output.ToString());
        Assert.Equal(0, await runner.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("octue-mount unmount X:", runnerOutput.ToString());
        Assert.Contains("Unmounted X:.", runnerOutput.ToString());
    }

    [Fact]
    public async Task The_mount_runner_also_unmounts_on_Ctrl_C_and_then_no_longer_answers()
    {
        string pipe = UniquePipe();
        var mount = new RecordingMount();
        using var ctrlC = new CancellationTokenSource();
        Task<int> runner = WindowsMountRunner.ServeUntilUnmountedAsync("Y:", mount, pipe, TextWriter.Null, NullLogger.Instance, ctrlC.Token);
        await ctrlC.CancelAsync();
        Assert.Equal(0, await runner.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(mount.Disposed);

        UnmountReply reply = await WindowsUnmount.RequestAsync(pipe, ShortConnectTimeout, null, CancellationToken.None);
        Assert.Equal(UnmountOutcome.NotMounted, reply.Outcome);
    }

    private sealed class RecordingMount : IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
