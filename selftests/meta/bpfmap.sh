#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# map_set_u32, shared by lib.sh (the selftests) and topo.sh (the benchmark's
# topologies, also sourced without lib.sh). Sourced, not run.

# map_set_u32_cmd PINNED KEY VALUE: the bpftool command (without "bpftool",
# as "bpftool batch" reads it) that sets a u32 of a pinned array map.
map_set_u32_cmd() {
	local b=() k=() i
	for i in 0 8 16 24; do
		k+=($((($2 >> i) & 255)))
		b+=($((($3 >> i) & 255)))
	done
	echo "map update pinned $1 key ${k[*]} value ${b[*]}"
}

# map_set_u32 PINNED KEY VALUE: set a u32 of a pinned array map.
map_set_u32() {
	# shellcheck disable=SC2046 # the words of the command
	bpftool $(map_set_u32_cmd "$@")
}
