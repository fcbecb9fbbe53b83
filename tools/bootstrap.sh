# Sourced by ./run and ./test: find a Python >= 3.11, install uv from PyPI into .tools/ when
# it is missing, and sync the workspace exactly as uv.lock says. uv never downloads a Python.
set -euo pipefail

LEGION_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION="0.13.8"

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            "$candidate" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    echo "error: Legion needs Python >= 3.11; set PYTHON=/path/to/python3.11 or newer" >&2
    return 1
}

LEGION_PYTHON="$(find_python)"
export UV_PYTHON="$LEGION_PYTHON"
export UV_PYTHON_DOWNLOADS=never
export UV_PROJECT_ENVIRONMENT="$LEGION_ROOT/.venv"
# Machines behind a TLS-inspecting proxy put its CA in the system bundle; let uv trust it.
if [ -z "${SSL_CERT_FILE:-}" ] && [ -z "${UV_NATIVE_TLS:-}" ]; then
    export UV_NATIVE_TLS=1
fi

if command -v uv >/dev/null 2>&1 && uv --version 2>/dev/null | grep -q "^uv $UV_VERSION"; then
    UV="$(command -v uv)"
else
    UV="$LEGION_ROOT/.tools/bin/uv"
    if ! "$UV" --version 2>/dev/null | grep -q "^uv $UV_VERSION"; then
        echo "==> installing uv $UV_VERSION into .tools/ (from PyPI)" >&2
        "$LEGION_PYTHON" -m venv "$LEGION_ROOT/.tools"
        "$LEGION_ROOT/.tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
    fi
fi
export UV

echo "==> syncing the workspace (uv.lock, --locked)" >&2
(cd "$LEGION_ROOT" && "$UV" sync --locked --all-packages --quiet)
