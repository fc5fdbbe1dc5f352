using System.CommandLine;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Cli.Commands;

/// <summary>What the Octue data verbs (upload, download, info) share: options, the store, error reporting.</summary>
internal static class OctueCommandSupport
{
    public static Option<OctueContainerKind> KindOption() => new("--kind")
    {
        Description = "What the source is: datafile, dataset or manifest (default: detected).",
        DefaultValueFactory = _ => OctueContainerKind.Auto,
    };

    public static Option<int> ParallelismOption() => new("--parallelism", "-j")
    {
        Description = "How many files to transfer at once.",
        DefaultValueFactory = _ => 16,
    };

    public static Option<bool> ForceOption() => new("--force")
    {
        Description = "Transfer every file, even those whose destination already has the same CRC32C.",
    };

    /// <summary>The same option, with the same meaning, as the mount command's <c>--credentials</c>.</summary>
    public static Option<string?> CredentialsOption() => new("--credentials")
    {
        Description = "Service account key file (default: Application Default Credentials).",
    };

    /// <summary>
    /// The store for the data verbs: Cloud Storage with the given key file (Application Default Credentials when null),
    /// or the server named by STORAGE_EMULATOR_HOST. A key file that is missing or not a service-account key fails here,
    /// naming the file, before any request is made.
    /// </summary>
    public static IObjectStore CreateStore(string? credentialsFile) =>
        GcsObjectStore.Create(new ObjectStoreOptions { CredentialsFile = credentialsFile });

    /// <summary>Runs a verb's work, turning the failures a user can cause into one clear line on stderr and exit code 1.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("error: cancelled");
            return 130;
        }
        catch (Exception error) when (error is OctueFormatException or ObjectStoreException or IOException
                                          or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync("error: " + error.Message);
            return 1;
        }
    }

    public static int Parallelism(int requested)
    {
        if (requested < 1)
            throw new ArgumentException($"--parallelism must be at least 1 (got {requested}).");
        return requested;
    }
}
