using Octue.Mount.Octue;

namespace Octue.Mount.Vfs;

/// <summary>A dataset named by the mounted manifest: its key and the manifest's description of it.</summary>
internal sealed record ManifestDatasetInfo(string Key, ManifestDatasetRef Reference);
