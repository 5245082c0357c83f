#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare and build the patched kernel for meta.
#
#   scripts/kernel.sh [build] [FLAVOUR]   unpack, apply rust/*.patch, configure, build
#   scripts/kernel.sh kdir [FLAVOUR]      print the build tree's path
#   scripts/kernel.sh export [FLAVOUR]    write the tree's commits back to rust/*.patch
#
# FLAVOUR is "test" (default: the debug set of scripts/config/debug.config on
# top of scripts/config/meta.config) or "bench" (meta.config only).
#
# The tree lives in $META_CACHE/linux-<version>-<flavour> (default
# ~/.cache/meta). It is a git repository: commit "pristine" holds Debian's
# source, and branch "meta" holds one commit per patch of rust/. The series is
# turned into commits in a scratch index, so the working tree is only touched
# where the result differs from what is checked out: a change to one patch
# rebuilds only what depends on the files it changes. A stamp records the
# source version, the series commit and the config hash; a mismatch in any of
# them reconfigures and rebuilds, so a stale tree is never used.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=${1:-build}
flavour=${2:-${META_FLAVOUR:-test}}
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || { say "missing $tarball: run scripts/setup.sh"; exit 1; }
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
kdir=$META_CACHE/linux-${pkgver%%-*}-$flavour

case $flavour in
test)  frags=("$META_ROOT/scripts/config/meta.config" "$META_ROOT/scripts/config/debug.config") ;;
bench) frags=("$META_ROOT/scripts/config/meta.config") ;;
*) say "unknown flavour $flavour (test or bench)"; exit 2 ;;
esac

if [ "$cmd" = kdir ]; then
	echo "$kdir"
	exit 0
fi

# No automatic gc: after the commit of the whole tree git would start one in
# the background, which holds HEAD.lock while the series is checked out (seen
# on a fresh machine: "cannot lock ref 'HEAD'"), or is killed and leaves it.
g() { git -c gc.auto=0 -c maintenance.auto=false -C "$kdir" "$@"; }

unpack() {
	local tmp=$kdir.unpack
	# (runs under "step", where set -e does not apply: chain with &&)
	rm -rf "$tmp" && mkdir -p "$tmp" &&
	tar -C "$tmp" --strip-components=1 -xf "$tarball" &&
	git -C "$tmp" init -q -b meta &&
	git -C "$tmp" config gc.auto 0 &&
	git -C "$tmp" config maintenance.auto false &&
	git -C "$tmp" add -A -f . &&
	GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z \
		git -C "$tmp" -c user.name=meta -c user.email=meta@localhost \
		commit -q -m "Debian linux-source-6.12 $pkgver" &&
	git -C "$tmp" tag pristine &&
	mv "$tmp" "$kdir"
}

# Turn rust/*.patch into a chain of commits on top of "pristine" without
# touching the working tree; print the last commit.
series_commit() {
	local idx tmp parent p
	tmp=$(mktemp -d)
	idx=$tmp/index
	parent=$(g rev-parse pristine)
	GIT_INDEX_FILE=$idx g read-tree "$parent"
	for p in "$META_ROOT"/rust/*.patch; do
		[ -e "$p" ] || continue
		g mailinfo "$tmp/msg" "$tmp/diff" <"$p" >"$tmp/info"
		if ! GIT_INDEX_FILE=$idx g apply --cached "$tmp/diff" 2>"$tmp/err"; then
			say "patch $(basename "$p") does not apply:"; cat "$tmp/err" >&2
			rm -rf "$tmp"; return 1
		fi
		local subject author email date tree
		subject=$(sed -n 's/^Subject: //p' "$tmp/info")
		author=$(sed -n 's/^Author: //p' "$tmp/info")
		email=$(sed -n 's/^Email: //p' "$tmp/info")
		date=$(sed -n 's/^Date: //p' "$tmp/info")
		tree=$(GIT_INDEX_FILE=$idx g write-tree)
		parent=$( { echo "$subject"; echo; cat "$tmp/msg"; } |
			GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email GIT_AUTHOR_DATE=$date \
			GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email GIT_COMMITTER_DATE=$date \
			g commit-tree "$tree" -p "$parent")
	done
	rm -rf "$tmp"
	echo "$parent"
}

if [ "$cmd" = export ]; then
	# Debian's tree ignores everything at the top (.gitignore "/*"): a new
	# file that was not added with "git add -f" would be missing from the
	# series while the build in this tree still finds it.
	stray=$(g status --porcelain --ignored rust/kernel rust/helpers |
		sed -n 's/^\(??\|!!\) //p' | grep -E '\.(rs|c|h)$' | grep -v generated || true)
	if [ -n "$stray" ]; then
		say "source files in the tree that no commit has (git add -f them):"
		echo "$stray" >&2
		exit 1
	fi
	rm -f "$META_ROOT"/rust/*.patch
	# A fixed abbreviation: git scales its default with the number of objects,
	# which would change every index line from one tree to another.
	g -c core.abbrev=9 format-patch -q --zero-commit --no-signature -o "$META_ROOT/rust" pristine..HEAD
	say "exported $(ls "$META_ROOT"/rust/*.patch | wc -l) patches to rust/"
	exit 0
fi
[ "$cmd" = build ] || { say "unknown command $cmd"; exit 2; }

[ -d "$kdir/.git" ] || step "unpack $tarball" "$META_LOGDIR/unpack.log" unpack

if ! g diff --quiet HEAD; then
	say "$kdir has uncommitted changes: commit them and run '$0 export', or 'git -C $kdir reset --hard'"
	exit 1
fi
want=$(series_commit)
if [ "$(g rev-parse HEAD)" != "$want" ]; then
	say "applying the series (rust/*.patch) at $want"
	g checkout -q -B meta "$want"
fi

cfghash=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
key="$pkgver $want $cfghash"
if [ -f "$kdir/arch/x86/boot/bzImage" ] && [ "$(cat "$kdir/.meta-key" 2>/dev/null)" = "$key" ]; then
	say "kernel up to date: $kdir ($flavour)"
	exit 0
fi
rm -f "$kdir/.meta-key"

kmake() { make -C "$kdir" -j"$(nproc)" "${KMAKE_VARS[@]}" "$@"; }

configure() {
	cat "${frags[@]}" >"$kdir/.meta-allconfig"
	kmake KCONFIG_ALLCONFIG=.meta-allconfig allnoconfig
	# Every option the fragments ask for must have survived Kconfig.
	local bad=0 line
	while read -r line; do
		case $line in
		CONFIG_*=*) grep -qxF "$line" "$kdir/.config" || { echo "config: wanted $line, got: $(grep "^${line%%=*}=" "$kdir/.config" || echo unset)"; bad=1; } ;;
		"# CONFIG_"*" is not set") grep -q "^${line:2:-11}=[ym]" "$kdir/.config" && { echo "config: wanted $line"; bad=1; } ;;
		esac
	done < <(cat "${frags[@]}")
	return $bad
}
if [ "$(cat "$kdir/.meta-cfghash" 2>/dev/null)" != "$cfghash" ] || [ ! -f "$kdir/.config" ]; then
	step "configure ($flavour)" "$META_LOGDIR/config-$flavour.log" configure
	echo "$cfghash" >"$kdir/.meta-cfghash"
fi
step "build kernel ($flavour, $(nproc) jobs)" "$META_LOGDIR/build-$flavour.log" kmake all
echo "$key" >"$kdir/.meta-key"
say "kernel ready: $kdir/arch/x86/boot/bzImage"
