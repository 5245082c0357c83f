#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Structured netlink fuzzing of kind "meta" (fuzz.py, one python3 process per
# round): random RTM_NEWLINK/SETLINK/DELLINK/GETLINK requests built from the
# UAPI, with traffic, program loads and closes and netns churn in between,
# and after every request the invariants (pairs consistent, the attributes
# reported are meta's and never the retired program attributes 11-14, a
# refused request changed nothing); at the end of a round no program the
# round loaded is left. Two rounds, with an rmmod and
# insmod of meta between them, then: no meta device in any netns, no netns
# left, and meta unloads. The runner fails on any kernel splat or kmemleak
# report.
#
# FUZZ_REQUESTS (default 3000) and FUZZ_SECONDS (default 90) bound the two
# rounds together (each gets half), whichever comes first; FUZZ_SEED is the
# seed of the first round (the second uses FUZZ_SEED + 1): fixed in make
# check, "random" draws one. A failure prints the seed, the request number
# and its bytes, the 12 steps before it (FUZZ_DEBUG_GREP=HEX: also every
# earlier request or traffic frame whose bytes contain HEX, e.g. a name's), and the
# command that replays it ("fuzz.py --seed S --replay-to N --netns ...",
# named netns to create first; a replay under other timing can take another
# path). A long run (raise "timeout" in settings beyond 600 s first):
#
#	FUZZ_SECONDS=600 FUZZ_REQUESTS=1000000 make check TESTS=fuzz.sh

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_root
require_cmd ip python3 insmod rmmod

FUZZ_REQUESTS=${FUZZ_REQUESTS:-3000}
FUZZ_SECONDS=${FUZZ_SECONDS:-90}
# The suite's verdict must not depend on a draw: make check fuzzes from a
# fixed seed; "make fuzz" draws a new one for every run (FUZZ_SEED=random).
FUZZ_SEED=${FUZZ_SEED:-3297158211}
[ "$FUZZ_SEED" = random ] && FUZZ_SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')

netns_before=$(netns_inodes)
named_netns_before=$(ip netns list | awk '{ print $1 }' | sort | xargs)

load_meta || meta_exit
setup_ns FZA FZB || meta_exit
# udevd would give an L2 end moved into this namespace a MAC of its own a
# moment later, between two of the oracle's observations (run_guest.sh stops
# it; Documentation/meta.rst).
check_eq "systemd-udevd processes" "$(pgrep -xc systemd-udevd)" 0

# round N SEED: one run of fuzz.py over the initial netns, $FZA and $FZB (and
# the namespaces it makes itself); its summary goes to the log.
round() {
	log "round $1: seed $2, up to $((FUZZ_REQUESTS / 2)) requests or $((FUZZ_SECONDS / 2)) s"
	META_REPO=$META_REPO python3 "$META_TEST_DIR/fuzz.py" --seed "$2" \
		--requests $((FUZZ_REQUESTS / 2)) --duration $((FUZZ_SECONDS / 2)) \
		--netns "$FZA" --netns "$FZB"
	check_err $? "fuzz round $1 (seed $2): no invariant broke"
}

round 1 "$FUZZ_SEED"
check_eq "meta devices in any netns after round 1" "$(meta_everywhere)" 0
unload_meta
load_meta || meta_exit
round 2 $((FUZZ_SEED + 1))

check_eq "meta devices in any netns after round 2" "$(meta_everywhere)" 0
check "delete the named netns" cleanup_ns "$FZA" "$FZB"
check_eq "named netns (as at the start)" "$(ip netns list | awk '{ print $1 }' | sort | xargs)" \
	"$named_netns_before"
until_true 60 no_new_netns "$netns_before"
check_eq "netns of processes not there at the start" \
	"$(comm -13 <(echo "$netns_before") <(netns_inodes) | xargs)" ""
unload_meta
check_fail "$([ -e /sys/module/meta ]; echo $?)" "/sys/module/meta is gone"
log "figures: $SECONDS s for two rounds (seeds $FUZZ_SEED, $((FUZZ_SEED + 1)))"
meta_exit
