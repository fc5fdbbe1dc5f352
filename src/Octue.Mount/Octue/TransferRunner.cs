namespace Octue.Mount.Octue;

/// <summary>Runs the per-file work of a multi-file transfer with bounded parallelism and reports progress.</summary>
internal static class TransferRunner
{
    /// <summary>Transfers every item, at most <see cref="TransferOptions.Parallelism"/> at a time.</summary>
    /// <param name="items">The files.</param>
    /// <param name="sizeOf">The bytes a file counts for in progress reports.</param>
    /// <param name="transfer">Transfers one file; returns true when it was skipped.</param>
    /// <param name="options">Parallelism and the progress sink.</param>
    /// <param name="cancellationToken">Cancels the remaining transfers.</param>
    public static async Task RunAsync<T>(IReadOnlyList<T> items, Func<T, long> sizeOf, Func<T, CancellationToken, Task<bool>> transfer,
        TransferOptions options, CancellationToken cancellationToken)
    {
        long bytesTotal = 0;
        foreach (var item in items) bytesTotal += sizeOf(item);
        var done = 0;
        var skipped = 0;
        long bytesDone = 0;
        var progress = options.Progress;
        var gate = new Lock();
        progress?.Report(new TransferProgress(0, items.Count, 0, 0, bytesTotal));

        await Parallel.ForEachAsync(items,
            new ParallelOptions { MaxDegreeOfParallelism = options.ResolveParallelism(), CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                var wasSkipped = await transfer(item, ct).ConfigureAwait(false);
                // Reported under the lock so that consumers see the counts grow in order.
                lock (gate)
                {
                    done++;
                    if (wasSkipped) skipped++;
                    bytesDone += sizeOf(item);
                    progress?.Report(new TransferProgress(done, items.Count, skipped, bytesDone, bytesTotal));
                }
            }).ConfigureAwait(false);
    }
}
