# The Python package `lifetimes` 0.11.3, the yardstick of the value models, in its own virtualenv
# under .run/ (it needs numpy < 2 and pandas < 2: with pandas 3 its summaries fail). Source it,
# then `offerloop_lifetimes_python` prints the interpreter to run.

offerloop_lifetimes_python() {
  local root venv
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  venv="$root/.run/lifetimes-venv"
  if ! "$venv/bin/python" -c "import lifetimes, matplotlib" >/dev/null 2>&1; then
    echo "==> installing lifetimes 0.11.3 into $venv (PyPI)" >&2
    python3 -m venv "$venv" >&2
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install -q "lifetimes==0.11.3" "pandas<2" "numpy<2" "scipy<1.12" matplotlib >&2
  fi
  echo "$venv/bin/python"
}
