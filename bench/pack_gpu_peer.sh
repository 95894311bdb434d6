#!/usr/bin/env bash
# bench/pack_gpu_peer.sh — llama_peer and llama.cpp's Vulkan backend in one small tarball, for a
# GPU machine that has no package registry (see ../shared/H100.md: binaries are carried there).
#
#   bench/pack_gpu_peer.sh BUILD_DIR OUT.tar.xz
#
# BUILD_DIR was configured with -DQVK_PEERS_DIR=DIR (scripts/fetch_peers.sh DIR) and has
# built llama_peer. OUT.tar.xz holds one folder, llama-peer/, laid out like DIR so that
# `llama_peer --gpu` finds the Vulkan backend beside the libllama folder (peer/peer.hpp):
#   llama-peer/llama_peer            the CLI (its RUNPATH names the build machine's DIR)
#   llama-peer/llama_peer.sh         runs it with LD_LIBRARY_PATH=llama-peer/linux-x64
#   llama-peer/linux-x64/            libllama, libggml, libggml-base, every libggml-cpu-*.so
#   llama-peer/linux-x64-vulkan/     libggml-vulkan.so (needs libvulkan.so.1 on the machine)
#   llama-peer/peers.env             node-llama-cpp version and llama.cpp commit
# The CPU flavour's libllama/libggml are the ones llama_peer links; both flavours of the
# package ship the same libggml-base.so (checked here), which is all libggml-vulkan.so needs.
# The packed llama_peer.sh is run once at the end (abi-check) from a scratch extraction.
#
# On the GPU machine:
#   tar -xJf OUT.tar.xz -C /tmp && /tmp/llama-peer/llama_peer.sh bench MODEL --gpu
set -euo pipefail
die() { echo "pack_gpu_peer.sh: error: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || { echo "usage: $0 BUILD_DIR OUT.tar.xz" >&2; exit 2; }
build=$(cd "$1" && pwd) || die "no build folder '$1'"
out=$2
peer="$build/peer/llama_peer"
[[ -x "$peer" ]] || die "$peer is missing: configure with -DQVK_PEERS_DIR=DIR and build the target llama_peer"
peers=$(sed -n 's/^QVK_PEERS_DIR:PATH=//p' "$build/CMakeCache.txt")
[[ -n "$peers" && -d "$peers/linux-x64" && -f "$peers/linux-x64-vulkan/libggml-vulkan.so" ]] ||
  die "QVK_PEERS_DIR of $build ('$peers') lacks linux-x64 or linux-x64-vulkan/libggml-vulkan.so"
cmp -s "$peers/linux-x64/libggml-base.so" "$peers/linux-x64-vulkan/libggml-base.so" ||
  die "the two flavours' libggml-base.so differ: the Vulkan backend would not fit the CPU libraries"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dst="$stage/llama-peer"
mkdir -p "$dst/linux-x64" "$dst/linux-x64-vulkan"
cp "$peer" "$dst/llama_peer"
# The libraries llama_peer needs by SONAME (readelf), then the CPU variants it loads at run time.
for so in $(readelf -d "$peer" | sed -n 's/.*(NEEDED).*\[\(lib\(llama\|ggml\)[^]]*\)\].*/\1/p'); do
  cp -L "$peers/linux-x64/$so" "$dst/linux-x64/$so"
done
cp "$peers"/linux-x64/libggml-cpu-*.so "$dst/linux-x64/"
cp "$peers/linux-x64-vulkan/libggml-vulkan.so" "$dst/linux-x64-vulkan/"
cp "$peers/peers.env" "$dst/peers.env"
cat >"$dst/llama_peer.sh" <<'EOF'
#!/bin/sh
# llama_peer with the libraries of this folder (LD_LIBRARY_PATH is searched before its RUNPATH).
here=$(cd "$(dirname "$0")" && pwd)
LD_LIBRARY_PATH="$here/linux-x64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/llama_peer" "$@"
EOF
chmod +x "$dst/llama_peer.sh"

mkdir -p "$(dirname "$out")"
tar -C "$stage" -cf - llama-peer | xz -6 -T2 >"$out.partial"
mv "$out.partial" "$out"

# Check what was written: unpack elsewhere and let the packed copy load its own libraries.
check="$stage/check"
mkdir -p "$check"
tar -xJf "$out" -C "$check"
"$check/llama-peer/llama_peer.sh" abi-check >/dev/null || die "the packed llama_peer does not run (abi-check failed)"
loaded=$(LD_DEBUG=libs "$check/llama-peer/llama_peer.sh" abi-check 2>&1 | sed -n 's/.*calling init: \(.*libllama[^ ]*\)$/\1/p' | head -n 1)
[[ "$loaded" == "$check/llama-peer/linux-x64/"* ]] || die "the packed llama_peer loaded libllama from '$loaded', not from the pack"

echo "pack_gpu_peer.sh: wrote $out ($(du -k "$out" | cut -f1) KiB; unpacked $(du -sk "$dst" | cut -f1) KiB)"
echo "  on the GPU machine: tar -xJf $out -C /tmp && /tmp/llama-peer/llama_peer.sh bench MODEL --gpu"
