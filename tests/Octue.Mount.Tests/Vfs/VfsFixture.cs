using System.Text;
using Octue.Mount.Emulator;
using Octue.Mount.Storage;
using Octue.Mount.Vfs;

namespace Octue.Mount.Tests.Vfs;

/// <summary>The emulator, and one store talking HTTP to it through the real client, for the file system's tests.</summary>
public sealed class VfsFixture : EmulatorFixture
{
    public GcsObjectStore Store { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Store = CreateStore(o => new ObjectStoreOptions { EmulatorHost = o.EmulatorHost, MaxRetries = 2 });
    }

    public override async Task DisposeAsync()
    {
        Store?.Dispose();
        await base.DisposeAsync();
    }

    public long Put(string bucket, string name, string text, IDictionary<string, string>? metadata = null) =>
        Emulator.Store.PutObject(bucket, name, Encoding.UTF8.GetBytes(text), metadata);

    public byte[] Bytes(string bucket, string name) =>
        Emulator.Store.TryGetObject(bucket, name, out var obj) ? obj.Data : throw new Xunit.Sdk.XunitException($"gs://{bucket}/{name} does not exist");

    public bool Exists(string bucket, string name) => Emulator.Store.TryGetObject(bucket, name, out _);

    public IReadOnlyDictionary<string, string> Metadata(string bucket, string name) =>
        Emulator.Store.TryGetObject(bucket, name, out var obj) ? new Dictionary<string, string>(obj.Metadata) : throw new Xunit.Sdk.XunitException($"gs://{bucket}/{name} does not exist");
}
