#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest part of the main demo: run inside the VM after "insmod meta.ko"
# (scripts/vm.sh run calls it from scripts/vm-demo.sh), as root.
#
#   1. a pair with bare "ip link add type meta": both ends, then delete it
#   2. a pair with metactl, the peer in netns "demo"
#   3. ping across it
#   4. attach drop.bpf.o for the primary: the ping fails, ethtool -S counts
#      xmit_drop_prog
#   5. detach: metactl show, the ping works again
#   6. delete everything it created
#
# Devices that existed before (vm-demo.sh's own pair) are left alone.
# Exits 0 when every step did what it should, 1 otherwise.
#
# Environment: METACTL (default tools/metactl/target/release/metactl),
# BPF_DIR (default samples/bpf; built into /tmp if drop.bpf.o is missing).

set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
METACTL=${METACTL:-$ROOT/tools/metactl/target/release/metactl}
BPF_DIR=${BPF_DIR:-$ROOT/samples/bpf}

NS=demo
HOST_DEV=demo-host
POD_DEV=demo-pod
HOST_ADDR=10.99.0.1
POD_ADDR=10.99.0.2

NSTEPS=6
rc=0
BARE_DEVS=

step() { echo "# demo_guest: [$1/$NSTEPS] $2"; }
info() { echo "# demo_guest: $*"; }
fail() {
	echo "# demo_guest: FAIL: $*"
	rc=1
}

# run CMD...: show a command and its exit code if not 0.
run() {
	echo "\$ $*"
	"$@"
	local r=$?
	[ $r -eq 0 ] || echo "# '$*' exited $r"
	return $r
}

meta_devs() {
	ip -o link show type meta | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
}

# counter NAME: a counter of "ethtool -S" on the primary.
counter() {
	ethtool -S "$HOST_DEV" 2>/dev/null | awk -v n="$1:" '$1 == n { print $2 }'
}

cleanup() {
	local d
	for d in $BARE_DEVS; do
		ip link del "$d" 2>/dev/null
	done
	ip link del "$HOST_DEV" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	return 0
}

finish() {
	cleanup
	info "$([ $rc -eq 0 ] && echo ok || echo FAILED)"
	exit $rc
}

preflight() {
	[ "$(id -u)" = 0 ] || { fail "must run as root"; finish; }
	[ -d /sys/module/meta ] || { fail "the meta module is not loaded"; finish; }
	if [ ! -x "$METACTL" ]; then
		fail "no metactl at $METACTL (cargo build --release in tools/metactl)"
		finish
	fi
	if [ ! -f "$BPF_DIR/drop.bpf.o" ]; then
		local out
		out=$(mktemp -d /tmp/meta-bpf.XXXXXX)
		info "no $BPF_DIR/drop.bpf.o: building the samples into $out"
		if ! make -s -C "$ROOT/samples/bpf" O="$out"; then
			fail "building the BPF samples failed"
			finish
		fi
		BPF_DIR=$out
	fi
	# Leftovers of an earlier run.
	cleanup
}

bare_pair() {
	local before after d
	step 1 "bare 'ip link add type meta' (no attributes: default names, L3, policy pass)"
	before=$(meta_devs)
	run ip link add type meta || { fail "ip link add type meta"; return; }
	after=$(meta_devs)
	BARE_DEVS=$(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')
	info "new devices: $BARE_DEVS"
	[ "$(echo "$BARE_DEVS" | wc -w)" = 2 ] || fail "expected 2 new devices, got '$BARE_DEVS'"
	for d in $BARE_DEVS; do
		run ip -d link show dev "$d"
		# iproute2 6.1 has no meta plugin: metactl shows the attributes.
		run "$METACTL" show "$d"
	done
	d=${BARE_DEVS%% *}
	info "deleting one end ($d) deletes both"
	run ip link del "$d" || fail "ip link del $d"
	for d in $BARE_DEVS; do
		[ ! -e "/sys/class/net/$d" ] || fail "$d still exists"
	done
	BARE_DEVS=
}

metactl_pair() {
	step 2 "metactl: $HOST_DEV (primary, host netns) <-> $POD_DEV (peer, netns $NS)"
	run ip netns add "$NS" || { fail "ip netns add $NS"; return 1; }
	run "$METACTL" add "$HOST_DEV" --peer-name "$POD_DEV" --peer-netns "$NS" ||
		{ fail "metactl add"; return 1; }
	if ! { run ip addr add "$HOST_ADDR/24" dev "$HOST_DEV" &&
		run ip link set "$HOST_DEV" up &&
		run ip -n "$NS" addr add "$POD_ADDR/24" dev "$POD_DEV" &&
		run ip -n "$NS" link set "$POD_DEV" up; }; then
		fail "addresses"
		return 1
	fi
	run ip -d link show dev "$HOST_DEV"
	run ip -n "$NS" -d link show dev "$POD_DEV"
	run "$METACTL" show "$HOST_DEV"
}

ping_ok() {
	local p0
	step 3 "ping $POD_ADDR (netns $NS) from the host: must work"
	p0=$(counter xmit_pass)
	run ping -c 3 -i 0.2 -W 2 "$POD_ADDR" || fail "ping across the pair"
	info "$HOST_DEV xmit_pass: $p0 -> $(counter xmit_pass)"
}

drop_prog() {
	local d0 d1
	step 4 "attach drop.bpf.o for the primary: the host's packets are dropped"
	run "$METACTL" attach "$HOST_DEV" --primary --obj "$BPF_DIR/drop.bpf.o" --sec tc ||
		{ fail "metactl attach"; return 1; }
	run "$METACTL" show "$HOST_DEV"
	d0=$(counter xmit_drop_prog)
	if run ping -c 3 -i 0.2 -W 1 "$POD_ADDR"; then
		fail "ping worked with drop.bpf.o attached"
	else
		info "ping failed, as it should (sendmsg's ENOBUFS: a drop returns NET_XMIT_DROP to the sender, as in netkit)"
	fi
	d1=$(counter xmit_drop_prog)
	run ethtool -S "$HOST_DEV"
	info "$HOST_DEV xmit_drop_prog: $d0 -> $d1"
	[ "$((d1 - d0))" -ge 3 ] || fail "xmit_drop_prog did not count the 3 dropped pings"
}

detach() {
	step 5 "detach: back to the policy (pass)"
	run "$METACTL" detach "$HOST_DEV" --primary || fail "metactl detach"
	run "$METACTL" show "$HOST_DEV"
	run ping -c 3 -i 0.2 -W 2 "$POD_ADDR" || fail "ping after detach"
}

delete_all() {
	step 6 "delete everything"
	run ip link del "$HOST_DEV" || fail "ip link del $HOST_DEV"
	run ip netns del "$NS" || fail "ip netns del $NS"
	[ ! -e "/sys/class/net/$HOST_DEV" ] || fail "$HOST_DEV still exists"
	run ip -d link show type meta
}

preflight
bare_pair
if metactl_pair; then
	ping_ok
	drop_prog && detach
fi
delete_all
finish
