# Shared by scripts/test and scripts/demo: installs what a fresh Debian machine lacks.
# Source it, then call `offerloop_setup`. Safe to run again: it installs only what is missing.

offerloop_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Debian packages the build, the tests and the demo need (librsvg2-bin: PNG plots from our SVG ones).
OFFERLOOP_APT_PACKAGES=(libzmq3-dev pkg-config python3 python3-pip curl librsvg2-bin)
# Python packages: pyzmq and protobuf for the example touchpoint (examples/python), matplotlib
# for every plot (offerloop report --plot, the benchmarks, the chaos report).
OFFERLOOP_PIP_PACKAGES=(pyzmq protobuf matplotlib)

offerloop_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

offerloop_apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  offerloop_log "installing ${missing[*]} (Debian)"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Installs the Python packages (by their PyPI names) that python3 cannot import yet.
offerloop_pip_install() {
  local missing=() package module
  for package in "$@"; do
    case "$package" in
      pyzmq) module=zmq ;;
      protobuf) module=google.protobuf ;;
      check-jsonschema) module=check_jsonschema ;;
      *) module="$package" ;;
    esac
    python3 -c "import $module" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  offerloop_log "installing ${missing[*]} (PyPI)"
  # As root on a machine of one's own, pip's warning about root is noise. (Not exported: a
  # variable in the scripts' environment would make their next swift build start over.)
  local quiet=(env PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install -q)
  "${quiet[@]}" "${missing[@]}" 2>/dev/null || "${quiet[@]}" --break-system-packages "${missing[@]}"
}

# `swift build` as a person's shell runs it. SwiftPM takes the environment into its build
# description: a variable a script exports (OFFERLOOP_*, say) would make this build, and the
# person's next one, start over (measured: FOO=1 swift build after a finished build took 51 s).
offerloop_swift_build() { (unset "${!OFFERLOOP_@}"; swift build "$@"); }

offerloop_setup() {
  command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6.3 (https://swift.org/install)" >&2; return 1; }
  offerloop_apt_install "${OFFERLOOP_APT_PACKAGES[@]}"
  offerloop_pip_install "${OFFERLOOP_PIP_PACKAGES[@]}"
}
