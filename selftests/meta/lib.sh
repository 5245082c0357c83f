# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for the meta selftests (bash). A test starts with
#
#	. "$(dirname "$(readlink -f "$0")")/lib.sh"
#
# and ends with meta_exit. Every check prints one KTAP diagnostic line,
# "# ok: WHAT" or "# FAIL: WHAT ...", and the test exits with the kselftest
# code: 0 pass (at least one check ran and none failed), 1 fail, 4 skip.
# A missing tool, module or binary is a failure, not a skip: only
# skip_kernel, for a feature this kernel declares it lacks, skips.
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
# shellcheck source-path=SCRIPTDIR source=bpfmap.sh
. "$META_TEST_DIR/bpfmap.sh"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

META_CHECKS=0
META_FAILS=0
# The step the test is in: the WHAT of the last check or section started,
# printed when a timeout interrupts the test.
META_STEP="start"
# Deadlines of wait_for are multiplied by the guest's calibration
# (selftests/run_guest.sh).
META_SCALE=${META_SCALE:-1}
META_LOADED=0
NS_LIST=()
META_DEFERRED=()

log() { printf '# %s\n' "$*"; }

# step WHAT: a named part of a test; a timeout reports the last one.
step() {
	META_STEP=$*
	printf '# step: %s (at %ss)\n' "$*" "$SECONDS"
}

# wait_for SECONDS WHAT CMD...: poll CMD every 0.2 s until it succeeds, for
# at most SECONDS times META_SCALE; a check either way.
wait_for() {
	local limit=$(($1 * META_SCALE * 5)) what=$2 i
	shift 2
	for ((i = 0; i < limit; i++)); do
		if "$@" >/dev/null 2>&1; then
			ok "$what"
			return 0
		fi
		sleep 0.2
	done
	fail "$what: not true after $((limit / 5)) s"
	return 1
}

