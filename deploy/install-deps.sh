#!/usr/bin/env bash
# Installs exactly the Debian bookworm packages Skald's build and tests need.
# Idempotent: packages already present are skipped; sudo is used only when
# not running as root.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git python3
  libboost-dev libssl-dev libzstd-dev libsnappy-dev zlib1g-dev
  libsimdjson-dev libre2-dev libprotobuf-dev protobuf-compiler
  libsqlite3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev
  libxxhash-dev doctest-dev libbenchmark-dev
  clang libclang-rt-14-dev curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
