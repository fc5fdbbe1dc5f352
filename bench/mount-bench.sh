#!/usr/bin/env bash
# Macro benchmark of a real mount: octue-mount (and rclone mount, when it can be installed) against direct
# access to the same emulator in the same run, with local disk for reference. See bench/README.md.
#
#   bench/mount-bench.sh [--size-mib 1024] [--listing 5000] [--files 1000] [--file-kib 4] [--no-rclone] [--no-build]
#
# Everything runs on 127.0.0.1: the in-repo GCS emulator (in memory), the mounts, curl. Every byte read back or
# written is checked with sha256sum; any mismatch, missing object or timeout stops the run with "FAIL:".
set -euo pipefail

SIZE_MIB=1024
LISTING=5000
FILES=1000
FILE_KIB=4
WITH_RCLONE=1
BUILD=1
LIMIT=900            # seconds any single step may take before the run is declared hung
while [ $# -gt 0 ]; do
    case "$1" in
        --size-mib) SIZE_MIB=$2; shift 2 ;;
        --listing) LISTING=$2; shift 2 ;;
        --files) FILES=$2; shift 2 ;;
        --file-kib) FILE_KIB=$2; shift 2 ;;
        --no-rclone) WITH_RCLONE=0; shift ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n 2,8p "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLI=$REPO/src/Octue.Mount.Cli/bin/Release/net10.0/octue-mount
BUCKET=mount-bench
RCLONE_MODE=writes    # --vfs-cache-mode: what rclone's documentation suggests for ordinary applications

for tool in curl jq sha256sum dd fusermount3 timeout; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/mount-bench.XXXXXX)
MOUNTS=()   # every mount point this run used
PIDS=()     # every process this run started (emulator, mount daemons)
EMU_PID=""

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

