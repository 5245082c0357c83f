#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM of "scripts/vm.sh run": the main job in a few commands.
#
#	scripts/vm-demo.sh RUNDIR
#
# insmod meta/meta.ko, create a pair with "ip link add type meta", show both
# ends, run samples/demo_guest.sh if the repository has one, delete the pair
# and rmmod. Exits non-zero when a step fails; writes RUNDIR/guest-done and
# RUNDIR/dmesg.txt at the end.

set -u
exec 2>&1 </dev/null
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
rundir=${1:?usage: vm-demo.sh RUNDIR}
rc=0

run() {
	echo "\$ $*"
	"$@"
	local r=$?
	[ $r -eq 0 ] || echo "# '$*' exited $r"
	return $r
}

finish() {
	dmesg >"$rundir/dmesg.txt"
	echo "done" >"$rundir/guest-done"
	echo "# demo: $([ "$rc" -eq 0 ] && echo ok || echo FAILED) (uptime $(cut -d' ' -f1 /proc/uptime)s)"
	exit "$rc"
}

echo "# demo: guest up at uptime $(cut -d' ' -f1 /proc/uptime)s, kernel $(uname -r)"
run insmod "$root/meta/meta.ko" || { rc=1; finish; }
if run ip link add type meta; then
	run ip -d link show type meta || rc=1
	if [ -e "$root/samples/demo_guest.sh" ]; then
		echo "# demo: samples/demo_guest.sh"
		run bash "$root/samples/demo_guest.sh" || rc=1
	else
		echo "# demo: no samples/demo_guest.sh, skipped"
	fi
	# Deleting one end deletes both.
	dev=$(ip -j link show type meta | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifname"])' 2>/dev/null)
	if [ -n "$dev" ]; then
		run ip link del "$dev" || rc=1
	else
		echo "# demo: no device of kind meta left to delete"
		rc=1
	fi
	left=$(ip -j link show type meta | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$left" = 0 ] || { echo "# demo: $left meta devices left after the delete"; rc=1; }
else
	rc=1
fi
run rmmod meta || rc=1
finish
