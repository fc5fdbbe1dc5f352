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
$sdks = & dotnet --list-sdks
if (-not ($sdks | Where-Object { [int](($_ -split '\.')[0]) -ge 10 })) {
    Fail "the .NET 10 SDK is needed (found: $($sdks -join ', ')): get it from https://dotnet.microsoft.com/download"
}

# 2. WinFsp (its kernel driver and DLL) mounts the file system. The installer records its folder in the 32-bit
#    registry view: HKLM\SOFTWARE\WOW6432Node\WinFsp\InstallDir.
$winfspKey = 'HKLM:\SOFTWARE\WOW6432Node\WinFsp'
$installDir = $null
if (Test-Path $winfspKey) { $installDir = (Get-ItemProperty -Path $winfspKey -Name InstallDir -ErrorAction SilentlyContinue).InstallDir }
if (-not $installDir) {
    Fail 'WinFsp is not installed. Download and run the WinFsp installer from https://winfsp.dev/rel/ (the default "Core" feature is enough), then run install.ps1 again.'
}
$rid = switch ($env:PROCESSOR_ARCHITECTURE) {
    'AMD64' { 'win-x64'; $dll = 'winfsp-x64.dll' }
    'ARM64' { 'win-arm64'; $dll = 'winfsp-a64.dll' }
    'x86'   { 'win-x86'; $dll = 'winfsp-x86.dll' }
    default { Fail "unsupported processor architecture $($env:PROCESSOR_ARCHITECTURE)" }
}
if (-not (Test-Path (Join-Path $installDir "bin\$dll"))) {
    Fail "WinFsp at $installDir has no bin\$dll; reinstall it from https://winfsp.dev/rel/"
}
Write-Host "WinFsp found at $installDir"

# 3. Build and publish.
$publish = Join-Path $root 'artifacts\publish-windows'
Write-Host "building octue-mount (Release, $rid)..."
& dotnet publish (Join-Path $root 'src\Octue.Mount.Cli\Octue.Mount.Cli.csproj') -c Release -r $rid --self-contained false `
    -nologo -clp:ErrorsOnly -o $publish
if ($LASTEXITCODE -ne 0) { Fail "dotnet publish failed (exit code $LASTEXITCODE)" }

# 4. Replace the installed copy as a whole so no stale assembly survives an upgrade.
$prefix = Join-Path $env:LOCALAPPDATA 'Programs\octue-mount'
if (Test-Path "$prefix.new") { Remove-Item -Recurse -Force "$prefix.new" }
Copy-Item -Recurse $publish "$prefix.new"
if (Test-Path $prefix) { Remove-Item -Recurse -Force $prefix }
Move-Item "$prefix.new" $prefix

# 5. Put it on the user's PATH (persistently, and for this session).
$userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
$entries = @()
if ($userPath) { $entries = $userPath -split ';' | Where-Object { $_ } }
if ($entries -notcontains $prefix) {
    [Environment]::SetEnvironmentVariable('Path', (($entries + $prefix) -join ';'), 'User')
    Write-Host "added $prefix to your PATH (new terminals will see it)"
}
if (($env:Path -split ';') -notcontains $prefix) { $env:Path = "$env:Path;$prefix" }

Write-Host "installed: $prefix\octue-mount.exe"
Write-Host 'try: octue-mount demo   or   octue-mount mount gs://BUCKET X:'
