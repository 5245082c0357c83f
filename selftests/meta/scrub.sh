#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scrubbing across namespaces, as a program on the pod's end sees it: with
# the default scrub, mark and priority set in the pod are cleared when the
# packet switches to the host's namespace; with scrub "none" they arrive.
# The pod sets them with ping: -m (SO_MARK) and -Q 0x10 (IP_TOS, which sets
# the socket priority to 6, TC_PRIO_INTERACTIVE).

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd ip ping bpftool python3
meta_setup scrub POD

for scrub in default none; do
	log "peer scrub $scrub"
	check "load mark.bpf.o" bpftool prog load "$BPF_DIR/mark.bpf.o" "$P/$scrub" type classifier \
		pinmaps "$P/$scrub-maps" || meta_exit
	check "pair with --peer-scrub $scrub" meta_pair "$POD" --peer-scrub "$scrub" || meta_exit
	check "attach mark.bpf.o to the peer" metactl attach mh --peer --pinned "$P/$scrub"
	check "3 pings from the pod with mark 4660 and TOS 0x10" \
		ip netns exec "$POD" ping -c 3 -i 0.2 -W 5 -q -m 4660 -Q 0x10 10.10.0.1
	m=$P/$scrub-maps/seen
	check_eq "scrub $scrub: packets the program saw" "$(map_value "$m" 3)" 3
	if [ $scrub = default ]; then
		check_eq "scrub default: mark cleared" "$(map_value "$m" 0) $(map_value "$m" 2)" "0 0"
		check_eq "scrub default: priority cleared" "$(map_value "$m" 1) $(map_value "$m" 4)" "0 0"
	else
		check_eq "scrub none: mark kept" "$(map_value "$m" 0) $(map_value "$m" 2)" "4660 3"
		check_eq "scrub none: priority kept" "$(map_value "$m" 1) $(map_value "$m" 4)" "6 3"
	fi
	check "delete the pair" ip link del mh
done
meta_exit
