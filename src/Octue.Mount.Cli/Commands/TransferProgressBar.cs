using Octue.Mount.Octue;

namespace Octue.Mount.Cli.Commands;

/// <summary>
/// An in-place text progress bar on stderr for multi-file transfers, drawn only when stderr is a terminal (scripts
/// that capture stderr see just the final summary line).
/// </summary>
internal sealed class TransferProgressBar : IProgress<TransferProgress>
{
    private const int Width = 30;
    private readonly Lock _gate = new();
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly string _verb;
    private long _lastDrawTicks;
    private TransferProgress _last;

    public TransferProgressBar(string verb) => _verb = verb;

    public void Report(TransferProgress value)
    {
        lock (_gate)
        {
            if (value.FilesDone < _last.FilesDone) return;
            _last = value;
            if (!_interactive) return;
            var now = Environment.TickCount64;
            if (value.FilesDone != value.FilesTotal && now - _lastDrawTicks < 100) return;
            _lastDrawTicks = now;
            var fraction = value.FilesTotal == 0 ? 1.0 : (double)value.FilesDone / value.FilesTotal;
            var filled = (int)Math.Round(fraction * Width);
            Console.Error.Write($"\r{_verb} [{new string('#', filled)}{new string('-', Width - filled)}] {value.FilesDone}/{value.FilesTotal} files, {FormatBytes(value.BytesDone)}/{FormatBytes(value.BytesTotal)}");
        }
    }

    /// <summary>Ends the bar's line and prints the summary.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_interactive) Console.Error.WriteLine();
            var skipped = _last.FilesSkipped > 0 ? $" ({_last.FilesSkipped} unchanged, skipped)" : "";
            Console.Error.WriteLine($"{_verb}: {_last.FilesDone} files, {FormatBytes(_last.BytesDone)}{skipped}");
        }
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.0} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB",
    };
}
