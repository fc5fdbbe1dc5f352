# Installs Octue Mount on Windows: checks for the .NET 10 SDK and WinFsp, publishes a Release build of the
# octue-mount command for this machine's architecture, and puts it on the user's PATH.
# Idempotent: running it again rebuilds and replaces the installed copy.
#   powershell -ExecutionPolicy Bypass -File .\install.ps1
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot

function Fail([string] $message) {
    Write-Host "install.ps1: $message" -ForegroundColor Red
    exit 1
}

# 1. The .NET SDK (10 or later) builds the command.
$dotnet = Get-Command dotnet -ErrorAction SilentlyContinue
if (-not $dotnet) { Fail 'the .NET 10 SDK is not installed: get it from https://dotnet.microsoft.com/download' }
$sdks = @(& dotnet --list-sdks)
if (-not ($sdks | Where-Object { $_ -match '^(\d+)\.' -and [int]$Matches[1] -ge 10 })) {
    Fail "the .NET 10 SDK is needed (found: $($sdks -join ', ')): get it from https://dotnet.microsoft.com/download"
}

# 2. WinFsp (its kernel driver and DLL) mounts the file system. The installer records its folder in the 32-bit
#    registry view: HKLM\SOFTWARE\WOW6432Node\WinFsp\InstallDir on 64-bit Windows, HKLM\SOFTWARE\WinFsp on 32-bit.
#    The value is read with GetValue, which gives $null for a missing value (a property read would fail under
#    strict mode before the message below could be shown).
$installDir = $null
foreach ($winfspKey in 'HKLM:\SOFTWARE\WOW6432Node\WinFsp', 'HKLM:\SOFTWARE\WinFsp') {
    if (-not $installDir -and (Test-Path $winfspKey)) { $installDir = (Get-Item $winfspKey).GetValue('InstallDir') }
}
if (-not $installDir) {
    Fail 'WinFsp is not installed. Download and run the WinFsp installer from https://winfsp.dev/rel/ (the default "Core" feature is enough), then run install.ps1 again.'
}

# The machine's architecture, not this PowerShell's: a 32-bit PowerShell on 64-bit Windows reports x86 in
# PROCESSOR_ARCHITECTURE (the real one is in PROCESSOR_ARCHITEW6432), and an x64 PowerShell on ARM64 reports AMD64.
$arch = $null
try { $arch = [string][System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture } catch { $arch = $null }
if (-not $arch) {
    $arch = if ($env:PROCESSOR_ARCHITEW6432) { $env:PROCESSOR_ARCHITEW6432 } else { $env:PROCESSOR_ARCHITECTURE }
}
switch ($arch) {  # compares case-insensitively: 'X64' and 'x64' alike
    { $_ -in 'X64', 'AMD64' } { $rid = 'win-x64'; $dll = 'winfsp-x64.dll'; break }
    'Arm64' { $rid = 'win-arm64'; $dll = 'winfsp-a64.dll'; break }
    'X86' { $rid = 'win-x86'; $dll = 'winfsp-x86.dll'; break }
    default { Fail "unsupported processor architecture $arch" }
}
if (-not (Test-Path (Join-Path $installDir "bin\$dll"))) {
    Fail "WinFsp at $installDir has no bin\$dll; reinstall it from https://winfsp.dev/rel/"
}
Write-Host "WinFsp found at $installDir"

# 3. Build and publish into an emptied folder, so nothing from an earlier build is installed with this one.
$publish = Join-Path $root 'artifacts\publish-windows'
if (Test-Path $publish) { Remove-Item -Recurse -Force $publish }
Write-Host "building octue-mount (Release, $rid)..."
& dotnet publish (Join-Path $root 'src\Octue.Mount.Cli\Octue.Mount.Cli.csproj') -c Release -r $rid --self-contained false `
    -nologo -clp:ErrorsOnly -o $publish
if ($LASTEXITCODE -ne 0) { Fail "dotnet publish failed (exit code $LASTEXITCODE)" }
if (-not (Test-Path (Join-Path $publish 'octue-mount.exe'))) { Fail "dotnet publish produced no octue-mount.exe in $publish" }

# 4. Replace the installed copy as a whole so no stale assembly survives an upgrade. A running octue-mount (a mount
#    still being served) holds its files open, and Windows then refuses to remove them.
$prefix = Join-Path $env:LOCALAPPDATA 'Programs\octue-mount'
try {
    New-Item -ItemType Directory -Force -Path (Split-Path $prefix) | Out-Null
    if (Test-Path "$prefix.new") { Remove-Item -Recurse -Force "$prefix.new" }
    Copy-Item -Recurse $publish "$prefix.new"
    if (Test-Path $prefix) { Remove-Item -Recurse -Force $prefix }
    Move-Item "$prefix.new" $prefix
}
catch {
    Fail "cannot replace $prefix ($($_.Exception.Message)). If octue-mount is running (a mount or the demo), stop it with 'octue-mount unmount' or Ctrl+C, then run install.ps1 again."
}

# 5. Put it on the user's PATH (persistently, and for this session). The stored value is read and written unexpanded
#    (REG_EXPAND_SZ), as Windows keeps it: [Environment]::GetEnvironmentVariable would expand entries such as
#    %USERPROFILE%\bin and SetEnvironmentVariable would store them expanded, for good.
$environmentKey = [Microsoft.Win32.Registry]::CurrentUser.OpenSubKey('Environment', $true)
try {
    $userPath = [string]$environmentKey.GetValue('Path', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    $entries = @($userPath -split ';' | Where-Object { $_ })
    if ($entries -notcontains $prefix) {
        $environmentKey.SetValue('Path', (($entries + $prefix) -join ';'), [Microsoft.Win32.RegistryValueKind]::ExpandString)
        # Setting a user variable through .NET broadcasts WM_SETTINGCHANGE, so new terminals see the new PATH
        # without signing out; a throwaway variable does that here.
        [Environment]::SetEnvironmentVariable('OCTUE_MOUNT_INSTALL', '1', 'User')
        [Environment]::SetEnvironmentVariable('OCTUE_MOUNT_INSTALL', $null, 'User')
        Write-Host "added $prefix to your PATH (new terminals will see it)"
    }
}
finally {
    $environmentKey.Close()
}
if (($env:Path -split ';') -notcontains $prefix) { $env:Path = "$env:Path;$prefix" }

# 6. Check that the installed command starts (the .NET runtime for this architecture is there).
& (Join-Path $prefix 'octue-mount.exe') version | Out-Null
if ($LASTEXITCODE -ne 0) { Fail "the installed octue-mount does not start (exit code $LASTEXITCODE): is the .NET 10 runtime for $rid installed?" }

Write-Host "installed: $prefix\octue-mount.exe"
Write-Host 'try: octue-mount demo   or   octue-mount mount gs://BUCKET X:'
