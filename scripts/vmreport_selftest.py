#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-test of the suite's verdict: scripts/vmreport.py on made-up run
directories, and the skip rule of selftests/meta/lib.sh.

    scripts/vmreport_selftest.py

A clean run directory (two selftests, two KUnit cases, an empty kmemleak
report, a guest that finished) must give "4 passed, 0 failed, 0 skipped".
Each case changes one thing and names the last line it must give instead:
every splat pattern the scan knows, once, in the kernel log (and not when the
line is not the kernel's); a missing or non-empty kmemleak report; a skip; a
missing, failed or timed-out result. Then lib.sh: a missing command or tool
fails the test (exit 1), only skip_kernel skips (exit 4), a test in which no
check ran fails. KTAP on stdout, one result per case; exit 1 on a failure.
Run by make check on the host (scripts/check.sh).
"""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, "vmreport.py")
LIB = os.path.join(HERE, "..", "selftests", "meta", "lib.sh")

KUNIT = [
    "KTAP version 1",
    "1..1",
    "    KTAP version 1",
    "    # Subtest: rust_doctests_kernel",
    "    1..2",
    "    ok 1 rust_doctest_kernel_a",
    "    ok 2 rust_doctest_kernel_b",
    "# rust_doctests_kernel: pass:2 fail:0 skip:0 total:2",
    "# Totals: pass:2 fail:0 skip:0 total:2",
    "ok 1 rust_doctests_kernel",
]
GUEST = [
    "TAP version 13",
    "1..2",
    "# selftests: meta: a.sh",
    "# ok: something",
    "ok 1 selftests: meta: a.sh",
    "# selftests: meta: b.sh",
    "ok 2 selftests: meta: b.sh",
    "# meta-guest: tests done at uptime 9.0s",
]

# The first line of each kind of splat, as the kernel prints it.
SPLATS = {
    "WARN": "WARNING: CPU: 0 PID: 1 at net/core/dev.c:10 f+0x1/0x2",
    "BUG": "BUG: kernel NULL pointer dereference, address: 0000000000000000",
    "kernel BUG at": "kernel BUG at net/core/skbuff.c:100!",
    "Oops": "Oops: general protection fault, probably for non-canonical address",
    "KASAN": "BUG: KASAN: slab-use-after-free in f+0x1/0x2",
    "lockdep circular": "WARNING: possible circular locking dependency detected",
    "lockdep inconsistent": "WARNING: inconsistent lock state",
    "RCU usage": "WARNING: suspicious RCU usage",
    "refcount": "refcount_t: underflow; use-after-free.",
    "kmemleak in the log": "kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
    "panic": "Kernel panic - not syncing: Fatal exception",
    "UBSAN": "UBSAN: shift-out-of-bounds in net/core/dev.c:10:5",
    "RCU stall": "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
    "hung task": "INFO: task kworker/0:1:12 blocked for more than 240 seconds.",
    "soft lockup": "watchdog: BUG: soft lockup - CPU#0 stuck for 30s! [ip:99]",
    "hard lockup": "watchdog: Watchdog detected hard LOCKUP on cpu 1",
    "netdev refcount wait": "unregister_netdevice: waiting for mh to become free. Usage count = 2",
    "ref_tracker": "ref_tracker: netdev@00000000deadbeef has 1/2 users at",
}


def kernel(lines, t=1.0):
    return "".join("[%12.6f] %s\n" % (t, l) for l in lines)


def make_run(d, guest=GUEST, console_extra=(), kmemleak="", done=True, rc="0", tests=("a.sh", "b.sh"),
             kunit=KUNIT):
    def w(name, text):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    console = "vng: booting\n" + kernel(["Linux version 6.12.117"] + list(kunit)) + "".join(console_extra)
    w("console.log", console)
    w("dmesg.txt", kernel(["Linux version 6.12.117"] + list(kunit)))
    w("guest.out", "\n".join(guest) + "\n")
    w("tests.list", "\n".join(tests) + "\n")
    w("vm.rc", rc + "\n")
    w("vm.timeout", "1000\n")
    if kmemleak is not None:
        w("kmemleak.txt", kmemleak)
    if done:
        w("guest-done", "done\n")


def verdict(d):
    env = {k: v for k, v in os.environ.items()
           if k not in ("META_HOST_RESULTS", "META_STEPS_FILE", "META_T_ALL", "META_LOGDIR")}
    p = subprocess.run([sys.executable, REPORT, "check", d], capture_output=True, text=True, env=env)
    lines = p.stdout.strip().splitlines()
    return (lines[-1] if lines else "(no output)"), p.returncode, p.stdout


CASES = []


def case(name, want, **kw):
    CASES.append((name, want, kw))


case("a clean run", "4 passed, 0 failed, 0 skipped")
for kind, line in SPLATS.items():
    case("splat: " + kind, "4 passed, 1 failed, 0 skipped", console_extra=[kernel([line], 5.0)])
case("a splat line that is not the kernel's (no timestamp) is not one",
     "4 passed, 0 failed, 0 skipped", console_extra=["WARNING: printed by a test\n"])
case("WARN and its end trace are one splat, the next WARN another",
     "4 passed, 2 failed, 0 skipped",
     console_extra=[kernel([SPLATS["WARN"], "Call Trace:", "---[ end trace 0000000000000000 ]---",
                            SPLATS["WARN"]], 5.0)])
case("no kmemleak report is not zero leaks", "4 passed, 1 failed, 0 skipped", kmemleak=None)
case("kmemleak objects", "4 passed, 1 failed, 0 skipped",
     kmemleak="unreferenced object 0xffff888003c8a000 (size 64):\n  comm \"ip\"\n")
case("a skip is counted as skipped, not passed", "3 passed, 0 failed, 1 skipped",
     guest=GUEST[:6] + ["ok 2 selftests: meta: b.sh # SKIP"] + GUEST[7:])
case("a failed selftest", "3 passed, 1 failed, 0 skipped",
     guest=GUEST[:6] + ["not ok 2 selftests: meta: b.sh # exit=1"] + GUEST[7:])
case("a selftest that never reported", "3 passed, 1 failed, 0 skipped", guest=GUEST[:5] + GUEST[7:])
case("a failed KUnit case", "3 passed, 1 failed, 0 skipped",
     kunit=KUNIT[:6] + ["    not ok 2 rust_doctest_kernel_b"] + KUNIT[7:9] + ["not ok 1 rust_doctests_kernel"])
case("no KUnit summary", "4 passed, 1 failed, 0 skipped", kunit=KUNIT[:8] + KUNIT[9:])
case("no KUnit at all", "2 passed, 1 failed, 0 skipped", kunit=[])
case("the VM timed out", "4 passed, 1 failed, 0 skipped", rc="124")
case("the guest did not finish", "4 passed, 1 failed, 0 skipped", done=False)


# lib.sh: (what, script body, exit code it must give)
LIB_CASES = [
    ("a missing command fails the test", "require_cmd meta-no-such-command; ok x; meta_exit", 1),
    ("a missing binary fails the test", 'missing "/nonexistent (make tools)"', 1),
    ("skip_kernel skips", 'skip_kernel "this kernel has no CONFIG_X"', 4),
    ("a test in which no check ran fails", "meta_exit", 1),
    ("a failed check fails the test", "ok a; fail b; meta_exit", 1),
    ("checks that pass pass", "ok a; check_eq b 1 1; meta_exit", 0),
]


def main():
    print("TAP version 13")
    print("1..%d" % (len(CASES) + len(LIB_CASES)))
    bad = 0
    n = 0
    for name, want, kw in CASES:
        n += 1
        with tempfile.TemporaryDirectory() as d:
            make_run(d, **kw)
            got, rc, out = verdict(d)
        want_rc = 0 if " 0 failed" in want else 1
        if got == want and rc == want_rc:
            print("ok %d vmreport: %s: %s" % (n, name, got))
        else:
            bad += 1
            print("not ok %d vmreport: %s: got '%s' (exit %d), want '%s'" % (n, name, got, rc, want))
            for l in out.splitlines()[-15:]:
                print("#   " + l)
    for name, body, want in LIB_CASES:
        n += 1
        p = subprocess.run(["bash", "-c", '. "$1"; ' + body, "bash", LIB],
                           capture_output=True, text=True)
        if p.returncode == want:
            print("ok %d lib.sh: %s: exit %d" % (n, name, want))
        else:
            bad += 1
            print("not ok %d lib.sh: %s: exit %d, want %d" % (n, name, p.returncode, want))
            for l in (p.stdout + p.stderr).splitlines()[-10:]:
                print("#   " + l)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
