#!/bin/sh
# Install the Glas reviewer tools from this folder, offline, into ~/glas-reviewer (or $1).
# Needs only python3. Nothing is downloaded: every package is in wheels/.
#
# Before anything is written, every file of the kit is checked against SHA256SUMS, and any
# file SHA256SUMS does not list stops the install: pip would pick up an extra wheel left in
# wheels/ (a newer "glas", a "pip"), so an added file is as dangerous as a changed one.
# SHA256SUMS itself must reach the laptop by a channel you trust (see README.txt).
set -eu
kit=$(cd "$(dirname "$0")" && pwd)
target=${1:-$HOME/glas-reviewer}

python3 - "$kit" <<'CHECK' || exit 2
import hashlib, os, sys

kit = sys.argv[1]
try:
    with open(os.path.join(kit, "SHA256SUMS"), encoding="utf-8") as listing:
        lines = [line.split() for line in listing if line.strip()]
except OSError:
    sys.exit("The kit has no SHA256SUMS: copy the kit again.")
listed = {}
for fields in lines:
    if len(fields) != 2 or len(fields[0]) != 64 or fields[1].startswith(("/", "..")):
        sys.exit("SHA256SUMS is damaged: copy the kit again.")
    listed[os.path.normpath(fields[1].lstrip("*"))] = fields[0].lower()
problems = []
for folder, folders, files in os.walk(kit):
    for name in files:
        path = os.path.relpath(os.path.join(folder, name), kit)
        if path == "SHA256SUMS":
            continue
        digest = listed.pop(path, None)
        if digest is None:
            problems.append(f"{path}: not listed in SHA256SUMS")
            continue
        with open(os.path.join(kit, path), "rb") as data:
            if hashlib.sha256(data.read()).hexdigest() != digest:
                problems.append(f"{path}: does not match SHA256SUMS")
problems += [f"{path}: listed in SHA256SUMS but missing" for path in sorted(listed)]
if problems:
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit("The kit's files do not match SHA256SUMS: nothing was installed. Copy the kit again.")
CHECK

pip_wheel=$(ls "$kit"/wheels/pip-*.whl)
if [ "$(printf '%s\n' "$pip_wheel" | wc -l)" -ne 1 ]; then
    echo "The kit holds more than one pip wheel: nothing was installed. Copy the kit again." >&2
    exit 2
fi
python3 -m venv --without-pip "$target"
# pip runs from its own wheel, so python3 needs no ensurepip (Tails has none).
"$target/bin/python" "$pip_wheel/pip" install --quiet --no-index --find-links "$kit/wheels" \
    --isolated --disable-pip-version-check --no-cache-dir pip glas
echo "Installed. Run: $target/bin/glas decrypt --help"
