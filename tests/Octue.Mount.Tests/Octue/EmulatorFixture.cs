using Octue.Mount.Emulator;
using Octue.Mount.Octue;
using Octue.Mount.Storage;

namespace Octue.Mount.Tests.Octue;

/// <summary>One emulator and one real <see cref="GcsObjectStore"/> talking HTTP to it, shared by the Octue container tests.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    private int _bucketCounter;

    public GcsEmulator Emulator { get; private set; } = null!;

    public IObjectStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Emulator = await GcsEmulator.StartAsync();
        Store = GcsObjectStore.Create(new ObjectStoreOptions { EmulatorHost = Emulator.HostAndPort, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(50) });
    }

    public async Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        await Emulator.DisposeAsync();
    }

    /// <summary>A new, empty bucket for one test.</summary>
    public string NewBucket()
    {
        var name = $"octue-test-{Interlocked.Increment(ref _bucketCounter)}";
        Emulator.Store.CreateBucket(name);
        return name;
    }

    public TransferOptions Options(int parallelism = 8, bool skipUnchanged = false) =>
        new() { Store = Store, Parallelism = parallelism, SkipUnchanged = skipUnchanged };
}

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "octue-emulator";
}

/// <summary>A temporary folder removed at the end of the test.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "octue-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string relative, string? content = null)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        if (content is not null) System.IO.File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