fail() {
    echo "FAIL: $*" >&2
    for f in "$WORK"/*.log; do
        [ -f "$f" ] || continue
        echo "--- last lines of $(basename "$f")" >&2
        tail -n 15 "$f" >&2
    done
    exit 1
}

mounted() { grep -qs " $1 fuse" /proc/mounts; }

cleanup() {
    set +e
    local d p left=0
    for d in "${MOUNTS[@]}"; do
        if mounted "$d"; then
            fusermount3 -uz "$d" 2>/dev/null || umount -l "$d" 2>/dev/null
        fi
    done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for _ in $(seq 50); do
        left=0
        for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
        [ $left = 0 ] && break
        sleep 0.1
    done
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    # Never delete through a mount: remove the work folder only when nothing is mounted under it.
    if grep -qs " $WORK/" /proc/mounts; then
        echo "warning: something is still mounted under $WORK; left in place" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------- measuring
declare -A T    # seconds per step
declare -A R    # emulator requests per step

ns() { date +%s%N; }
# timed NAME COMMAND...: runs COMMAND (bounded by $LIMIT) and records its wall time in T[NAME].
timed() {
    local name=$1 start rc=0
    shift
    start=$(ns)
    if declare -F "$1" >/dev/null; then
        "$@" || rc=$?           # shell functions bound themselves (bounded loops, curl --max-time)
    else
        timeout "$LIMIT" "$@" || rc=$?
    fi
    T[$name]=$(awk -v a="$start" -v b="$(ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    [ $rc = 124 ] && fail "$name: no answer after $LIMIT s (hang?)"
    [ $rc = 0 ] || fail "$name: exit status $rc"
    log "$name: ${T[$name]} s"
}

# ---------------------------------------------------------------------------------------------- emulator
api() { curl -sS -f --max-time 120 "$@"; }

requests_reset() { api -X DELETE "$EMU/emulator/v1/requests" >/dev/null; }
# requests_take NAME: stores the requests counted since the last reset, e.g. "6 (ListObjects 5, GetObject 1)".
requests_take() {
    R[$1]=$(api "$EMU/emulator/v1/requests" |
        jq -r '[to_entries[] | select(.key != "total" and .value > 0) | "\(.key) \(.value)"] as $k
               | "\(.total)" + (if ($k | length) > 0 then " (" + ($k | join(", ")) + ")" else "" end)')
}

# count_objects PREFIX: sets COUNT to the objects under PREFIX, not counting directory placeholders ("name/"),
# and adds the listing requests it made to POLLS.
POLLS=0
COUNT=0
count_objects() {
    local token="" n=0 page
    for _ in $(seq 1000); do
        page=$(api -G "$EMU/storage/v1/b/$BUCKET/o" --data-urlencode "prefix=$1" --data-urlencode "fields=items(name),nextPageToken" \
            ${token:+--data-urlencode "pageToken=$token"})
        POLLS=$((POLLS + 1))
        n=$((n + $(jq '[.items[]? | select(.name | endswith("/") | not)] | length' <<<"$page")))
        token=$(jq -r '.nextPageToken // empty' <<<"$page")
        [ -z "$token" ] && break
    done
    COUNT=$n
}

# direct_list PREFIX OUT: what `ls -l` needs, straight from the JSON API (every page, full metadata).
direct_list() {
    local token="" page n=0
    : >"$2"
    for _ in $(seq 1000); do
        page=$(curl -sS -f --max-time 120 -G "$EMU/storage/v1/b/$BUCKET/o" --data-urlencode "prefix=$1" --data-urlencode "delimiter=/" \
            ${token:+--data-urlencode "pageToken=$token"}) || return 1
        jq -r '.items[]? | "\(.size) \(.updated) \(.name)"' <<<"$page" >>"$2"
        token=$(jq -r '.nextPageToken // empty' <<<"$page")
        [ -z "$token" ] && break
    done
}

# Object names here are ASCII letters, digits, '.', '-' and '/': only '/' needs escaping.
object_url() { printf '%s/download/storage/v1/b/%s/o/%s?alt=media' "$EMU" "$BUCKET" "${1//\//%2F}"; }
upload_url() { printf '%s/upload/storage/v1/b/%s/o?uploadType=media&name=%s' "$EMU" "$BUCKET" "${1//\//%2F}"; }

# curl_many CONFIG: one curl process, one connection, one object per transfer (configs written below).
curl_many() { timeout "$LIMIT" curl --fail-early -K "$1"; }

# ---------------------------------------------------------------------------------------------- mounts
MOUNT_SEQ=0
new_dir() { MOUNT_SEQ=$((MOUNT_SEQ + 1)); DIR=$WORK/$1-$MOUNT_SEQ; mkdir -p "$DIR"; }

# mount_octue DIR CACHE: background mode (returns when the mount answers); records the daemon's pid.
mount_octue() {
    MOUNTS+=("$1")
    STORAGE_EMULATOR_HOST=$EMU_HOST timeout 120 "$CLI" mount "gs://$BUCKET" "$1" --cache-dir "$2" \
        --log-file "$WORK/octue-mount.log" >/dev/null || fail "octue-mount mount $1 failed"
    mounted "$1" || fail "octue-mount said it mounted $1, but /proc/mounts has no such mount"
    local p
    OCTUE_PID=""
    for p in /proc/[0-9]*; do
        if tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF -- "$1" &&
            tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF -- "--notify-ready"; then
            OCTUE_PID=${p#/proc/}
            PIDS+=("$OCTUE_PID")
        fi
    done
    [ -n "${OCTUE_PID:-}" ] || fail "cannot find the daemon serving $1"
}

# unmount_octue DIR: unmounts and waits for the daemon to finish (in-flight uploads) and exit.
unmount_octue() {
    timeout 300 "$CLI" unmount "$1" || fail "octue-mount unmount $1 failed"
    for _ in $(seq 1200); do
        kill -0 "$OCTUE_PID" 2>/dev/null || { OCTUE_PID=""; return 0; }
        sleep 0.1
    done
    fail "the octue-mount daemon $OCTUE_PID did not exit within 120 s of its unmount"
}

export RCLONE_CONFIG RCLONE_CONFIG_BENCH_TYPE RCLONE_CONFIG_BENCH_ANONYMOUS RCLONE_CONFIG_BENCH_ENDPOINT
# mount_rclone DIR CACHE: rclone mount in the background; waits (bounded) until the kernel lists the mount.
mount_rclone() {
    MOUNTS+=("$1")
    rclone mount "bench:$BUCKET" "$1" --vfs-cache-mode "$RCLONE_MODE" --cache-dir "$2" \
        --log-file "$WORK/rclone.log" --log-level INFO &
    RCLONE_PID=$!
    PIDS+=("$RCLONE_PID")
    for _ in $(seq 300); do
        mounted "$1" && return 0
        kill -0 "$RCLONE_PID" 2>/dev/null || fail "rclone mount exited"
        sleep 0.1
    done
    fail "rclone mount $1 not ready after 30 s"
}

unmount_rclone() {
    fusermount3 -u "$1" || fail "fusermount3 -u $1 failed"
    for _ in $(seq 1200); do
        kill -0 "$RCLONE_PID" 2>/dev/null || return 0
        sleep 0.1
    done
    fail "rclone $RCLONE_PID did not exit within 120 s of its unmount"
}

# ---------------------------------------------------------------------------------------------- checks
check_sha() { # WHAT ACTUAL
    [ "$2" = "$BIG_SHA" ] || fail "$1: sha256 $2, expected $BIG_SHA (wrong bytes)"
    log "$1: sha256 ok"
}
check_tree() { # WHAT DIR: DIR holds exactly the small files, byte for byte
    local n
    n=$(find "$2" -type f | wc -l)
    [ "$n" = "$FILES" ] || fail "$1: $n files in $2, expected $FILES"
    (cd "$2" && sha256sum --quiet -c "$WORK/small.sha256") || fail "$1: wrong bytes in $2"
    log "$1: $FILES files, sha256 ok"
}
check_object() { # WHAT NAME: the object exists now with the expected bytes
    local sha
    sha=$(curl -sS -f "$(object_url "$2")" | sha256sum | cut -d' ' -f1) || fail "$1: object $2 not readable"
    check_sha "$1 (object $2)" "$sha"
}

# ---------------------------------------------------------------------------------------------- setup
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "work folder $WORK; load average $LOAD_START"
if [ $BUILD = 1 ]; then
    log "building src/Octue.Mount.Cli (Release)"
    dotnet build "$REPO/src/Octue.Mount.Cli" -c Release -nologo -v q >"$WORK/build.out" 2>&1 ||
        { cat "$WORK/build.out" >&2; fail "build failed"; }
fi
[ -x "$CLI" ] || fail "$CLI not built (dotnet build src/Octue.Mount.Cli -c Release)"

RCLONE_NOTE=""
if [ $WITH_RCLONE = 1 ] && ! command -v rclone >/dev/null; then
    log "installing rclone (apt-get)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone; } >"$WORK/apt.out" 2>&1; then
        WITH_RCLONE=0
        RCLONE_NOTE="rclone could not be installed (apt-get install -y rclone failed)"
    fi
fi

"$CLI" emulator --host 127.0.0.1 --port 0 >"$WORK/emulator.log" 2>&1 &
EMU_PID=$!
PIDS+=("$EMU_PID")
for _ in $(seq 300); do
    grep -q '^listening on ' "$WORK/emulator.log" && break
    kill -0 "$EMU_PID" 2>/dev/null || fail "the emulator exited"
    sleep 0.1
done
EMU=$(sed -n 's/^listening on //p' "$WORK/emulator.log")
[ -n "$EMU" ] || fail "the emulator did not start"
EMU_HOST=${EMU#http://}
case "$EMU_HOST" in 127.0.0.1:*) ;; *) fail "the emulator listens on $EMU, not on 127.0.0.1" ;; esac
log "emulator at $EMU"

# rclone talks only to the emulator: anonymous (no OAuth, no metadata server), endpoint on 127.0.0.1, empty config.
RCLONE_CONFIG=$WORK/rclone.conf
: >"$RCLONE_CONFIG"
RCLONE_CONFIG_BENCH_TYPE=gcs
RCLONE_CONFIG_BENCH_ANONYMOUS=true
RCLONE_CONFIG_BENCH_ENDPOINT=$EMU/storage/v1/

api -X POST -H 'Content-Type: application/json' -d "{\"name\":\"$BUCKET\"}" "$EMU/storage/v1/b" >/dev/null

log "making $SIZE_MIB MiB of random bytes, $FILES files of $FILE_KIB KiB, $LISTING objects to list"
head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$WORK/big.bin"
BIG_SHA=$(sha256sum "$WORK/big.bin" | cut -d' ' -f1)
mkdir -p "$WORK/small"
for i in $(seq -f '%05g' "$FILES"); do head -c $((FILE_KIB * 1024)) /dev/urandom >"$WORK/small/f$i"; done
(cd "$WORK/small" && sha256sum f* >"$WORK/small.sha256")
head -c 100 /dev/urandom >"$WORK/tiny"

# The object to read, and the directory to list (one curl process each).
curl -sS -f -X POST -T "$WORK/big.bin" -H 'Content-Type: application/octet-stream' "$(upload_url big/read.bin)" >/dev/null
check_object "setup" big/read.bin
{
    for i in $(seq -f '%05g' "$LISTING"); do
        printf 'url = "%s"\nupload-file = "%s"\nrequest = "POST"\nheader = "Content-Type: application/octet-stream"\noutput = "/dev/null"\nsilent\nshow-error\nfail\nnext\n' \
            "$(upload_url "list/o$i")" "$WORK/tiny"
    done
} >"$WORK/list.curl"
sed -i '$d' "$WORK/list.curl"   # no "next" after the last transfer
curl_many "$WORK/list.curl" || fail "filling list/ failed"
count_objects list/
[ "$COUNT" = "$LISTING" ] || fail "list/ does not hold $LISTING objects"
mkdir -p "$WORK/local-list"
for i in $(seq -f '%05g' "$LISTING"); do : >"$WORK/local-list/o$i"; done
sync

# upload_config PREFIX OUT / download_config PREFIX DIR OUT: curl configs for the small files.
upload_config() {
    local f
    for f in "$WORK"/small/f*; do
        printf 'url = "%s"\nupload-file = "%s"\nrequest = "POST"\nheader = "Content-Type: application/octet-stream"\noutput = "/dev/null"\nsilent\nshow-error\nfail\nnext\n' \
            "$(upload_url "$1/$(basename "$f")")" "$f"
    done >"$2"
    sed -i '$d' "$2"
}
download_config() {
    local f
    for f in "$WORK"/small/f*; do
        printf 'url = "%s"\noutput = "%s"\nsilent\nshow-error\nfail\nnext\n' "$(object_url "$1/$(basename "$f")")" "$2/$(basename "$f")"
    done >"$3"
    sed -i '$d' "$3"
}

# ---------------------------------------------------------------------------------------------- local disk
log "local disk"
timed local.read_cold dd if="$WORK/big.bin" of=/dev/null bs=1M iflag=direct status=none
timed local.read_warm dd if="$WORK/big.bin" of=/dev/null bs=1M status=none
timed local.write dd if="$WORK/big.bin" of="$WORK/local-write.bin" bs=1M conv=fsync status=none
[ "$(sha256sum <"$WORK/local-write.bin" | cut -d' ' -f1)" = "$BIG_SHA" ] || fail "local write: wrong bytes"
rm -f "$WORK/local-write.bin"
timed local.ls ls -l "$WORK/local-list" >"$WORK/ls.out"
timed local.cp_in cp -r "$WORK/small" "$WORK/local-copy"
sync
timed local.cp_out cp -r "$WORK/local-copy" "$WORK/local-copy-back"
check_tree "local copy" "$WORK/local-copy-back"
rm -rf "$WORK/local-copy" "$WORK/local-copy-back"

# ---------------------------------------------------------------------------------------------- direct
log "direct (curl against the emulator)"
requests_reset
timed direct.read_cold curl -sS -f -o /dev/null "$(object_url big/read.bin)"
requests_take direct.read_cold
T[direct.read_warm]=${T[direct.read_cold]}
R[direct.read_warm]=${R[direct.read_cold]}
requests_reset
timed direct.write curl -sS -f -o /dev/null -X POST -T "$WORK/big.bin" -H 'Content-Type: application/octet-stream' "$(upload_url direct/write.bin)"
requests_take direct.write
check_object "direct write" direct/write.bin
api -X DELETE "$EMU/storage/v1/b/$BUCKET/o/direct%2Fwrite.bin" >/dev/null
requests_reset
timed direct.ls direct_list list/ "$WORK/direct-list.out"
requests_take direct.ls
[ "$(wc -l <"$WORK/direct-list.out")" = "$LISTING" ] || fail "direct listing: not $LISTING entries"
upload_config direct-small "$WORK/up.curl"
requests_reset
timed direct.cp_in curl_many "$WORK/up.curl"
requests_take direct.cp_in
count_objects direct-small/
[ "$COUNT" = "$FILES" ] || fail "direct upload: not $FILES objects"
mkdir -p "$WORK/direct-back"
download_config direct-small "$WORK/direct-back" "$WORK/down.curl"
requests_reset
timed direct.cp_out curl_many "$WORK/down.curl"
requests_take direct.cp_out
check_tree "direct download" "$WORK/direct-back"
rm -rf "$WORK/direct-back"

# ---------------------------------------------------------------------------------------------- a mount
# bench_mount KIND (octue | rclone): the same steps through a mount.
bench_mount() {
    local kind=$1 dir cache cache2 n sha
    cache=$WORK/$kind-cache
    log "$kind: cold read (new mount, empty cache folder)"
    new_dir "$kind"
    dir=$DIR
    "mount_$kind" "$dir" "$cache"
    requests_reset
    timed "$kind.read_cold" dd if="$dir/big/read.bin" of=/dev/null bs=1M status=none
    requests_take "$kind.read_cold"
    check_sha "$kind cold read" "$(sha256sum <"$dir/big/read.bin" | cut -d' ' -f1)"
    "unmount_$kind" "$dir"

    log "$kind: warm read (remount, same cache folder)"
    new_dir "$kind"
    dir=$DIR
    "mount_$kind" "$dir" "$cache"
    requests_reset
    timed "$kind.read_warm" dd if="$dir/big/read.bin" of=/dev/null bs=1M status=none
    requests_take "$kind.read_warm"
    check_sha "$kind warm read" "$(sha256sum <"$dir/big/read.bin" | cut -d' ' -f1)"

    if [ "$kind" = rclone ]; then
        # rclone uploads after close (--vfs-write-back, 5 s by default), as a resumable upload of 16 MiB chunks
        # POSTed to the session URI: time until the object is in the bucket, polling its metadata.
        log "rclone: write (uploaded after close)"
        requests_reset
        timed rclone.write dd if="$WORK/big.bin" of="$dir/write-rclone.bin" bs=1M conv=fsync status=none
        local start end code="" polls=0
        start=$(ns)
        for _ in $(seq 2400); do
            code=$(curl -sS --max-time 120 -o "$WORK/write-stat.json" -w '%{http_code}' \
                "$EMU/storage/v1/b/$BUCKET/o/write-rclone.bin?fields=size") || fail "rclone write: polling the object failed"
            polls=$((polls + 1))
            [ "$code" = 200 ] && break
            sleep 0.25
        done
        end=$(ns)
        [ "$code" = 200 ] || fail "rclone write: the object is not in the bucket 10 minutes after close"
        T[rclone.write_durable]=$(awk -v a="${T[rclone.write]}" -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", a + (e - s) / 1e9 }')
        log "rclone.write_durable: ${T[rclone.write_durable]} s"
        requests_take rclone.write
        R[rclone.write]="${R[rclone.write]} including $polls object GETs of this run's polling"
        check_object "rclone write (once in the bucket)" write-rclone.bin
        api -X DELETE "$EMU/storage/v1/b/$BUCKET/o/write-rclone.bin" >/dev/null
    else
        log "$kind: write, durable on close"
        requests_reset
        timed "$kind.write" dd if="$WORK/big.bin" of="$dir/write-$kind.bin" bs=1M conv=fsync status=none
        requests_take "$kind.write"
        check_object "$kind write (right after close)" "write-$kind.bin"
        api -X DELETE "$EMU/storage/v1/b/$BUCKET/o/write-$kind.bin" >/dev/null
    fi

    log "$kind: cp -r of $FILES files into the mount"
    requests_reset
    POLLS=0
    timed "$kind.cp_in" cp -r "$WORK/small" "$dir/small-$kind"
    if [ "$kind" = rclone ]; then
        # rclone uploads after close (--vfs-write-back, 5 s by default): time until the last object is in the bucket.
        local start end
        start=$(ns)
        n=0
        for _ in $(seq 1200); do
            count_objects "small-$kind/"
            n=$COUNT
            [ "$n" = "$FILES" ] && break
            sleep 0.5
        done
        end=$(ns)
        [ "$n" = "$FILES" ] || fail "rclone: $n of $FILES objects uploaded after 10 minutes"
        T[rclone.cp_in_durable]=$(awk -v a="${T[rclone.cp_in]}" -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", a + (e - s) / 1e9 }')
        log "rclone.cp_in_durable: ${T[rclone.cp_in_durable]} s"
        requests_take "$kind.cp_in"
        R[$kind.cp_in]="${R[$kind.cp_in]} including $POLLS listings of this run's polling"
    else
        requests_take "$kind.cp_in"
        count_objects "small-$kind/"
        n=$COUNT
        [ "$n" = "$FILES" ] || fail "$kind: only $n of $FILES objects in the bucket right after cp returned"
    fi
    "unmount_$kind" "$dir"

    log "$kind: ls -l of $LISTING objects (new mount)"
    cache2=$WORK/$kind-cache2
    new_dir "$kind"
    dir=$DIR
    "mount_$kind" "$dir" "$cache2"
    requests_reset
    timed "$kind.ls" ls -l "$dir/list" >"$WORK/ls.out"
    requests_take "$kind.ls"
    n=$(grep -c ' o[0-9]*$' "$WORK/ls.out" || true)
    [ "$n" = "$LISTING" ] || fail "$kind: ls -l listed $n entries, expected $LISTING"
    requests_reset
    timed "$kind.ls_again" ls -l "$dir/list" >"$WORK/ls.out"
    requests_take "$kind.ls_again"

    log "$kind: cp -r of $FILES files out of the mount (same new mount: nothing of them cached)"
    requests_reset
    timed "$kind.cp_out" cp -r "$dir/small-$kind" "$WORK/$kind-back"
    requests_take "$kind.cp_out"
    check_tree "$kind copy out" "$WORK/$kind-back"
    rm -rf "$WORK/$kind-back"
    "unmount_$kind" "$dir"
    if [ "$kind" = octue ]; then
        grep -iE '\b(fail|error|exception)' "$WORK/octue-mount.log" | head -n 5 >&2 || true
    fi
}

bench_mount octue
if [ $WITH_RCLONE = 1 ]; then
    bench_mount rclone
    RCLONE_VERSION=$(rclone version 2>/dev/null | sed -n 1p)
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------- report
fmt() { # seconds [bytes]: "1.234 s" or "1.234 s (870 MB/s)"
    if [ -z "${1:-}" ]; then echo "—"; return; fi
    if [ -n "${2:-}" ]; then awk -v t="$1" -v b="$2" 'BEGIN { printf "%.2f s (%.0f MB/s)", t, b / t / 1e6 }'
    else awk -v t="$1" 'BEGIN { printf "%.2f s", t }'; fi
}
ratio() { if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then echo "—"; else awk -v a="$1" -v b="$2" 'BEGIN { printf "**%.2f**", a / b }'; fi; }

BYTES=$((SIZE_MIB * 1048576))
echo
echo "mount benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'); load average $LOAD_START at the start, $LOAD_END at the end"
echo "$(nproc) cores, $(dotnet --version 2>/dev/null | sed 's/^/.NET SDK /')${RCLONE_VERSION:+, $RCLONE_VERSION (--vfs-cache-mode $RCLONE_MODE)}"
[ -n "$RCLONE_NOTE" ] && echo "$RCLONE_NOTE"
echo
if [ $WITH_RCLONE = 1 ]; then
    echo "| step | local disk | direct (curl) | octue-mount | ÷ direct | rclone mount | ÷ direct |"
    echo "|---|---|---|---|---|---|---|"
else
    echo "| step | local disk | direct (curl) | octue-mount | ÷ direct |"
    echo "|---|---|---|---|---|"
fi
row() { # label key [bytes]
    local line="| $1 | $(fmt "${T[local.$2]:-}" "${3:-}") | $(fmt "${T[direct.$2]:-}" "${3:-}") | $(fmt "${T[octue.$2]:-}" "${3:-}") | $(ratio "${T[octue.$2]:-}" "${T[direct.$2]:-}") |"
    if [ $WITH_RCLONE = 1 ]; then
        line="$line $(fmt "${T[rclone.$2]:-}" "${3:-}") | $(ratio "${T[rclone.$2]:-}" "${T[direct.$2]:-}") |"
    fi
    echo "$line"
}
row "read $SIZE_MIB MiB, cold" read_cold $BYTES
row "read $SIZE_MIB MiB, warm (remount)" read_warm $BYTES
row "write $SIZE_MIB MiB, conv=fsync" write $BYTES
[ $WITH_RCLONE = 1 ] && echo "| … until the object is in the bucket | | | (on close) | | $(fmt "${T[rclone.write_durable]:-}" $BYTES) | $(ratio "${T[rclone.write_durable]:-}" "${T[direct.write]:-}") |"
row "ls -l, $LISTING objects, new mount" ls
row "cp -r $FILES × $FILE_KIB KiB in" cp_in
[ $WITH_RCLONE = 1 ] && echo "| … until all are in the bucket | | | (on close) | | $(fmt "${T[rclone.cp_in_durable]:-}") | $(ratio "${T[rclone.cp_in_durable]:-}" "${T[direct.cp_in]:-}") |"
row "cp -r $FILES × $FILE_KIB KiB out, new mount" cp_out
echo
echo "local disk: cold read with O_DIRECT, warm read from the page cache; direct: curl on one connection (no retries, no cache)."
echo "direct ls -l: every page of objects.list with full metadata; repeated ls -l on the same mount:"
echo "  octue-mount $(fmt "${T[octue.ls_again]:-}")${T[rclone.ls_again]:+, rclone $(fmt "${T[rclone.ls_again]}")}"
echo
echo "Requests counted by the emulator:"
echo
echo "| step | direct | octue-mount |$([ $WITH_RCLONE = 1 ] && echo " rclone mount |")"
echo "|---|---|---|$([ $WITH_RCLONE = 1 ] && echo "---|")"
for key in read_cold read_warm write ls ls_again cp_in cp_out; do
    line="| $key | ${R[direct.$key]:-—} | ${R[octue.$key]:-—} |"
    [ $WITH_RCLONE = 1 ] && line="$line ${R[rclone.$key]:-—} |"
    echo "$line"
done
echo
echo "All bytes read back and written were verified with sha256sum."
