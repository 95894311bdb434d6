#!/usr/bin/env bash
# scripts/fetch_peers.sh DIR — prepare the llama.cpp peer that qvk compares itself against.
#
# DIR receives (nothing else is touched):
#   DIR/linux-x64/         prebuilt CPU libllama / libggml / libggml-base / libggml-cpu-*.so
#   DIR/linux-x64-vulkan/  the same built with the Vulkan backend (libggml-vulkan.so)
#   DIR/llama.cpp/         the llama.cpp source those libraries were built from (include/,
#                          ggml/include, src/, gguf-py/), cloned from the git bundle that the
#                          node-llama-cpp package ships
#   DIR/peers.env          what was fetched (versions, llama.cpp commit), for logs and CMake
#   DIR/.fetch_peers.stamp written last; a re-run with the same pins does nothing
#
# Why npm: node-llama-cpp pins one llama.cpp commit and ships both its full source and
# libraries prebuilt from it, so the headers we compile against and the libraries we load
# come from the same commit (peer/llama_peer.cpp still checks this at start-up).
#
# The tarballs are cached in ${XDG_CACHE_HOME:-~/.cache}/qvk-peers (override with
# QVK_PEERS_CACHE), so re-runs and re-preparations of another DIR work offline. Every
# tarball is checked against the sha512 that npm publishes (`npm view PKG@VER dist.integrity`).
set -euo pipefail

# ---- the pins: change versions here and only here -----------------------------------------
readonly NLC_VERSION="3.22.1"
# package spec | tarball name written by `npm pack` | sha512 (hex) of that tarball
readonly PACKAGES=(
  "node-llama-cpp@${NLC_VERSION}|node-llama-cpp-${NLC_VERSION}.tgz|6e5b488a9b9699cd76dc7eed30880318a4ac4ab866865418795502e3c5d38d55bb5c624988927209d95333343f2e25a83e4183a5c2f816f883a60c3ba9f4e20f"
  "@node-llama-cpp/linux-x64@${NLC_VERSION}|node-llama-cpp-linux-x64-${NLC_VERSION}.tgz|e6e0820cda9608d7da026f1a47f533c5ba381c1a4a80d17dd640873dea4a86032057638099ab6879f6ce94c8a1b2a0a21f639ddf913f7941d00856df44126e3a"
  "@node-llama-cpp/linux-x64-vulkan@${NLC_VERSION}|node-llama-cpp-linux-x64-vulkan-${NLC_VERSION}.tgz|6c1c6a53e24e701bb59dbe508f6cdc31c8be241c93d44f046a31ef62877235f5483e41215e1fbf1ccc11d7f053ef13f4f182b4864b3e90cf1f825111d0ff0912"
)
# ------------------------------------------------------------------------------------------

die() { echo "fetch_peers.sh: error: $*" >&2; exit 1; }
log() { echo "fetch_peers.sh: $*" >&2; }

