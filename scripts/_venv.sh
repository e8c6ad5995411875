# Shared by scripts/run and scripts/test (sourced, not run): find Python 3.11+, create
# .venv if it is missing (also on Debian/Ubuntu without the python3-venv package), and
# install a requirements file only when it changed since the last install.
#
# Expects ROOT (the project folder) to be set by the caller.

VENV="${VENV:-$ROOT/.venv}"
STAMP_DIR="$ROOT/var/stamps"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

find_python() {
    # PYTHON may name the interpreter; else the first python3.X >= 3.11 on PATH.
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# Download the newest pip wheel from PyPI (checking its sha256) into a fresh venv that
# has no pip, and install pip from that wheel with the wheel itself.
bootstrap_pip() {
    local python="$1" workdir
    workdir="$(mktemp -d)"
    log "bootstrapping pip from PyPI (no ensurepip on this machine)"
    "$python" - "$workdir" <<'PY'
import hashlib, json, sys, urllib.parse, urllib.request
from pathlib import Path

target = Path(sys.argv[1])
index = "https://pypi.org/pypi/pip/json"
with urllib.request.urlopen(index, timeout=60) as response:
    release = json.load(response)
wheel = next(f for f in release["urls"] if f["packagetype"] == "bdist_wheel" and f["filename"].endswith("-py3-none-any.whl"))
# Mirrors may answer with URLs relative to the JSON document.
with urllib.request.urlopen(urllib.parse.urljoin(index, wheel["url"]), timeout=120) as response:
    data = response.read()
if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
    sys.exit(f"pip wheel {wheel['filename']}: sha256 mismatch, refusing to install it")
(target / wheel["filename"]).write_bytes(data)

PY
    local wheel
    wheel="$(ls "$workdir"/pip-*.whl)" || die "could not download pip from PyPI"
    # A wheel is a zip file Python can import from: run pip out of it to install itself.
    "$python" "$wheel/pip" install --no-cache-dir --disable-pip-version-check --quiet "$wheel"
    rm -rf "$workdir"
}

ensure_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        return 0
    fi
    local python
    python="$(find_python)" || die "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11 if it is not on PATH)"
    log "creating virtualenv $VENV with $python ($("$python" --version 2>&1))"
    rm -rf "$VENV" "$STAMP_DIR"  # a new venv has nothing installed, whatever the stamps say
    if [ -z "${BLOCKSCORE_VENV_WITHOUT_ENSUREPIP:-}" ] && "$python" -m venv "$VENV" >/dev/null 2>&1; then
        :
    else
        # Debian/Ubuntu ship ensurepip in the separate python3-venv package; without it
        # `python3 -m venv` fails. Make the venv without pip and fetch pip ourselves.
        rm -rf "$VENV"
        "$python" -m venv --without-pip "$VENV" || die "could not create a virtualenv with $python"
        bootstrap_pip "$VENV/bin/python"
    fi
    "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || die "pip is not usable in $VENV"
}

# install_requirements FILE...: pip install -r the first file when any of the files, or
# the interpreter, changed since the last successful install.
install_requirements() {
    local main="$1" stamp hash
    mkdir -p "$STAMP_DIR"
    stamp="$STAMP_DIR/$(basename "$main").sha256"
    hash="$( { "$VENV/bin/python" --version 2>&1; cat "$@"; } | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
        return 0
    fi
    log "installing $(basename "$main") into $VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r "$main"
    printf '%s\n' "$hash" >"$stamp"
}
