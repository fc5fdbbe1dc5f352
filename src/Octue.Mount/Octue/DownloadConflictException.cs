namespace Octue.Mount.Octue;

/// <summary>
/// A download was refused before anything was written: object names that would overwrite one another, need a folder
/// where a file is, or cannot be local file names. <see cref="Problems"/> names every object involved.
/// </summary>
public sealed class DownloadConflictException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The whole message, one problem a line.</param>
    /// <param name="problems">Each problem, naming the objects involved.</param>
    public DownloadConflictException(string message, IReadOnlyList<string> problems) : base(message) => Problems = problems;

    /// <summary>Each problem, naming the objects involved.</summary>
    public IReadOnlyList<string> Problems { get; }
}
