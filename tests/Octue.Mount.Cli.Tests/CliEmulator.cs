using Octue.Mount.Emulator;
using Octue.Mount.Testing;

namespace Octue.Mount.Cli.Tests;

/// <summary>The collection's shared emulator, as a test of <see cref="CliMountCollection"/> starts from it.</summary>
internal static class CliEmulator
{
    /// <summary>The shared emulator with its request counts at zero and no faults armed, as a new one would be.</summary>
    public static GcsEmulator Fresh(EmulatorFixture fixture)
    {
        fixture.Emulator.Requests.Reset();
        fixture.Emulator.Faults.Clear();
        return fixture.Emulator;
    }
}
