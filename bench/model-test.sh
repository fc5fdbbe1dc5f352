#!/usr/bin/env bash
# The model-based random test of a real mount, run long: many seeds, many operations, more faults and kills than
# ./test runs (tests/Octue.Mount.Linux.Tests ModelTests runs 3 seeds x 7,000 operations). See bench/README.md.
#
#   bench/model-test.sh [--seeds 1-20 | --seeds 4,9] [--operations 20000] [--faults 0.004] [--remounts 0.001]
#                       [--kills 0.001] [--work DIR] [--no-build]
#
# Needs root (mounting) and /dev/fuse. Prints each seed's outcome and the totals (operations, faults injected and
# survived, kills, bytes lost); on a failure, the seed, the failing step and a shrunk reproduction to replay with
#   tests/Octue.Mount.ModelTest/bin/Release/net10.0/octue-mount-model --replay FILE
set -euo pipefail
cd "$(dirname "$0")/.."

SEEDS=1-10
OPERATIONS=20000
FAULTS=0.004
REMOUNTS=0.001
KILLS=0.001
WORK=
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --seeds) SEEDS=$2; shift 2 ;;
        --operations) OPERATIONS=$2; shift 2 ;;
        --faults) FAULTS=$2; shift 2 ;;
        --remounts) REMOUNTS=$2; shift 2 ;;
        --kills) KILLS=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n 2,10p "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

# "1-20" means every seed from 1 to 20.
if [[ $SEEDS =~ ^([0-9]+)-([0-9]+)$ ]]; then
    SEEDS=$(seq -s, "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
fi

if [ "$BUILD" = 1 ]; then
    dotnet build tests/Octue.Mount.ModelTest/Octue.Mount.ModelTest.csproj -c Release -nologo -clp:ErrorsOnly
fi

args=(--seeds "$SEEDS" --operations "$OPERATIONS" --faults "$FAULTS" --remounts "$REMOUNTS" --kills "$KILLS")
if [ -n "$WORK" ]; then args+=(--work "$WORK"); fi
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
tests/Octue.Mount.ModelTest/bin/Release/net10.0/octue-mount-model "${args[@]}" || status=$?
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
