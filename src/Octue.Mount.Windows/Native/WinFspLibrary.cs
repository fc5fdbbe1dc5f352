using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32;

namespace Octue.Mount.Windows.Native;

/// <summary>WinFsp is not installed (or its DLL cannot be loaded).</summary>
public sealed class WinFspNotInstalledException : Exception
{
    public WinFspNotInstalledException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// Finds and loads the WinFsp user-mode DLL for the process architecture (<c>winfsp-x64.dll</c>,
/// <c>winfsp-a64.dll</c> or <c>winfsp-x86.dll</c>): first by its plain name (the normal DLL search), then from the
/// installation folder the WinFsp installer records in <c>HKLM\SOFTWARE\WOW6432Node\WinFsp\InstallDir</c> (the
/// 32-bit registry view), under <c>bin\</c>. The DLL alone is not enough: WinFsp's kernel driver comes with the
/// installer from https://winfsp.dev/rel/.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WinFspLibrary
{
    public const string DownloadUrl = "https://winfsp.dev/rel/";

    public static string DllName => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "winfsp-x64.dll",
        Architecture.Arm64 => "winfsp-a64.dll",
        Architecture.X86 => "winfsp-x86.dll",
        var other => throw new PlatformNotSupportedException($"WinFsp has no DLL for the {other} architecture."),
    };

    /// <summary>The WinFsp installation folder from the registry, or null when WinFsp is not installed.</summary>
    public static string? InstallDirectory()
    {
        using RegistryKey hklm32 = RegistryKey.OpenBaseKey(RegistryHive.LocalMachine, RegistryView.Registry32);
        using RegistryKey? key = hklm32.OpenSubKey(@"SOFTWARE\WinFsp");
        return key?.GetValue("InstallDir") as string;
    }

    public static nint Load()
    {
        string name = DllName;
        if (NativeLibrary.TryLoad(name, out nint handle))
            return handle;
        string? dir = InstallDirectory();
        if (dir is null)
            throw new WinFspNotInstalledException(
                $"WinFsp is not installed (no {name} on the DLL search path and no InstallDir under HKLM\\SOFTWARE\\WOW6432Node\\WinFsp). " +
                $"Install it from {DownloadUrl} and try again.");
        string path = Path.Combine(dir, "bin", name);
        try
        {
            return NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new WinFspNotInstalledException($"WinFsp's {path} could not be loaded ({e.Message}). Reinstall WinFsp from {DownloadUrl}.", e);
        }
    }
}
