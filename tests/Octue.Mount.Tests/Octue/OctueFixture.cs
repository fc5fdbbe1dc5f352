using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

/// <summary>
/// The emulator, and one store talking to it (the store's own retry count, short backoffs) shared by the Octue
/// container tests.
/// </summary>
public sealed class OctueFixture : EmulatorFixture
{
    public IObjectStore Store { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Store = CreateStore(o => new ObjectStoreOptions
        {
            EmulatorHost = o.EmulatorHost,
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(50),
        });
    }

    public override async Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        await base.DisposeAsync();
    }

    public TransferOptions Options(int parallelism = 8, bool skipUnchanged = false) =>
        new() { Store = Store, Parallelism = parallelism, SkipUnchanged = skipUnchanged };
}
