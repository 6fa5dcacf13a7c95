#!/usr/bin/env bash
# Installs every Debian package that sadasya's build, tests and demo need.
# Idempotent and quiet when everything is already present.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang
  libsodium-dev liblmdb-dev lmdb-utils
  libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
  libzmq3-dev libcsv-dev libcjson-dev libcmocka-dev libinih-dev
  python3 python3-nacl sqlite3 openssl
  libpango1.0-dev libcairo2-dev libpng-dev libqrencode-dev libzbar-dev fonts-noto-core
  libgdk-pixbuf-2.0-dev librsvg2-dev
  zbar-tools pango1.0-tools python3-pil
  chromium
  libxlsxwriter-dev python3-openpyxl
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when an install fails for want of them.
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
