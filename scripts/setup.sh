#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything the meta pipeline needs on Debian 12, idempotently.
# Fast (a few dpkg queries) when everything is present.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BINDGEN_VERSION=0.70.1
VNG_VERSION=1.42

PKGS=(
	linux-source-6.12 rustc-web rust-web-src
	clang-19 lld-19 llvm-19 libclang-19-dev rust-web-clippy rustfmt-web
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod rsync xz-utils python3 python3-matplotlib
	qemu-system-x86 udev busybox-static
	iproute2 ethtool iputils-ping iperf3 sockperf bpftool libbpf-dev jq
	pkg-config zlib1g-dev
	golang-go golang-github-appc-cni-dev containernetworking-plugins
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	step "apt-get update" "$META_LOGDIR/apt-update.log" apt-get update
	step "apt-get install ${missing[*]}" "$META_LOGDIR/apt-install.log" \
		apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
	say "cargo not found: these machines have rustup's toolchain in ~/.cargo/bin (Debian's cargo is too old)"
	exit 1
fi

if ! bindgen --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	step "cargo install bindgen-cli $BINDGEN_VERSION" "$META_LOGDIR/bindgen.log" \
		cargo install bindgen-cli --version "$BINDGEN_VERSION" --locked
fi

if ! vng --version 2>/dev/null | grep -q "$VNG_VERSION"; then
	step "pip install virtme-ng==$VNG_VERSION" "$META_LOGDIR/vng.log" \
		python3 -m pip install --quiet "virtme-ng==$VNG_VERSION"
fi
say "setup: all tools present"
