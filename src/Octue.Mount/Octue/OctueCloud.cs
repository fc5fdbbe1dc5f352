using Octue.Mount.Storage;

namespace Octue.Mount.Octue;

/// <summary>
/// The object store the containers use when a call does not name one. The seed's API
/// (<c>Datafile.FromCloudAsync(projectName, bucketName, path)</c>) has no client parameter, so a process-wide default
/// keeps those signatures; tests and programs that need another store pass <see cref="TransferOptions.Store"/> or set
/// <see cref="DefaultStore"/>. The default is created on first use from <see cref="ObjectStoreOptions"/> with its
/// defaults: it honours <c>STORAGE_EMULATOR_HOST</c>, else uses Application Default Credentials.
/// </summary>
public static class OctueCloud
{
    private static readonly Lock Gate = new();
    private static IObjectStore? _defaultStore;

    /// <summary>The store used when <see cref="TransferOptions.Store"/> is null. Settable; created lazily when unset.</summary>
    public static IObjectStore DefaultStore
    {
        get
        {
            lock (Gate)
                return _defaultStore ??= GcsObjectStore.Create(new ObjectStoreOptions());
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (Gate)
                _defaultStore = value;
        }
    }
}
