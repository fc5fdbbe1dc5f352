#!/usr/bin/env bash
# Packs the octue-mount command as a .NET tool, installs it into a temporary tool path from that local folder only,
# and runs it: `octue-mount version`, then `octue-mount emulator --port 0` until it says where it listens and answers
# there. Called by ./test after the solution is built (it packs with --no-build).
#   scripts/check-dotnet-tool.sh REPO_ROOT
set -euo pipefail
root=$1
work=$(mktemp -d)
emulator_pid=
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "error: .NET tool check: $*" >&2; exit 1; }

if ! dotnet pack "$root/src/Octue.Mount.Cli/Octue.Mount.Cli.csproj" -c Release --no-build -nologo -o "$work/packages" >"$work/pack.log" 2>&1; then
  cat "$work/pack.log" >&2
  fail "dotnet pack src/Octue.Mount.Cli failed"
fi
package=$(find "$work/packages" -name 'Octue.Mount.Cli.*.nupkg' | head -1)
[ -n "$package" ] || fail "dotnet pack made no Octue.Mount.Cli package"
version=$(basename "$package" .nupkg); version=${version#Octue.Mount.Cli.}
# The listing is taken whole before it is searched: with pipefail, `unzip | grep -q` fails whenever grep stops at
# the match before unzip has written the rest (unzip then dies of SIGPIPE), whatever the package holds.
listing=$(unzip -Z1 "$package") || fail "cannot list $package"
grep -qx 'tools/net10.0/any/DotnetToolSettings.xml' <<<"$listing" || fail "$package is not a .NET tool package (no DotnetToolSettings.xml)"

# No package source but the folder given with --add-source.
cat >"$work/nuget.config" <<'CONFIG'
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
  </packageSources>
</configuration>
CONFIG
if ! NUGET_PACKAGES="$work/nuget-packages" dotnet tool install Octue.Mount.Cli --version "$version" --tool-path "$work/tools" \
     --configfile "$work/nuget.config" --add-source "$work/packages" >"$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  fail "dotnet tool install of Octue.Mount.Cli $version from the local folder $work/packages failed (no other source is configured)"
fi
tool="$work/tools/octue-mount"
[ -x "$tool" ] || fail "dotnet tool install made no octue-mount command in $work/tools"

printed=$("$tool" version) || fail "octue-mount version (installed as a tool) exited with $?"
# The build adds the commit after a '+' when it is made in a git checkout.
case "$printed" in
  "octue-mount $version" | "octue-mount $version+"*) ;;
  *) fail "octue-mount version printed '$printed', expected 'octue-mount $version'" ;;
esac
echo "$printed (installed as a .NET tool from a local folder)"

# The output file exists before the loop reads it: the background job opens it only when it gets to run, and a
# read of a missing file would end this script (set -e) without a word.
: >"$work/emulator.out"
"$tool" emulator --port 0 >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
url=
for _ in $(seq 1 300); do
  url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$work/emulator.out")
  [ -n "$url" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator.err" >&2; fail "octue-mount emulator --port 0 ended before saying where it listens"; }
  sleep 0.1
done
[ -n "$url" ] || fail "octue-mount emulator --port 0 printed no 'listening on' line within 30 s"
answer=$(curl -fsS --max-time 10 "$url/storage/v1/b?project=tool-check") || fail "the emulator at $url does not answer"
grep -q '"storage#buckets"' <<<"$answer" || fail "the emulator at $url answered '$answer' to a bucket listing"
echo "octue-mount emulator --port 0 (installed as a .NET tool) listens on $url and answers"
