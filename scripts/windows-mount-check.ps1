# Mounts a bucket of the embedded emulator on a drive letter through WinFsp and copies files in and out, checking
# every byte by SHA-256 against what the emulator stores; then unmounts. Run by .github/workflows/windows.yml on a
# Windows machine with WinFsp installed:
#   ./scripts/windows-mount-check.ps1 -Exe C:\path\to\octue-mount.exe -Drive Q:
# Exits non-zero (an exception) on the first check that fails; the logs of both processes are printed at the end.
param(
    [Parameter(Mandatory = $true)] [string] $Exe,
    [string] $Drive = 'Q:'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$work = Join-Path ([IO.Path]::GetTempPath()) 'octue-mount-check'
if ($env:RUNNER_TEMP) { $work = Join-Path $env:RUNNER_TEMP 'octue-mount-check' }
if (Test-Path $work) { Remove-Item -Recurse -Force $work }
New-Item -ItemType Directory -Force -Path $work | Out-Null
$bucket = 'ci-bucket'
$emulator = $null
$mount = $null

function Sha256([string] $path) { (Get-FileHash -Algorithm SHA256 -LiteralPath $path).Hash }

# Waits up to $seconds for a line of $file to match $pattern; returns the match, or throws naming what it waited for.
function Wait-ForLine([string] $file, [string] $pattern, [int] $seconds, [System.Diagnostics.Process] $process) {
    $deadline = (Get-Date).AddSeconds($seconds)
    while ((Get-Date) -lt $deadline) {
        if (Test-Path $file) {
            foreach ($line in @(Get-Content -LiteralPath $file)) {
                if ($line -match $pattern) { return $Matches }
            }
        }
        if ($process.HasExited) { throw "the process ended (exit code $($process.ExitCode)) before printing '$pattern'" }
        Start-Sleep -Milliseconds 200
    }
    throw "nothing matched '$pattern' in $file within $seconds s"
}

# Random bytes of a given size in a new file.
function New-RandomFile([string] $path, [int] $size) {
    $bytes = New-Object byte[] $size
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
    [IO.File]::WriteAllBytes($path, $bytes)
}

# The object's bytes as the emulator stores them (its JSON API), saved to $outFile.
function Get-StoredObject([string] $name, [string] $outFile) {
    $escaped = [Uri]::EscapeDataString($name)
    Invoke-WebRequest -Uri "$endpoint/download/storage/v1/b/$bucket/o/${escaped}?alt=media" -OutFile $outFile -UseBasicParsing | Out-Null
}

try {
    if (Test-Path "$Drive\") { throw "drive $Drive is already in use on this machine" }

    # 1. The emulator, on a free port of 127.0.0.1; it prints "listening on http://127.0.0.1:N" once it accepts connections.
    $emulator = Start-Process -FilePath $Exe -ArgumentList 'emulator', '--port', '0' -NoNewWindow -PassThru `
        -RedirectStandardOutput (Join-Path $work 'emulator.log') -RedirectStandardError (Join-Path $work 'emulator-err.log')
    $null = $emulator.Handle  # keeps the exit code readable after the process ends
    $endpoint = (Wait-ForLine (Join-Path $work 'emulator.log') '^listening on (http://127\.0\.0\.1:\d+)$' 60 $emulator)[1]
    Write-Host "emulator at $endpoint"

    Invoke-RestMethod -Method Post -Uri "$endpoint/storage/v1/b?project=ci" -ContentType 'application/json' -Body "{`"name`":`"$bucket`"}" | Out-Null
    $seed = Join-Path $work 'seed.bin'
    New-RandomFile $seed (3 * 1024 * 1024 + 17)
    Invoke-WebRequest -Method Post -Uri "$endpoint/upload/storage/v1/b/$bucket/o?uploadType=media&name=seed%2Fseed.bin" `
        -InFile $seed -ContentType 'application/octet-stream' -UseBasicParsing | Out-Null

    # 2. The mount, served by this process until 'octue-mount unmount'.
    $env:STORAGE_EMULATOR_HOST = $endpoint
    $mount = Start-Process -FilePath $Exe -NoNewWindow -PassThru `
        -ArgumentList 'mount', "gs://$bucket", $Drive, '--cache-dir', (Join-Path $work 'cache'), '--log-file', (Join-Path $work 'mount-debug.log'), '--log-level', 'debug' `
        -RedirectStandardOutput (Join-Path $work 'mount.log') -RedirectStandardError (Join-Path $work 'mount-err.log')
    $null = $mount.Handle
    Wait-ForLine (Join-Path $work 'mount.log') '^Mounted at ' 120 $mount | Out-Null
    if (-not (Test-Path "$Drive\")) { throw "the mount reported ready, yet $Drive\ does not exist" }
    Write-Host "mounted gs://$bucket at $Drive"

    # 3. Out: the object written through the emulator reads back byte for byte.
    $listing = @(Get-ChildItem -LiteralPath "$Drive\seed" | ForEach-Object Name)
    if ($listing -notcontains 'seed.bin') { throw "$Drive\seed lists [$($listing -join ', ')], not seed.bin" }
    $out = Join-Path $work 'seed-out.bin'
    Copy-Item -LiteralPath "$Drive\seed\seed.bin" -Destination $out
    if ((Sha256 $out) -ne (Sha256 $seed)) { throw 'seed.bin copied out of the mount differs from what was uploaded' }
    Write-Host 'copied out: seed/seed.bin matches (SHA-256)'

    # 4. In: new files (empty, small, larger than one read chunk, in a new folder) reach the bucket byte for byte.
    New-Item -ItemType Directory -Path "$Drive\in\nested" | Out-Null
    $files = @{ 'in/empty.bin' = 0; 'in/small.txt' = 1000; 'in/nested/big.bin' = 20 * 1024 * 1024 + 3 }
    foreach ($name in $files.Keys) {
        $local = Join-Path $work ($name -replace '/', '_')
        New-RandomFile $local $files[$name]
        Copy-Item -LiteralPath $local -Destination (Join-Path "$Drive\" ($name -replace '/', '\'))
        $stored = "$local.stored"
        Get-StoredObject $name $stored
        if ((Sha256 $stored) -ne (Sha256 $local)) { throw "$name in the bucket differs from the file copied in" }
        # And back out through the mount (the content cache or a fresh read).
        $back = "$local.back"
        Copy-Item -LiteralPath (Join-Path "$Drive\" ($name -replace '/', '\')) -Destination $back
        if ((Sha256 $back) -ne (Sha256 $local)) { throw "$name read back from the mount differs from the file copied in" }
        Write-Host "copied in and back: $name ($($files[$name]) bytes) matches (SHA-256)"
    }

    # 5. Overwrite in place, rename and delete, checked against the bucket.
    $replacement = Join-Path $work 'replacement.txt'
    New-RandomFile $replacement 4096
    Copy-Item -LiteralPath $replacement -Destination "$Drive\in\small.txt" -Force
    Get-StoredObject 'in/small.txt' "$replacement.stored"
    if ((Sha256 "$replacement.stored") -ne (Sha256 $replacement)) { throw 'in/small.txt was not replaced in the bucket' }
    Rename-Item -LiteralPath "$Drive\in\small.txt" -NewName 'renamed.txt'
    Get-StoredObject 'in/renamed.txt' "$replacement.renamed"
    if ((Sha256 "$replacement.renamed") -ne (Sha256 $replacement)) { throw 'in/renamed.txt does not hold the renamed bytes' }
    Remove-Item -LiteralPath "$Drive\in\renamed.txt"
    $gone = Invoke-WebRequest -Uri "$endpoint/storage/v1/b/$bucket/o/in%2Frenamed.txt" -SkipHttpErrorCheck -UseBasicParsing
    if ($gone.StatusCode -ne 404) { throw "in/renamed.txt is still in the bucket after Remove-Item (status $($gone.StatusCode))" }
    Write-Host 'overwrite, rename and delete reached the bucket'

    # 6. Unmount from another process, as a user would; the serving process then ends with status 0.
    & $Exe unmount $Drive
    if ($LASTEXITCODE -ne 0) { throw "octue-mount unmount $Drive exited with $LASTEXITCODE" }
    if (-not $mount.WaitForExit(120000)) { throw 'the mount process did not end within 2 minutes of unmount' }
    if ($mount.ExitCode -ne 0) { throw "the mount process ended with exit code $($mount.ExitCode)" }
    if (Test-Path "$Drive\") { throw "$Drive\ still exists after unmount" }
    Write-Host "unmounted $Drive"
}
finally {
    if ($mount -and -not $mount.HasExited) { Stop-Process -Id $mount.Id -Force }
    if ($emulator -and -not $emulator.HasExited) { Stop-Process -Id $emulator.Id -Force }
    foreach ($log in Get-ChildItem -LiteralPath $work -Filter '*.log' -ErrorAction SilentlyContinue) {
        Write-Host "----- $($log.Name)"
        Get-Content -LiteralPath $log.FullName -ErrorAction SilentlyContinue | Select-Object -Last 200 | ForEach-Object { Write-Host $_ }
    }
}
Write-Host 'windows mount check: all checks passed'
