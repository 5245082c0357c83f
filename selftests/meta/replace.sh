#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replacing the program of an end while traffic flows loses no packet to a
# torn state: the primary has policy drop, so a moment without a program
# would drop (xmit_drop_policy). A ping flood is started, the primary's
# program is replaced 40 times by another that passes too, then the flood is
# stopped: packets crossed during the replacements, every reply but the one
# in flight when ping was stopped came back, nothing was dropped, and the
# kernel log stays clean (the runner checks). (rmmod while a pair exists and
# traffic flows is in pair.sh, in the serial phase.)

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip ping bpftool python3
meta_setup replace POD
pin_samples pass next
check "pair with policy drop on the primary" meta_pair "$POD" --policy drop || meta_exit
check "attach pass" metactl attach mh --primary --pinned "$P/pass"

passed_over() { [ "$(counter mh xmit_pass)" -gt "$1" ]; }

step "40 replacements under a ping flood"
out=$(mktemp)
defer rm -f "$out"
ping -i 0.01 -c 1000000 -W 2 -q 10.10.0.2 >"$out" 2>&1 &
pid=$!
defer kill "$pid"
p0=$(counter mh xmit_pass)
wait_for 60 "the flood crosses the pair" passed_over $((p0 + 20))
p1=$(counter mh xmit_pass)
n=0
for n in $(seq 40); do
	prog=pass
	[ $((n % 2)) = 0 ] && prog=next
	metactl attach mh --primary --pinned "$P/$prog" || fail "replace $n"
done
p2=$(counter mh xmit_pass)
running=0
kill -0 "$pid" 2>/dev/null && running=1
check_eq "ping still floods after the $n replacements" "$running" 1
[ $((p2 - p1)) -gt 0 ] && ok "$((p2 - p1)) packets crossed during the $n replacements" ||
	fail "no packet crossed during the replacements"
kill -INT "$pid"
wait "$pid"
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$out")
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$out")
[ "${sent:-0}" -gt 0 ] && [ "${received:-0}" -ge $((sent - 1)) ] &&
	ok "ping: $received of $sent answered (at most the one in flight lost)" ||
	fail "ping: ${received:-?} of ${sent:-?} answered: $(tail -n 2 "$out")"
drops=0
for c in xmit_drop_prog xmit_drop_policy xmit_drop_verdict xmit_drop_no_peer xmit_drop_backlog; do
	drops=$((drops + $(counter mh $c) + $(counter mp $c "$POD")))
done
check_eq "drops on either end (policy drop on the primary)" "$drops" 0

meta_exit
