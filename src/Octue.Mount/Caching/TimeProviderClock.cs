using Microsoft.Extensions.Internal;

namespace Octue.Mount.Caching;

/// <summary>
/// The memory cache measures expirations on an <see cref="ISystemClock"/>; this one reads a <see cref="TimeProvider"/>,
/// so the metadata TTL follows the clock the file system was given.
/// </summary>
internal sealed class TimeProviderClock : ISystemClock
{
    private readonly TimeProvider _timeProvider;

    public TimeProviderClock(TimeProvider timeProvider) => _timeProvider = timeProvider;

    public DateTimeOffset UtcNow => _timeProvider.GetUtcNow();
}
