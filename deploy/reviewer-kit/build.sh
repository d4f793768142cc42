#!/usr/bin/env bash
# Build the reviewer's kit: a folder to copy to a USB stick and install on an offline Debian 12
# or Tails laptop with nothing but its python3 (see README.txt, which goes into the kit).
#
#   bash deploy/reviewer-kit/build.sh [KIT_DIR]        (make reviewer-kit: dist/reviewer-kit)
#
# KIT_PYTHON (default 3.11, Debian 12's and Tails 6's) and KIT_PLATFORM (default x86_64) say
# which wheels to fetch. This is the one step that needs the network (or a package mirror).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kit=${1:-$root/dist/reviewer-kit}
python_version=${KIT_PYTHON:-3.11}
arch=${KIT_PLATFORM:-x86_64}
pip=${PIP:-$root/.venv/bin/pip}

rm -rf "$kit"
mkdir -p "$kit/wheels"
# Glas itself (the reviewer's install uses only its reviewer side and shared packages), built
# from a clean copy: setuptools' build/ folder may still hold modules that have since moved.
source=$(mktemp -d)
trap 'rm -rf "$source"' EXIT
tar -C "$root" --exclude=./.git --exclude=./.venv --exclude=./node_modules --exclude=./build \
    --exclude=./dist --exclude='./*.egg-info' --exclude=./.mypy_cache --exclude=./.ruff_cache \
    --exclude=./.pytest_cache -cf - . | tar -C "$source" -xf -
"$pip" wheel --quiet --no-deps --no-build-isolation --wheel-dir "$kit/wheels" "$source"
glas_wheel=$(ls "$kit"/wheels/glas-*.whl)
# Its dependencies, without the [server] extra, as binary wheels for the target Python; and pip
# itself, which installs them even where python3 has no ensurepip (Tails).
platforms=()
for tag in manylinux2014 manylinux_2_17 manylinux_2_28 musllinux_1_1; do
    [ "$tag" = musllinux_1_1 ] && continue
    platforms+=(--platform "${tag}_${arch}")
done
"$pip" download --quiet --only-binary=:all: --dest "$kit/wheels" \
    --python-version "$python_version" --implementation cp "${platforms[@]}" \
    "$glas_wheel" pip 2> >(grep -v "is ignored: it is neither" >&2)
cp "$here/install.sh" "$here/README.txt" "$kit/"
chmod +x "$kit/install.sh"
# Every file of the kit is listed: install.sh refuses any file SHA256SUMS does not name.
( cd "$kit" && sha256sum -- README.txt install.sh wheels/*.whl > SHA256SUMS )
echo "Reviewer kit in $kit ($(ls "$kit/wheels" | wc -l) wheels, $(du -sh "$kit" | cut -f1))."
