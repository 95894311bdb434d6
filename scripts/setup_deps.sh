#!/usr/bin/env bash
# Installs qvk's build and test dependencies from Debian 12 packages.
# Idempotent: installs only what is missing. Runs apt-get as root (or via sudo).
set -euo pipefail

pkgs=(build-essential cmake ninja-build git pkg-config
      libvulkan-dev libvulkan-volk-dev libeigen3-dev glslang-tools spirv-tools
      librapidcheck-dev libgtest-dev mesa-vulkan-drivers vulkan-validationlayers
      python3 python3-numpy)
# npm fetches the llama.cpp peer packages (scripts/fetch_peers.sh).
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup_deps: all Debian packages present"
  exit 0
fi
echo "setup_deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup_deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
