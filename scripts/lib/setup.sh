# Shared by scripts/test and scripts/demo: installs what a fresh Debian machine lacks.
# Source it, then call `offerloop_setup`. Safe to run again: it installs only what is missing.

offerloop_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Debian packages the build, the tests and the demo need.
OFFERLOOP_APT_PACKAGES=(libzmq3-dev pkg-config python3 python3-pip curl)
# Python packages for the example touchpoint (examples/python).
OFFERLOOP_PIP_PACKAGES=(pyzmq protobuf)

offerloop_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

offerloop_apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  offerloop_log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
}

offerloop_pip_install() {
  python3 - "$@" <<'PY' && return 0
import importlib, sys
names = {"pyzmq": "zmq", "protobuf": "google.protobuf"}
for package in sys.argv[1:]:
    importlib.import_module(names.get(package, package))
PY
  offerloop_log "installing python packages $*"
  python3 -m pip install -q "$@" || python3 -m pip install -q --break-system-packages "$@"
}

offerloop_setup() {
  command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6.3 (https://swift.org/install)" >&2; return 1; }
  offerloop_apt_install "${OFFERLOOP_APT_PACKAGES[@]}"
  offerloop_pip_install "${OFFERLOOP_PIP_PACKAGES[@]}"
}
