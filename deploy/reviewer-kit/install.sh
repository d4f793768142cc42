#!/bin/sh
# Install the Glas reviewer tools from this folder, offline, into ~/glas-reviewer (or $1).
# Needs only python3. Nothing is downloaded: every package is in wheels/.
set -eu
kit=$(cd "$(dirname "$0")" && pwd)
target=${1:-$HOME/glas-reviewer}

if command -v sha256sum >/dev/null 2>&1; then
    (cd "$kit/wheels" && sha256sum --quiet -c ../SHA256SUMS) || {
        echo "The kit's files do not match SHA256SUMS: copy the kit again." >&2
        exit 2
    }
fi
python3 -m venv --without-pip "$target"
pip_wheel=$(ls "$kit"/wheels/pip-*.whl | head -n 1)
# pip runs from its own wheel, so python3 needs no ensurepip (Tails has none).
"$target/bin/python" "$pip_wheel/pip" install --quiet --no-index --find-links "$kit/wheels" \
    --isolated --disable-pip-version-check --no-cache-dir pip glas
echo "Installed. Run: $target/bin/glas decrypt --help"
