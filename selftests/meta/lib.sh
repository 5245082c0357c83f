# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for the meta selftests (bash). A test starts with
#
#	. "$(dirname "$(readlink -f "$0")")/lib.sh"
#
# and ends with meta_exit. Every check prints one KTAP diagnostic line,
# "# ok: WHAT" or "# FAIL: WHAT ...", and the test exits with the kselftest
# code: 0 pass (at least one check ran and none failed), 1 fail, 4 skip.
# Namespaces made by setup_ns, commands queued by defer and a meta.ko that
# load_meta inserted are cleaned up by an EXIT trap, also after a failure or a
# timeout (SIGTERM).

ksft_pass=0
ksft_fail=1
ksft_skip=4

# The repository root is two levels above this directory; meta.ko is built
# there by the top-level "make".
META_TEST_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
META_REPO=${META_REPO:-$(cd "$META_TEST_DIR/../.." && pwd)}
META_KO=${META_KO:-$META_REPO/meta/meta.ko}

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

META_CHECKS=0
META_FAILS=0
META_LOADED=0
NS_LIST=()
META_DEFERRED=()

log() { printf '# %s\n' "$*"; }

ok() {
	META_CHECKS=$((META_CHECKS + 1))
	printf '# ok: %s\n' "$*"
}

fail() {
	META_CHECKS=$((META_CHECKS + 1))
	META_FAILS=$((META_FAILS + 1))
	printf '# FAIL: %s\n' "$*"
}

# check_err RC WHAT: a check that passed when RC is 0.
check_err() {
	local rc=$1
	shift
	if [ "$rc" -eq 0 ]; then
		ok "$*"
	else
		fail "$* (rc=$rc)"
	fi
	return "$rc"
}

# check_fail RC WHAT: a check that passed when RC is not 0 (a refusal).
check_fail() {
	local rc=$1
	shift
	if [ "$rc" -ne 0 ]; then
		ok "$*"
		return 0
	fi
	fail "$* (unexpectedly succeeded)"
	return 1
}

# check WHAT CMD...: run CMD; the check passes when it succeeds. On failure
# its output is shown as diagnostics. Returns CMD's status.
check() {
	local what=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$what"
	else
		fail "$what: '$*' exited $rc"
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/#   /'
	fi
	return "$rc"
}

# check_eq WHAT GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1: '$2'"
		return 0
	fi
	fail "$1: got '$2', want '$3'"
	return 1
}

# skip WHY: the whole test is skipped (exit 4), after the cleanup.
skip() {
	printf '# SKIP: %s\n' "$*"
	exit "$ksft_skip"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# defer CMD...: run CMD at exit; the last deferred runs first.
defer() {
	local q
	printf -v q '%q ' "$@"
	META_DEFERRED+=("$q")
}

# setup_ns VAR...: create one netns per VAR with a unique name (VAR in lower
# case plus a random suffix), bring its lo up and store the name in VAR.
setup_ns() {
	local var name
	for var in "$@"; do
		name=$(printf '%s' "$var" | tr '[:upper:]' '[:lower:]')-$(mktemp -u XXXXXX)
		if ! ip netns add "$name"; then
			fail "ip netns add $name"
			return 1
		fi
		NS_LIST+=("$name")
		ip -n "$name" link set lo up
		printf -v "$var" '%s' "$name"
	done
}

# cleanup_ns NS...: delete the namespaces (killing what runs in them).
cleanup_ns() {
	local ns rc=0 i
	for ns in "$@"; do
		[ -n "$ns" ] || continue
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null || rc=1
		for i in "${!NS_LIST[@]}"; do
			[ "${NS_LIST[$i]}" = "$ns" ] && unset 'NS_LIST[i]'
		done
	done
	return "$rc"
}

meta_loaded() {
	grep -q '^meta ' /proc/modules
}

# load_meta: insmod the repository's meta.ko unless meta is loaded already;
# skips the test when it has not been built.
load_meta() {
	if meta_loaded; then
		log "meta is loaded already"
		return 0
	fi
	[ -f "$META_KO" ] || skip "$META_KO is not built (run make at the top level)"
	check "insmod $META_KO" insmod "$META_KO" || return 1
	META_LOADED=1
}

# unload_meta: rmmod meta; a check that it succeeds and the module is gone.
unload_meta() {
	check "rmmod meta" rmmod meta || return 1
	META_LOADED=0
	if meta_loaded; then
		fail "meta is still in /proc/modules after rmmod"
		return 1
	fi
	ok "meta is no longer loaded"
}

# links [NS]: one line "NAME IFINDEX KIND" per link of NS (default: the
# initial netns), KIND being linkinfo.info_kind of "ip -d -j link show", or
# "-" for a link without one. (One ip and one python3: under TCG every
# process start costs about a second.)
links() {
	local nsarg=()
	[ -n "${1:-}" ] && nsarg=(-n "$1")
	ip "${nsarg[@]}" -d -j link show | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    print(l["ifname"], l["ifindex"], l.get("linkinfo", {}).get("info_kind") or "-")'
}

# field DEV COLUMN: from the output of links on stdin, column COLUMN
# (2 ifindex, 3 kind) of DEV.
field() {
	awk -v dev="$1" -v col="$2" '$1 == dev { print $col }'
}

# of_kind KIND: the names of the links of KIND in the output of links on
# stdin, sorted, on one line.
of_kind() {
	awk -v kind="$1" '$3 == kind { print $1 }' | sort | xargs
}

# sysfs_attr NS DEV ATTR: /sys/class/net/DEV/ATTR as seen from NS.
sysfs_attr() {
	ip netns exec "$1" cat "/sys/class/net/$2/$3" 2>/dev/null
}

meta_cleanup() {
	local rc=$? i
	trap - EXIT
	for ((i = ${#META_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${META_DEFERRED[$i]}" >/dev/null 2>&1
	done
	[ ${#NS_LIST[@]} -gt 0 ] && cleanup_ns "${NS_LIST[@]}"
	if [ "$META_LOADED" = 1 ] && meta_loaded; then
		rmmod meta 2>/dev/null
	fi
	exit "$rc"
}
trap meta_cleanup EXIT
trap 'log "interrupted"; exit $ksft_fail' TERM INT

# meta_exit: end the test with its kselftest exit code.
meta_exit() {
	if [ "$META_FAILS" -gt 0 ]; then
		log "$META_FAILS of $META_CHECKS checks failed"
		exit "$ksft_fail"
	fi
	if [ "$META_CHECKS" -eq 0 ]; then
		log "FAIL: no check ran"
		exit "$ksft_fail"
	fi
	log "all $META_CHECKS checks passed"
	exit "$ksft_pass"
}