# until_true SECONDS CMD...: wait_for without a check (a condition that the
# caller checks itself afterwards).
until_true() {
	local limit=$(($1 * META_SCALE * 5)) i
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

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
	META_STEP=$what
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

# missing WHAT: something the test needs is not there: the test fails
# (exit 1), after the cleanup. The pipeline installs and builds everything,
# so in CI this is a defect, never a skip.
missing() {
	fail "missing: $*"
	exit "$ksft_fail"
}

# skip_kernel WHY: the test cannot run on this kernel, for the reason given
# (a feature the kernel lacks); exit 4, counted as skipped, not passed.
skip_kernel() {
	printf '# SKIP: %s\n' "$*"
	exit "$ksft_skip"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || missing "root"
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing "command $c"
	done
}

# defer CMD...: run CMD at exit; the last deferred runs first.
defer() {
	local q
	printf -v q '%q ' "$@"
	META_DEFERRED+=("$q")
}

# ktap_checks LABEL CMD...: run CMD, a program that prints KTAP ("TAP version
# 13", "1..N", "ok K NAME", "not ok K NAME [# ...]", "# " diagnostics before
# a result); every result becomes one check "LABEL: NAME", every other line
# a diagnostic "#   LINE", as it comes. A result "# SKIP" is a failure (a
# client of ours has nothing to skip). Also checks: N results as planned,
# and CMD's exit code 0 exactly when every result passed. Returns 1 when a
# check failed.
ktap_checks() {
	local label=$1 line plan="" n=0 bad=0 rc="" name fails0=$META_FAILS
	shift
	step "$label"
	while IFS= read -r line; do
		case $line in
		"__ktap_rc "*) rc=${line#__ktap_rc } ;;
		"TAP version "*) ;;
		1..*) plan=${line#1..} ;;
		"ok "*)
			n=$((n + 1))
			name=${line#ok * }
			if [[ $name == *" # SKIP"* ]]; then
				bad=$((bad + 1))
				fail "$label: ${name%% # SKIP*}: skipped"
			else
				ok "$label: $name"
			fi
			;;
		"not ok "*)
			n=$((n + 1))
			bad=$((bad + 1))
			fail "$label: ${line#not ok * }"
			;;
		"# "*) printf '#   %s\n' "${line#\# }" ;;
		*) printf '#   %s\n' "$line" ;;
		esac
	done < <("$@" 2>&1 </dev/null; echo "__ktap_rc $?")
	if [ -z "$plan" ]; then
		fail "$label: no KTAP plan (1..N) from '$*' (exit $rc)"
	elif [ "$n" -ne "$plan" ]; then
		fail "$label: $n results, $plan planned (exit $rc)"
	fi
	if { [ "$rc" = 0 ] && [ "$bad" -gt 0 ]; } || { [ "$rc" != 0 ] && [ "$bad" -eq 0 ]; }; then
		fail "$label: exit $rc with $bad failed results"
	fi
	[ "$META_FAILS" -eq "$fails0" ]
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
	[ -f "$META_KO" ] || missing "$META_KO (run make at the top level)"
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
# "-" for a link without one. (One ip and bash: under TCG every process
# start costs a second, a python3 start several.) iproute2 prints every link
# as an object whose first key is "ifindex".
links() {
	local nsarg=() json chunk name idx kind
	[ -n "${1:-}" ] && nsarg=(-n "$1")
	json=$(ip "${nsarg[@]}" -d -j link show) || return
	json=${json//\{\"ifindex\":/$'\n'}
	while read -r chunk; do
		[[ $chunk =~ ^([0-9]+), ]] || continue
		idx=${BASH_REMATCH[1]}
		[[ $chunk =~ \"ifname\":\"([^\"]*)\" ]] || continue
		name=${BASH_REMATCH[1]} kind=-
		[[ $chunk =~ \"info_kind\":\"([^\"]*)\" ]] && kind=${BASH_REMATCH[1]}
		echo "$name $idx $kind"
	done <<<"$json"
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
trap 'log "interrupted in step: $META_STEP"; printf "# step: %s\n" "$META_STEP"; exit $ksft_fail' TERM INT

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

# --- meta-specific helpers --------------------------------------------------

METACTL=${METACTL:-$META_REPO/tools/metactl/target/release/metactl}
BPF_DIR=${BPF_DIR:-$META_REPO/samples/bpf}

require_metactl() {
	[ -x "$METACTL" ] || missing "$METACTL (make tools)"
}

metactl() {
	"$METACTL" "$@"
}

# expect_err WHAT ERRNO MSG CMD...: CMD, a metactl (also under ip netns exec,
# nsenter, setpriv, unshare or a function such as "new" of control.sh), must
# be refused by the kernel with ERRNO (a number): metactl exits 1 (the kernel
# refused) and names the errno on stderr, "metactl: EINVAL (errno 22, Invalid
# argument): MESSAGE". MSG (empty: not checked) must be in its output: the
# extended ack message, or metactl's words. ERRNO "-": metactl fails without
# an errno instead (exit 3: no refusal of the kernel's, e.g. a pin that is not
# a program). For a command other than metactl, see expect_status.
expect_err() {
	local what=$1 errno=$2 msg=$3 out rc name line
	shift 3
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$errno" = - ]; then
		if [ "$rc" -ne 3 ]; then
			fail "$what: exit $rc, want 3 (a failure without errno): $out"
			return 1
		fi
		name="a failure without errno"
	else
		if [ "$rc" -ne 1 ] || [[ "$out" != *"(errno $errno, "* ]]; then
			fail "$what: exit $rc, want 1 (refused) with '(errno $errno, ...)': $out"
			return 1
		fi
		# The errno's name from the first "metactl: NAME (errno N, ..." line
		# (bash: two process starts less per refusal).
		name=
		while IFS= read -r line; do
			[[ $line =~ ^metactl:\ (.*)\ \(errno\ $errno,\  ]] && { name=${BASH_REMATCH[1]}; break; }
		done <<<"$out"
		name="${name:-?} (errno $errno)"
	fi
	if [ -n "$msg" ] && [[ "$out" != *"$msg"* ]]; then
		fail "$what: $name but message '$out', want '$msg'"
		return 1
	fi
	[ -n "$msg" ] && name+=", '$msg'"
	ok "$what: $name"
}

# expect_status WHAT STATUS MSG CMD...: CMD, a command other than metactl (ip),
# must fail with exit status STATUS and print MSG (empty: not checked).
expect_status() {
	local what=$1 status=$2 msg=$3 out rc
	shift 3
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -ne "$status" ]; then
		fail "$what: exit $rc, want $status: $out"
		return 1
	fi
	if [ -n "$msg" ] && [[ "$out" != *"$msg"* ]]; then
		fail "$what: exit $status but message '$out', want '$msg'"
		return 1
	fi
	[ -n "$msg" ] && status+=", '$msg'"
	ok "$what: exit $status"
}

# refused WHAT ERRNO MSG CMD...: the request is refused as expect_err wants,
# and meta_state of the initial netns and $POD is still $before (set by the
# caller, updated after a change so that one change is reported once).
# Counts the requests in REFUSED_REQUESTS. refused_status: the same with
# expect_status, for a command other than metactl.
REFUSED_REQUESTS=0
refused() {
	refused_by expect_err "$@"
}

refused_status() {
	refused_by expect_status "$@"
}

# refused_by EXPECT WHAT CODE MSG CMD...: refused and refused_status.
refused_by() {
	local expect=$1 now
	shift
	REFUSED_REQUESTS=$((REFUSED_REQUESTS + 1))
	"$expect" "$@" || return 1
	now=$(meta_state "$POD")
	if [ "$now" != "$before" ]; then
		fail "$1: the state changed"
		diff <(echo "$before") <(echo "$now") | sed 's/^/#   /'
		before=$now
	else
		ok "$1: nothing changed"
	fi
}

# netns_inodes: the network namespaces some process is in, sorted.
netns_inodes() {
	stat -L -c %i /proc/[0-9]*/ns/net 2>/dev/null | sort -u
}

# no_new_netns BEFORE: no process is in a network namespace that is not in
# BEFORE (an earlier netns_inodes).
no_new_netns() {
	[ -z "$(comm -13 <(echo "$1") <(netns_inodes))" ]
}

# meta_everywhere: the number of meta devices in the initial netns and in
# every named netns.
meta_everywhere() {
	local ns n
	n=$(ip -o link show type meta | wc -l)
	for ns in $(ip netns list | awk '{ print $1 }'); do
		n=$((n + $(ip -n "$ns" -o link show type meta | wc -l)))
	done
	echo "$n"
}

# meta_state [NS...]: a snapshot of every meta device of the initial netns
# (attributes of both ends, program ids, counters) and of the links of the
# initial netns and of each NS, to show that a refused request changed
# nothing.
meta_state() {
	local ns
	"$METACTL" show --json
	ip -o link show
	for ns in "$@"; do
		ip -n "$ns" -o link show
	done
}

# counter DEV NAME [NS]: the ethtool -S counter NAME of DEV.
counter() {
	local nsarg=()
	[ -n "${3:-}" ] && nsarg=(ip netns exec "$3")
	"${nsarg[@]}" ethtool -S "$1" | awk -v n="$2:" '$1 == n { print $2 }'
}

# count_during DEV NAME NS WANT WHAT CMD...: run CMD; the counter NAME of DEV
# (in NS, empty: the initial netns) must grow by exactly WANT. WANT "sent"
# means the number of requests the last ping reported as transmitted (a ping
# whose packets are dropped on its own host gets ENOBUFS and sends more).
count_during() {
	local dev=$1 name=$2 ns=$3 want=$4 what=$5 a b
	shift 5
	a=$(counter "$dev" "$name" "$ns")
	"$@"
	b=$(counter "$dev" "$name" "$ns")
	[ "$want" = sent ] && want=$PING_SENT
	check_eq "$what" "$((b - a))" "$want"
}

# drops_during DEV NAME WHAT CMD...: CMD pings from the initial netns through
# DEV, whose transmit drops them: counter NAME of DEV grows by as much as
# tx_dropped of DEV, and by at least the requests ping sent (ping retries a
# request when the local drop makes sendmsg() fail with ENOBUFS).
drops_during() {
	local dev=$1 name=$2 what=$3 a b ta tb
	shift 3
	a=$(counter "$dev" "$name")
	ta=$(link_stat "" "$dev" tx dropped)
	"$@"
	b=$(counter "$dev" "$name")
	tb=$(link_stat "" "$dev" tx dropped)
	if [ $((b - a)) -ge "$PING_SENT" ] && [ $((b - a)) -eq $((tb - ta)) ] && [ "$PING_SENT" -gt 0 ]; then
		ok "$what: $((b - a)) drops for $PING_SENT requests, tx_dropped agrees"
	else
		fail "$what: $name grew by $((b - a)), tx_dropped by $((tb - ta)), for $PING_SENT requests"
	fi
}

# pings NS DST COUNT [ARGS...]: ping DST from NS (empty: the initial netns),
# waiting 5 s for the last reply (ARGS "-W 1" where none is expected);
# sets PING_SENT to the requests sent and PING_RECEIVED to the replies.
pings() {
	local ns=$1 dst=$2 count=$3 out nsarg=()
	shift 3
	[ -n "$ns" ] && nsarg=(ip netns exec "$ns")
	out=$("${nsarg[@]}" ping -c "$count" -i 0.2 -W 5 -q "$@" "$dst" 2>&1)
	PING_SENT=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
	PING_RECEIVED=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
	: "${PING_SENT:=0}" "${PING_RECEIVED:=0}"
}

# no_ipv6 NS...: no IPv6 on new links of NS (and the initial netns when NS is
# empty), so that counters only see the test's own packets.
no_ipv6() {
	local ns
	for ns in "$@"; do
		if [ -z "$ns" ]; then
			sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
		else
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 \
				net.ipv6.conf.all.disable_ipv6=1
		fi
	done
}

mount_bpffs() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

# pinned_id PATH: the id of the program pinned at PATH (bpftool's plain
# "ID: TYPE ..." line; no python3 start).
pinned_id() {
	local id rest
	read -r id rest < <(bpftool prog show pinned "$1") || return 1
	[[ $id =~ ^[0-9]+:$ ]] || return 1
	echo "${id%:}"
}

# link_prog_id PATH: the program id of the BPF link pinned at PATH (the
# plain "ID: TYPE  prog N" line of bpftool).
link_prog_id() {
	local out
	out=$(bpftool link show pinned "$1") || return 1
	[[ $out =~ \ prog\ ([0-9]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# prog_map_id ID: the id of the first map of program ID ("map_ids A,B").
prog_map_id() {
	local out
	out=$(bpftool prog show id "$1") || return 1
	[[ $out =~ map_ids\ ([0-9]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# pin_prog OBJ PATH [TYPE]: load the first program of OBJ and pin it at PATH;
# prints its id.
pin_prog() {
	local obj=$1 path=$2 type=${3:-classifier}
	bpftool prog load "$obj" "$path" type "$type" >/dev/null || return 1
	pinned_id "$path"
}

# prog_alive ID: whether program ID still exists.
prog_alive() {
	bpftool prog show id "$1" >/dev/null 2>&1
}

# le_num BYTES: the little-endian number of bpftool's JSON byte list
# ("0x01","0x00",...).
le_num() {
	local list=${1//[\"\[\] ]/} b n=0 i
	IFS=, read -ra b <<<"$list"
	for ((i = ${#b[@]} - 1; i >= 0; i--)); do n=$(((n << 8) | b[i])); done
	echo "$n"
}

# map_entries PINNED: one line "KEY VALUE" per entry of the pinned map, from
# "bpftool -j map dump" (with or without BTF; bash, no python3 start), for
# a per-CPU map VALUE is the sum over CPUs.
map_entries() {
	local json chunk key val sum re_key='^(\["0x[^]]*\])' re_val='"value":(\[[^]]*\])'
	json=$(bpftool -j map dump pinned "$1") || return 1
	# An entry starts with its raw key, a list of "0x.." strings; the
	# "formatted" object of a map with BTF has a key of its own, a number.
	json=${json//\{\"key\":\[\"0x/$'\n'[\"0x}
	while read -r chunk; do
		[[ $chunk =~ $re_key ]] || continue
		key=$(le_num "${BASH_REMATCH[1]}")
		chunk=${chunk#"${BASH_REMATCH[1]}"}
		# Only the raw bytes: "formatted" (BTF) repeats them.
		chunk=${chunk%%\"formatted\"*}
		sum=0
		while [[ $chunk =~ $re_val ]]; do
			val=$(le_num "${BASH_REMATCH[1]}")
			sum=$((sum + val))
			chunk=${chunk#*"${BASH_REMATCH[0]}"}
		done
		echo "$key $sum"
	done <<<"$json"
}

# percpu_sum PIN: the sum over CPUs of key 0 of the per-CPU array pinned at PIN.
percpu_sum() {
	map_value "$1" 0
}

# map_value PINNED KEY: the value at u32 KEY of the pinned array map, as a
# number (little endian; works with and without BTF).
map_value() {
	local k v
	while read -r k v; do
		[ "$k" = "$2" ] && echo "$v"
	done < <(map_entries "$1")
}

# link_stat NS DEV DIR FIELD: a field of the device's stats64 (what "ip -s
# link" shows), e.g. rx packets, from sysfs (the test's own, or that of NS
# through "ip netns exec").
link_stat() {
	local f=/sys/class/net/$2/statistics/$3_$4 v
	if [ -n "$1" ]; then
		ip netns exec "$1" cat "$f"
	else
		read -r v <"$f" && echo "$v"
	fi
}

# --- program ids, drops and links of a pair (faults*.sh, datapath.sh) ---

# show_field DEV progs|peer_progs [NS]: the program ids of that end, from
# the "prog A,B(link L) rev N peer-prog ..." line of "metactl show DEV",
# space-separated ("None" when the end cannot be queried: a peer). Bash, no
# python3 start.
show_field() {
	local out ns=() v id ids=() re='    prog ([^ ]+)( rev [0-9]+)? peer-prog ([^ ]+)'
	[ -n "${3:-}" ] && ns=(nsenter --net="/run/netns/$3")
	out=$("${ns[@]}" "$METACTL" show "$1") || return 1
	[[ $out =~ $re ]] || return 1
	case $2 in
	progs) v=${BASH_REMATCH[1]} ;;
	peer_progs) v=${BASH_REMATCH[3]} ;;
	*) return 1 ;;
	esac
	case $v in
	-) echo None ;;
	none) echo ;;
	*)
		IFS=, read -ra v <<<"$v"
		for id in "${v[@]}"; do ids+=("${id%%(*}"); done
		echo "${ids[*]}"
		;;
	esac
}

# drops: the 9 drop counters (xmit_drop_*, xmit_redirect_err) of both ends
# of the pair of meta_pair (mh, and mp in $POD), summed.
drops() {
	{
		ethtool -S mh
		ip netns exec "$POD" ethtool -S mp
	} | awk '$1 ~ /^xmit_(drop_.*|redirect_err):$/ { n += $2; c++ } END { print c == 18 ? n : "?" }'
}

# pin_map_of PROG_ID PATH: pin the (first) map of program PROG_ID at PATH.
pin_map_of() {
	local map
	map=$(prog_map_id "$1") &&
		bpftool map pin id "$map" "$2"
}

# wait_freed ID...: wait (up to 60 s, scaled) until none of the programs
# exists, a program is freed after an RCU grace period; prints those alive.
none_alive() {
	local id
	for id in "$@"; do
		prog_alive "$id" && return 1
	done
	return 0
}
wait_freed() {
	local id
	until_true 60 none_alive "$@" && return 0
	for id in "$@"; do
		prog_alive "$id" && echo "$id"
	done
	return 1
}

# link_field PIN KEY: a key of "metactl link PIN" (one JSON object, "fdinfo"
# last); the scalars in bash (a string unquoted, null as None), "fdinfo" (an
# object, printed as Python's repr) with python3.
link_field() {
	local out re
	out=$("$METACTL" link "$1") || return 1
	if [ "$2" = fdinfo ]; then
		python3 -c 'import json,sys; print(json.loads(sys.argv[1])["fdinfo"])' "$out"
		return
	fi
	# Without the fdinfo object: it has keys of the same names.
	out=${out%%\"fdinfo\":*}
	re="\"$2\":(\"([^\"]*)\"|[^,}]*)"
	[[ $out =~ $re ]] || return 1
	case ${BASH_REMATCH[1]} in
	\"*) echo "${BASH_REMATCH[2]}" ;;
	null) echo None ;;
	*) echo "${BASH_REMATCH[1]}" ;;
	esac
}

# nk_type primary|peer: BPF_NETKIT_PRIMARY or _PEER (enum bpf_attach_type of
# the stable UAPI, include/uapi/linux/bpf.h).
nk_type() {
	case $1 in
	primary) echo 54 ;;
	peer) echo 55 ;;
	esac
}

# meta_pair NS [ARGS...]: the pair mh (initial netns, 10.10.0.1) and mp (NS,
# 10.10.0.2), up, created by metactl with ARGS.
meta_pair() {
	local ns=$1
	shift
	metactl add mh --peer-name mp --peer-netns "$ns" "$@" && addr_pair mh mp "$ns" 10.10.0
}

# addr_pair DEV PEER NS NET [MTU]: the rest of a pair's set-up after
# "metactl add": MTU on both ends (if given), NET.1/24 on DEV, NET.2/24 on
# PEER in NS, both up.
addr_pair() {
	local dev=$1 peer=$2 ns=$3 net=$4 mtu=${5:-}
	if [ -n "$mtu" ]; then
		ip link set "$dev" mtu "$mtu" && ip -n "$ns" link set "$peer" mtu "$mtu" || return 1
	fi
	ip addr add "$net.1/24" dev "$dev" && ip -n "$ns" addr add "$net.2/24" dev "$peer" &&
		ip link set "$dev" up && ip -n "$ns" link set "$peer" up
}

# meta_setup NAME NSVAR...: the common start of the tests that need metactl:
# root, meta.ko loaded, bpffs mounted, one netns per NSVAR (see setup_ns),
# no IPv6 in them nor in the initial netns, and $P, a bpffs directory for
# pins, removed at exit.
meta_setup() {
	local name=$1 v ns=()
	shift
	require_root
	require_metactl
	load_meta || meta_exit
	mount_bpffs
	setup_ns "$@" || meta_exit
	for v in "$@"; do
		ns+=("${!v}")
	done
	no_ipv6 "" "${ns[@]}"
	P=/sys/fs/bpf/meta-$name-$$
	mkdir -p "$P"
	defer rm -rf "$P"
}

# pin_samples PROG...: load samples/bpf/PROG.bpf.o and pin it at $P/PROG.
pin_samples() {
	local prog
	for prog in "$@"; do
		pin_prog "$BPF_DIR/$prog.bpf.o" "$P/$prog" >/dev/null || { fail "load $prog.bpf.o"; meta_exit; }
	done
}
