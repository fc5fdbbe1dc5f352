using System.Net;
using Google;
using Microsoft.Extensions.Logging.Abstractions;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

public sealed class RetryPolicyTests
{
    private static RetryPolicy Policy(int maxRetries, Func<double>? random = null) =>
        new(maxRetries, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(8), NullLogger.Instance, random);

    [Fact]
    public void Backoff_doubles_its_bound_up_to_the_maximum_with_full_jitter()
    {
        var top = new RetryPolicy(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), NullLogger.Instance, () => 1.0);
        Assert.Equal(TimeSpan.FromMilliseconds(100), top.Backoff(0));
        Assert.Equal(TimeSpan.FromMilliseconds(200), top.Backoff(1));
        Assert.Equal(TimeSpan.FromMilliseconds(800), top.Backoff(3));
        Assert.Equal(TimeSpan.FromSeconds(1), top.Backoff(4));
        Assert.Equal(TimeSpan.FromSeconds(1), top.Backoff(60));

        var bottom = new RetryPolicy(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), NullLogger.Instance, () => 0.0);
        Assert.Equal(TimeSpan.Zero, bottom.Backoff(3));

        var half = new RetryPolicy(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), NullLogger.Instance, () => 0.5);
        Assert.Equal(TimeSpan.FromMilliseconds(200), half.Backoff(2));
    }

    [Fact]
    public void A_longer_retry_after_from_the_server_is_honoured_but_capped()
    {
        var policy = new RetryPolicy(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), NullLogger.Instance, () => 0.5);
        Assert.Equal(TimeSpan.FromMilliseconds(700), policy.Backoff(0, TimeSpan.FromMilliseconds(700)));
        Assert.Equal(TimeSpan.FromSeconds(1), policy.Backoff(0, TimeSpan.FromMinutes(5)));
        Assert.Equal(TimeSpan.FromMilliseconds(50), policy.Backoff(0, TimeSpan.FromMilliseconds(10)));
    }

    [Fact]
    public async Task Transient_failures_are_retried_until_success()
    {
        int calls = 0;
        int result = await Policy(3).ExecuteAsync("op", "target", (attempt, _) =>
        {
            Assert.Equal(calls, attempt);
            calls++;
            return calls < 3 ? throw new HttpStatusFailure(HttpStatusCode.ServiceUnavailable, "busy") : Task.FromResult(42);
        }, CancellationToken.None);
        Assert.Equal(42, result);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Persistent_transient_failures_become_a_transient_store_exception_after_max_retries()
    {
        int calls = 0;
        var error = await Assert.ThrowsAsync<TransientStoreException>(() => Policy(2).ExecuteAsync<int>("read", "gs://b/o", (_, _) =>
        {
            calls++;
            throw new IOException("connection reset");
        }, CancellationToken.None));
        Assert.Equal(3, calls);
        Assert.Contains("gs://b/o", error.Message);
    }

    [Fact]
    public async Task Permanent_failures_are_not_retried_and_are_typed()
    {
        int calls = 0;
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Policy(5).ExecuteAsync<int>("op", "t", (_, _) =>
        {
            calls++;
            throw new GoogleApiException("storage", "precondition") { HttpStatusCode = HttpStatusCode.PreconditionFailed };
        }, CancellationToken.None));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_retried_and_stays_a_cancellation()
    {
        using var cts = new CancellationTokenSource();
        int calls = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Policy(5).ExecuteAsync<int>("op", "t", (_, ct) =>
        {
            calls++;
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(0);
        }, cts.Token));
        Assert.Equal(1, calls);
    }
}
