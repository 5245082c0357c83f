#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replacing the program of an end while traffic flows loses no packet to a
# torn state: a flood of pings crosses the pair while the primary's program
# is replaced 40 times by another that passes too. Every ping is answered,
# nothing is dropped, and the kernel log stays clean (the runner checks).

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip ping bpftool python3
meta_setup replace POD
pin_samples pass next
check "pair" meta_pair "$POD" || meta_exit
check "attach pass" metactl attach mh --primary --pinned "$P/pass"

out=$(mktemp)
defer rm -f "$out"
ping -i 0.01 -c 1000 -W 2 -q 10.10.0.2 >"$out" 2>&1 &
pid=$!
n=0
while kill -0 "$pid" 2>/dev/null && [ $n -lt 40 ]; do
	prog=pass
	[ $((n % 2)) = 0 ] && prog=next
	metactl attach mh --primary --pinned "$P/$prog" || fail "replace $n"
	n=$((n + 1))
done
wait "$pid"
rc=$?
[ $n -ge 10 ] && ok "$n replacements during the flood" || fail "only $n replacements during the flood"
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$out")
check_eq "ping exit status" "$rc" 0
check_eq "packet loss (%)" "$loss" 0
drops=0
for c in xmit_drop_prog xmit_drop_policy xmit_drop_verdict xmit_drop_no_peer xmit_drop_backlog; do
	drops=$((drops + $(counter mh $c) + $(counter mp $c "$POD")))
done
check_eq "drops on either end" "$drops" 0
passed=$(counter mh xmit_pass)
[ "$passed" -ge 1000 ] && ok "$passed packets passed by the primary" || fail "$passed packets passed"

log "rmmod while the pair exists and traffic flows"
ping -i 0.01 -c 300 -W 1 -q 10.10.0.2 >/dev/null 2>&1 &
pid=$!
sleep 1
check "rmmod meta with a pair and a ping flood" rmmod meta
META_LOADED=0
wait "$pid"
check_fail "$(ip link show mh >/dev/null 2>&1; echo $?)" "the primary is gone"
check_fail "$(ip -n "$POD" link show mp >/dev/null 2>&1; echo $?)" "the peer is gone"
check_fail "$(meta_loaded; echo $?)" "meta is unloaded"
meta_exit
