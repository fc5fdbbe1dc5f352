# Shared helpers of ./install and ./test.

require_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET 10 SDK is required but 'dotnet' is not on PATH." >&2
    echo "Install it from https://dot.net (e.g. 'apt-get install dotnet-sdk-10.0' where Microsoft's packages are set up)." >&2
    exit 1
  fi
  if ! grep -q '^10\.' <<<"$(dotnet --list-sdks)"; then
    echo "error: the .NET 10 SDK is required; found: $(dotnet --list-sdks | tr '\n' ' ')" >&2
    exit 1
  fi
}

# as_root CMD...: runs a command as root (directly, or through sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "error: '$*' needs root and sudo is not available" >&2; return 1; fi
}

# ensure_packages PKG...: installs missing Debian packages with apt-get.
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing packages (${missing[*]}) and no apt-get to install them" >&2; return 1
  fi
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ensure_node_packages DIR: npm ci in DIR when it has a package.json (installs Node.js first when missing).
ensure_node_packages() {
  local dir=$1
  [ -f "$dir/package.json" ] || return 0
  command -v npm >/dev/null 2>&1 || ensure_packages nodejs npm
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
