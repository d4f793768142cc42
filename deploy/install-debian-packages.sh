#!/usr/bin/env bash
# Install the Debian packages Glas needs, if they are missing and we may; otherwise say how.
# Idempotent: does nothing (and needs no network) when everything is installed.
set -euo pipefail

missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "!! Missing Debian packages: ${missing[*]}" >&2
    echo "!! Install them with:  sudo apt-get install ${missing[*]}" >&2
    echo "!! Until then the tests that need them are skipped, saying why." >&2
fi

# On a CI or test machine with systemd, Debian's tor service would join the public Tor network
# right after installation. Tests must reach 127.0.0.1 only, so keep it stopped there.
if [ "${CI:-}" = "true" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl disable --now tor >/dev/null 2>&1 || true
fi
