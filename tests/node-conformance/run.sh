#!/usr/bin/env bash
# Runs the Node.js conformance tests against the emulator started from the built CLI.
#   OCTUE_MOUNT_CLI  path of the octue-mount executable (default: the Release build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cli=${OCTUE_MOUNT_CLI:-$root/src/Octue.Mount.Cli/bin/Release/net10.0/octue-mount}
if [ ! -x "$cli" ]; then
  echo "error: $cli not found or not executable (build the CLI first, or set OCTUE_MOUNT_CLI)" >&2
  exit 1
fi
if [ ! -d "$here/node_modules/@google-cloud/storage" ]; then
  echo "error: $here/node_modules is missing: run 'npm ci' in $here" >&2
  exit 1
fi

log=$(mktemp)
emulator_pid=
cleanup() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap cleanup EXIT

"$cli" emulator --port 0 >"$log" 2>&1 &
emulator_pid=$!

url=
for _ in $(seq 1 300); do
  url=$(sed -n 's/^listening on \(http:\/\/.*\)$/\1/p' "$log" | head -n 1)
  [ -n "$url" ] && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    echo "error: the emulator exited before listening:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "error: the emulator did not report 'listening on' within 30 s" >&2
  cat "$log" >&2
  exit 1
fi

# Node's client reads STORAGE_EMULATOR_HOST in its own way: the tests pass the address explicitly instead.
status=0
(cd "$here" && env -u STORAGE_EMULATOR_HOST EMULATOR_URL="$url" node --test conformance.test.mjs) || status=$?
exit $status
