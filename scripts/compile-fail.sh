#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The compile-fail tests of the Rust abstractions: misuses that the types must
# reject, each a small module built against the kernel tree.
#
#   scripts/compile-fail.sh [CASE.rs...]    (default: every case in rust/compile-fail/)
#
# Each case (rust/compile-fail/*.rs, with the shared driver common.rs) says in
# its "//! expect:" line what building it must give: "ok" (it builds; the
# harness itself works) or an error code such as E0505, which must be the
# only error rustc reports. KUnit doctests cannot be compile_fail in 6.12 (the
# doctest generator builds every example into the kernel), hence these.
# Prints KTAP ("ok N case", "not ok N case: ..."), exits non-zero on a failure.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

src=$META_ROOT/rust/compile-fail
kdir=$("$META_ROOT/scripts/kernel.sh" kdir "${FLAVOUR:-test}")
[ -f "$kdir/rust/kernel.o" ] || [ -f "$kdir/rust/libkernel.rmeta" ] || {
	say "compile-fail: no built kernel in $kdir (make kernel)"
	exit 1
}
if [ $# -gt 0 ]; then
	cases=("$@")
else
	mapfile -t cases < <(cd "$src" && ls -- *.rs | grep -v '^common\.rs$')
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "TAP version 13"
echo "1..${#cases[@]}"
n=0 bad=0
for c in "${cases[@]}"; do
	n=$((n + 1))
	c=$(basename "$c")
	want=$(sed -n 's,^//! expect: *\([A-Za-z0-9]*\).*,\1,p' "$src/$c" | head -n 1)
	d=$work/${c%.rs}
	mkdir -p "$d"
	cp "$src/common.rs" "$d/"
	cp "$src/$c" "$d/compile_fail.rs"
	echo 'obj-m := compile_fail.o' >"$d/Kbuild"
	rc=0
	make -C "$kdir" M="$d" "${KMAKE_VARS[@]}" modules >"$d/build.log" 2>&1 || rc=$?
	errors=$(grep -o '^error\[E[0-9]*\]' "$d/build.log" | sort -u | sed 's/^error\[\(.*\)\]/\1/' | xargs || true)
	other=$(grep -c '^error:' "$d/build.log" || true)
	case $want in
	ok)
		if [ "$rc" = 0 ]; then
			echo "ok $n $c: builds"
		else
			echo "not ok $n $c: does not build"
			sed 's/^/# /' "$d/build.log" | head -n 40
			bad=$((bad + 1))
		fi
		;;
	E*)
		# rustc ends a failed build with "error: aborting due to ..."; any other
		# plain "error:" is an error without a code, which is not the one wanted.
		plain=$(grep '^error:' "$d/build.log" | grep -vc '^error: aborting due to' || true)
		if [ "$rc" != 0 ] && [ "$errors" = "$want" ] && [ "$plain" = 0 ]; then
			echo "ok $n $c: refused with $want"
		else
			echo "not ok $n $c: want only $want, got exit $rc, codes '${errors}', $other plain errors"
			sed 's/^/# /' "$d/build.log" | grep -v '^# make' | head -n 40
			bad=$((bad + 1))
		fi
		;;
	*)
		echo "not ok $n $c: no '//! expect:' line"
		bad=$((bad + 1))
		;;
	esac
done
[ "$bad" = 0 ]
