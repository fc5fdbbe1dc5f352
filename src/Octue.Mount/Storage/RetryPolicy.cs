using Microsoft.Extensions.Logging;

namespace Octue.Mount.Storage;

/// <summary>
/// The single retry layer of the store (the client library's own retries are switched off so behaviour is
/// explicit): transient failures are retried up to <c>MaxRetries</c> times, waiting a random time in
/// [0, min(MaxBackoff, InitialBackoff·2^attempt)] ("full jitter", so many clients that failed together do not
/// return together), or the server's Retry-After when it asks for longer.
/// </summary>
internal sealed class RetryPolicy
{
    private readonly int _maxRetries;
    private readonly TimeSpan _initialBackoff;
    private readonly TimeSpan _maxBackoff;
    private readonly ILogger _logger;
    private readonly Func<double> _random;

    public RetryPolicy(int maxRetries, TimeSpan initialBackoff, TimeSpan maxBackoff, ILogger logger, Func<double>? random = null)
    {
        _maxRetries = maxRetries;
        _initialBackoff = initialBackoff;
        _maxBackoff = maxBackoff;
        _logger = logger;
        _random = random ?? Random.Shared.NextDouble;
    }

    public int MaxRetries => _maxRetries;

    /// <summary>
    /// Runs <paramref name="operation"/> (given the attempt number, 0 first), retrying transient failures; any
    /// failure that remains is mapped to a typed <see cref="ObjectStoreException"/>.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(string operationName, string target, Func<int, CancellationToken, Task<T>> operation,
        CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await operation(attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (attempt < _maxRetries && StoreErrors.IsTransient(error, cancellationToken))
            {
                await WaitBeforeRetryAsync(operationName, target, attempt, error, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                throw StoreErrors.Map(error, operationName, target, cancellationToken);
            }
        }
    }

    public Task ExecuteAsync(string operationName, string target, Func<int, CancellationToken, Task> operation,
        CancellationToken cancellationToken) =>
        ExecuteAsync<bool>(operationName, target, async (attempt, ct) =>
        {
            await operation(attempt, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Logs the failure and waits the backoff of retry number <paramref name="attempt"/> (0 = first retry).</summary>
    public async Task WaitBeforeRetryAsync(string operationName, string target, int attempt, Exception error,
        CancellationToken cancellationToken)
    {
        TimeSpan delay = Backoff(attempt, StoreErrors.RetryAfter(error));
        _logger.LogWarning("{Operation} {Target} failed ({Error}); retry {Retry} of {MaxRetries} in {Delay} ms",
            operationName, target, error.Message, attempt + 1, _maxRetries, (int)delay.TotalMilliseconds);
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The wait before retry number <paramref name="attempt"/> (0-based).</summary>
    public TimeSpan Backoff(int attempt, TimeSpan? retryAfter = null)
    {
        double boundMs = _initialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        boundMs = Math.Min(boundMs, _maxBackoff.TotalMilliseconds);
        TimeSpan jittered = TimeSpan.FromMilliseconds(_random() * boundMs);
        if (retryAfter is { } asked && asked > jittered)
        {
            return asked < _maxBackoff ? asked : _maxBackoff;
        }
        return jittered;
    }
}
