using Microsoft.Extensions.Time.Testing;

namespace Octue.Mount.Emulator.Tests;

/// <summary>Resumable upload sessions: how long an idle one is kept.</summary>
public sealed class ResumableUploadsTests
{
    [Fact]
    public void IdleSessionsAreDroppedWhenAnotherOpens()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var uploads = new ResumableUploads(clock);
        var attributes = new ObjectAttributes();
        var idle = uploads.Open("b", "idle", attributes, Preconditions.None, default, 1024);
        var active = uploads.Open("b", "active", attributes, Preconditions.None, default, null);

        clock.Advance(TimeSpan.FromMinutes(50));
        Assert.NotNull(uploads.Find(active.Id));
        clock.Advance(TimeSpan.FromMinutes(20));
        uploads.Open("b", "new", attributes, Preconditions.None, default, null);

        Assert.Null(uploads.Find(idle.Id));
        Assert.NotNull(uploads.Find(active.Id));
        Assert.Equal(2, uploads.Count);
    }
}