if [[ $# -ne 1 || "$1" == -* ]]; then
  echo "usage: $0 DIR   (prepares DIR/linux-x64, DIR/linux-x64-vulkan, DIR/llama.cpp)" >&2
  exit 2
fi
mkdir -p "$1" || die "cannot create '$1'"
DIR="$(cd "$1" && pwd)"
CACHE="${QVK_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qvk-peers}"
STAMP="$DIR/.fetch_peers.stamp"

stamp_text() {
  local p
  for p in "${PACKAGES[@]}"; do echo "$p"; done
  echo "layout=2"  # bump when the layout of DIR changes
}

if [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$(stamp_text)" ]] &&
   [[ -d "$DIR/llama.cpp/include" && -d "$DIR/linux-x64" && -d "$DIR/linux-x64-vulkan" ]]; then
  log "$DIR is up to date (node-llama-cpp $NLC_VERSION); nothing to do"
  exit 0
fi

command -v tar >/dev/null || die "tar not found"
command -v git >/dev/null || die "git not found (needed to clone llama.cpp from the bundle)"
command -v sha512sum >/dev/null || die "sha512sum not found"
mkdir -p "$CACHE" || die "cannot create cache folder '$CACHE'"

# fetch SPEC TARBALL SHA512: puts a verified TARBALL into $CACHE (npm only when missing).
fetch() {
  local spec="$1" tgz="$2" sha="$3" got
  if [[ -f "$CACHE/$tgz" ]] && [[ "$(sha512sum "$CACHE/$tgz" | cut -d' ' -f1)" == "$sha" ]]; then
    log "cached: $CACHE/$tgz"
    return
  fi
  command -v npm >/dev/null ||
    die "npm not found and $tgz is not in the cache $CACHE; install npm (Debian: apt-get install npm) or copy the tarball there"
  log "npm pack $spec"
  local tmp
  tmp="$(mktemp -d "$CACHE/.pack.XXXXXX")"
  if ! (cd "$tmp" && npm pack "$spec" >npm-pack.log 2>&1); then
    grep -v 'Unknown user config' "$tmp/npm-pack.log" | grep -i 'error' | head -n 6 | sed 's/^/  npm: /' >&2 || true
    rm -rf "$tmp"
    die "could not download $spec with npm (registry: $(npm config get registry 2>/dev/null || echo '?')).
  Is the registry reachable? Offline, copy $tgz (from \`npm pack $spec\` elsewhere) into $CACHE and re-run."
  fi
  [[ -f "$tmp/$tgz" ]] || { rm -rf "$tmp"; die "npm pack $spec did not write $tgz"; }
  got="$(sha512sum "$tmp/$tgz" | cut -d' ' -f1)"
  if [[ "$got" != "$sha" ]]; then
    rm -rf "$tmp"
    die "$tgz from npm has sha512 $got, expected the pinned $sha"
  fi
  mv "$tmp/$tgz" "$CACHE/$tgz"
  rm -rf "$tmp"
}

for p in "${PACKAGES[@]}"; do
  IFS='|' read -r spec tgz sha <<<"$p"
  fetch "$spec" "$tgz" "$sha"
done

# Start from a clean slate for the parts this script owns; the stamp is written last, so an
# interrupted run is redone in full next time.
rm -f "$STAMP"
rm -rf "$DIR/linux-x64" "$DIR/linux-x64-vulkan" "$DIR/llama.cpp" "$DIR/.extract"
mkdir -p "$DIR/.extract"

# extract_bins TARBALL FLAVOUR: package/bins/FLAVOUR/* → DIR/FLAVOUR/ (flat).
extract_bins() {
  local tgz="$1" flavour="$2" lib
  mkdir -p "$DIR/.extract/$flavour"
  tar -xzf "$CACHE/$tgz" -C "$DIR/.extract/$flavour" "package/bins/$flavour" ||
    die "$tgz has no package/bins/$flavour"
  mv "$DIR/.extract/$flavour/package/bins/$flavour" "$DIR/$flavour"
  # The libraries carry the llama.cpp release in their file names (libllama.v0.5.0.so,
  # libggml.vulkan.v0.5.0.so); unversioned links keep the paths CMake uses simple. The
  # SONAME recorded at link time is still the versioned name, which is what is loaded.
  for lib in llama ggml; do
    local real
    real="$(cd "$DIR/$flavour" && ls lib${lib}.*v*.so 2>/dev/null | head -n 1)"
    [[ -n "$real" ]] || die "$tgz: no lib${lib}.*.so in bins/$flavour"
    ln -sf "$real" "$DIR/$flavour/lib${lib}.so"
  done
  [[ -f "$DIR/$flavour/libggml-base.so" ]] || die "$tgz: no libggml-base.so in bins/$flavour"
}

IFS='|' read -r _ main_tgz _ <<<"${PACKAGES[0]}"
IFS='|' read -r _ cpu_tgz _ <<<"${PACKAGES[1]}"
IFS='|' read -r _ vk_tgz _ <<<"${PACKAGES[2]}"
extract_bins "$cpu_tgz" linux-x64
extract_bins "$vk_tgz" linux-x64-vulkan

log "cloning llama.cpp from the bundle in $main_tgz"
tar -xzf "$CACHE/$main_tgz" -C "$DIR/.extract" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json ||
  die "$main_tgz has no package/llama/gitRelease.bundle"
git -c advice.detachedHead=false clone --quiet "$DIR/.extract/package/llama/gitRelease.bundle" "$DIR/llama.cpp" ||
  die "git clone of the llama.cpp bundle failed"
for need in include/llama.h ggml/include/ggml.h src gguf-py/gguf/quants.py; do
  [[ -e "$DIR/llama.cpp/$need" ]] || die "llama.cpp clone lacks $need"
done
commit="$(git -C "$DIR/llama.cpp" rev-parse HEAD)"
tag="$(sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$DIR/.extract/package/llama/llama.cpp.info.json")"
rm -rf "$DIR/.extract"

cat >"$DIR/peers.env" <<EOF
# Written by scripts/fetch_peers.sh; describes this folder.
NODE_LLAMA_CPP_VERSION=$NLC_VERSION
LLAMA_CPP_RELEASE=$tag
LLAMA_CPP_COMMIT=$commit
EOF
stamp_text >"$STAMP"
log "prepared $DIR: node-llama-cpp $NLC_VERSION, llama.cpp $tag ($commit)"
