using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Storage;

/// <summary>The emulator, and one store talking to it through the real client with short backoffs.</summary>
public sealed class StoreFixture : EmulatorFixture
{
    public GcsObjectStore Store { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Store = CreateStore();
    }

    public override async Task DisposeAsync()
    {
        Store?.Dispose();
        await base.DisposeAsync();
    }
}
