#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Verdict of a VM run of scripts/vm.sh, from the files of its run directory.

    scripts/vmreport.py check RUNDIR    selftests + KUnit + splats + VM status
    scripts/vmreport.py splats RUNDIR   splats + VM status only (scripts/vm.sh run)

RUNDIR holds what scripts/vm.sh and the guest wrote:
    console.log   the guest's kernel console (vng --verbose stderr)
    guest.out     the guest script's stdout (KTAP of the selftests)
    dmesg.txt     the kernel log, saved in the guest at the end
    kmemleak.txt  /sys/kernel/debug/kmemleak after two scans
    guest-done    written last by the guest: it did not die on the way
    tests.list    the tests the host expects (TEST_PROGS)
    vm.rc         exit code of vng (124: our timeout), vm.timeout its limit

Counting: every selftest and every KUnit test case is one result (passed,
failed or skipped); every splat in the kernel log, every result that is
missing (a test or case that never reported, an absent KUnit summary), a
VM timeout, a guest that did not finish and a missing kmemleak report are
one failure each; skips are counted apart. Host results of scripts/check.sh
(META_HOST_RESULTS) count too. Before the verdict, a table of the time of
each step and test (META_STEPS_FILE, vm-times.tsv, times.txt). The last line
printed is "N passed, N failed, N skipped"; the exit code is 1 when N failed
> 0.
"""

import os
import re
import sys

TS = re.compile(r"^\[\s*\d+\.\d+\] ?")

# The first line of a splat (kernel log lines only, i.e. with a printk
# timestamp, so vng's and the init's own messages never match).
SPLAT = re.compile(
    r"WARNING:|\bBUG:|kernel BUG at|\bOops\b|general protection fault|KASAN:"
    r"|possible circular locking|inconsistent lock state|suspicious RCU usage"
    r"|refcount_t:|suspected memory leaks|Kernel panic|UBSAN:"
    r"|detected stalls|detected expedited stalls|self-detected stall|RCU stall"
    r"|blocked for more than \d+ seconds|soft lockup|hard LOCKUP"
    r"|unregister_netdevice: waiting for|ref_tracker: .* has \d+/\d+ users"
)
# A match within this many kernel lines of the previous match of the current
# splat belongs to it ("BUG: ..." + "Oops: ...", "refcount_t: ..." +
# "WARNING: ...", lockdep's "WARNING: suspicious RCU usage").
SPLAT_JOIN = 12
# A panic after an oops is the same failure.
PANIC_JOIN = 400
SPLAT_SHOW = 10


def read(rundir, name):
    try:
        with open(os.path.join(rundir, name), encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def lines_of(text):
    return [] if text is None else [l.rstrip("\r\n").rstrip("\r") for l in text.split("\n")]


def kernel_lines(text):
    """(line number, message without timestamp, raw line) of the kernel lines."""
    out = []
    for i, raw in enumerate(lines_of(text), 1):
        # The serial console can prefix a line with stray control characters.
        raw = raw.lstrip("\x00\x1b\x07")
        m = TS.match(raw)
        if m:
            out.append((i, raw[m.end():], raw))
    return out


def find_splats(klines):
    splats = []  # [first index, last matched index]
    closed = True  # the last splat ended ("---[ end trace")
    for k, (_, msg, _) in enumerate(klines):
        # The end of a WARN/oops, or the rule that ends a KASAN/UBSAN report.
        if msg.startswith("---[ end trace") or re.match(r"^={20,}$", msg):
            closed = True
            continue
        if not SPLAT.search(msg):
            continue
        if splats:
            cur = splats[-1]
            if (not closed and k - cur[1] <= SPLAT_JOIN) or (
                msg.startswith("Kernel panic") and k - cur[1] <= PANIC_JOIN
            ):
                cur[1] = k
                continue
        splats.append([k, k])
        closed = False
    out = []
    for n, (s, _) in enumerate(splats):
        stop = min(len(klines), s + SPLAT_SHOW)
        if n + 1 < len(splats):
            stop = min(stop, splats[n + 1][0])
        show = []
        for j in range(s, stop):
            show.append(klines[j][2])
            if klines[j][1].startswith("---[ end trace") or (
                    j > s and re.match(r"^={20,}$", klines[j][1])):
                break
        out.append({"line": klines[s][0], "first": klines[s][1], "show": show})
    return out


def splats_of_run(rundir, leak_scan):
    """The splats of a run; leak_scan: the guest ran kmemleak (check), so a
    missing report is a failure (bench and run kernels have no kmemleak)."""
    console = kernel_lines(read(rundir, "console.log"))
    splats = find_splats(console)
    for s in splats:
        s["where"] = "console.log:%d" % s["line"]
    # The console may have dropped messages that the kernel log kept.
    seen = {s["first"] for s in splats}
    for s in find_splats(kernel_lines(read(rundir, "dmesg.txt"))):
        if s["first"] not in seen:
            s["where"] = "dmesg.txt:%d" % s["line"]
            splats.append(s)
    leaks = read(rundir, "kmemleak.txt")
    if leaks is None and leak_scan:
        # No report is not zero leaks: the scan did not run.
        splats.append({"where": "kmemleak.txt", "first": "kmemleak: no report (the scan did not run)",
                       "show": []})
    leaks = leaks or ""
    nleaks = leaks.count("unreferenced object")
    if nleaks:
        detail = leaks.splitlines()[:20]
        for s in splats:
            if "suspected memory leaks" in s["first"]:
                s["show"] = s["show"][:1] + detail
                break
        else:
            splats.append(
                {"where": "kmemleak.txt", "first": "kmemleak: %d unreferenced objects" % nleaks,
                 "show": detail}
            )
    return splats


KTAP_RESULT = re.compile(r"^(not )?ok (\d+)(?: (.*?))?(?: # (.*))?$")


def parse_kunit(klines):
    """KUnit KTAP (nested) in the kernel log: the suites and their cases."""
    top_plan = None
    suites = []
    suite = None
    diag = []
    totals = None
    started = False
    for _, msg, _ in klines:
        if msg == "KTAP version 1":
            started = True
            continue
        if not started:
            continue
        indent = len(msg) - len(msg.lstrip(" "))
        body = msg.strip()
        if indent == 0:
            m = re.match(r"^1\.\.(\d+)$", body)
            if m:
                top_plan = (top_plan or 0) + int(m.group(1))
                continue
            m = KTAP_RESULT.match(body)
            if m:
                name = m.group(3) or ""
                if suite is None or suite["name"] != name:
                    suite = {"name": name, "plan": None, "cases": []}
                    suites.append(suite)
                suite["result"] = (m.group(1) is None, body)
                suite = None
                diag = []
                continue
            m = re.match(r"^# Totals: pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)", body)
            if m:
                totals = body
            continue
        if indent == 4:
            m = re.match(r"^# Subtest: (\S+)", body)
            if m:
                suite = {"name": m.group(1), "plan": None, "cases": []}
                suites.append(suite)
                diag = []
                continue
            m = re.match(r"^1\.\.(\d+)$", body)
            if m and suite is not None:
                suite["plan"] = int(m.group(1))
                continue
            m = KTAP_RESULT.match(body)
            if m and suite is not None:
                directive = (m.group(4) or "").upper()
                state = "skip" if directive.startswith("SKIP") else (
                    "fail" if m.group(1) else "pass")
                suite["cases"].append({"state": state, "line": body, "diag": diag})
                diag = []
                continue
        if body.startswith("#") or indent >= 8:
            diag.append(msg)
    return {"started": started, "plan": top_plan, "suites": suites, "totals": totals}


def kunit_complete(k):
    return (
        k["started"] and k["totals"] is not None and k["plan"] is not None
        and sum(1 for s in k["suites"] if "result" in s) >= k["plan"]
    )


def parse_selftests(text):
    plan = None
    results = []
    diag = []
    for line in lines_of(text):
        if re.match(r"^1\.\.(\d+)$", line):
            plan = int(line[3:])
            continue
        m = KTAP_RESULT.match(line)
        if m:
            directive = (m.group(4) or "").upper()
            state = "skip" if m.group(1) is None and directive.startswith("SKIP") else (
                "fail" if m.group(1) else "pass")
            results.append({"state": state, "line": line, "diag": diag})
            diag = []
        elif line.startswith("# selftests: "):
            diag = [line]
        elif line.startswith("#"):
            diag.append(line)
    return plan, results


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def add(self, state):
        if state == "pass":
            self.passed += 1
        elif state == "skip":
            self.skipped += 1
        else:
            self.failed += 1


def vm_status(rundir, t):
    rc = (read(rundir, "vm.rc") or "").strip()
    done = read(rundir, "guest-done") is not None
    limit = (read(rundir, "vm.timeout") or "?").strip()
    if rc in ("124", "137"):
        print("FAIL: the VM timed out after %ss (vng killed)" % limit)
        t.failed += 1
    elif not done:
        print("FAIL: the guest did not finish (vng exit %s: crash, panic or early exit)" % (rc or "?"))
        t.failed += 1
    elif rc != "0":
        print("FAIL: vng exited %s" % (rc or "?"))
        t.failed += 1


def report_selftests(rundir, t):
    plan, results = parse_selftests(read(rundir, "guest.out"))
    expected = [l for l in lines_of(read(rundir, "tests.list")) if l.strip()]
    if plan is None:
        plan = len(expected)
        print("no KTAP plan from the guest; expected %d selftests" % plan)
    for r in results:
        print(r["line"])
        if r["state"] == "fail":
            for d in r["diag"][-40:]:
                print("    " + d)
        t.add(r["state"])
    if len(results) < plan:
        print("FAIL: %d of %d selftest results missing" % (plan - len(results), plan))
        t.failed += plan - len(results)
    return len(results)


def report_kunit(rundir, t):
    k = parse_kunit(kernel_lines(read(rundir, "console.log")))
    src = "console.log"
    if not kunit_complete(k):
        k2 = parse_kunit(kernel_lines(read(rundir, "dmesg.txt")))
        if kunit_complete(k2) or (not k["started"] and k2["started"]):
            k, src = k2, "dmesg.txt"
    if not k["started"]:
        print("FAIL: no KUnit results in the kernel log")
        t.failed += 1
        return
    ncases = 0
    for s in k["suites"]:
        c = {st: sum(1 for x in s["cases"] if x["state"] == st) for st in ("pass", "fail", "skip")}
        ncases += len(s["cases"])
        status = s.get("result", (False, "(no result line)"))[1]
        print("kunit: %s: %d passed, %d failed, %d skipped [%s]"
              % (s["name"], c["pass"], c["fail"], c["skip"], status))
        for x in s["cases"]:
            t.add(x["state"])
            if x["state"] == "fail":
                print("    " + x["line"])
                for d in x["diag"][-20:]:
                    print("        " + d)
        if s["plan"] is not None and len(s["cases"]) < s["plan"]:
            print("FAIL: kunit: %s: %d of %d cases missing"
                  % (s["name"], s["plan"] - len(s["cases"]), s["plan"]))
            t.failed += s["plan"] - len(s["cases"])
        if "result" not in s:
            print("kunit: %s: no result line (counted with the missing suites)" % s["name"])
        elif not s["result"][0] and not any(x["state"] == "fail" for x in s["cases"]):
            print("FAIL: kunit: %s: suite failed" % s["name"])
            t.failed += 1
    nres = sum(1 for s in k["suites"] if "result" in s)
    if k["plan"] is not None and nres < k["plan"]:
        print("FAIL: kunit: %d of %d suites missing" % (k["plan"] - nres, k["plan"]))
        t.failed += k["plan"] - nres
    if k["totals"] is None:
        print("FAIL: kunit: no summary (# Totals) in the kernel log")
        t.failed += 1
    else:
        print("kunit: %s (%d cases, from %s)" % (k["totals"], ncases, src))


def report_splats(rundir, t, leak_scan):
    splats = splats_of_run(rundir, leak_scan)
    for n, s in enumerate(splats, 1):
        print("FAIL: splat %d (%s): %s" % (n, s["where"], s["first"]))
        for l in s["show"]:
            print("    " + l)
    t.failed += len(splats)
    if not splats:
        print("splats: none in the kernel log")


def report_host(t):
    """Results of the host's own steps (scripts/check.sh: metactl's cargo test)."""
    path = os.environ.get("META_HOST_RESULTS")
    if not path or not os.path.exists(path):
        return
    for line in lines_of(open(path, encoding="utf-8").read()):
        m = KTAP_RESULT.match(line)
        if m:
            print(line)
            t.add("fail" if m.group(1) else "pass")


def fmt_s(sec):
    sec = int(round(sec))
    return "%d min %02d s" % (sec // 60, sec % 60) if sec >= 60 else "%d s" % sec


def report_times(rundir):
    """The table of time per step and per test, so that a slow step shows in every log."""
    rows = []
    steps = os.environ.get("META_STEPS_FILE")
    if steps and os.path.exists(steps):
        for line in lines_of(open(steps, encoding="utf-8").read()):
            if "\t" in line:
                name, sec = line.rsplit("\t", 1)
                rows.append((name, float(sec)))
    for line in lines_of(read(rundir, "vm-times.tsv")):
        if "\t" in line:
            name, sec = line.rsplit("\t", 1)
            rows.append((name, float(sec)))
    tests = []
    for line in lines_of(read(rundir, "times.txt")):
        w = line.split()
        if len(w) == 3:
            tests.append(("  test " + w[0] + ("" if w[2] == "0" else " (exit %s)" % w[2]),
                          int(w[1]) / 1000.0))
    if not rows and not tests:
        return
    t_all = os.environ.get("META_T_ALL")
    width = max([len(n) for n, _ in rows + tests] + [20])
    print("time per step:")
    for name, sec in rows:
        print("  %-*s %10s" % (width, name, fmt_s(sec)))
        if name == "VM: the tests":
            for tname, tsec in sorted(tests, key=lambda x: -x[1]):
                print("  %-*s %10s" % (width, tname, fmt_s(tsec)))
    if not any(n == "VM: the tests" for n, _ in rows):
        for tname, tsec in tests:
            print("  %-*s %10s" % (width, tname, fmt_s(tsec)))
    if t_all:
        import time
        print("  %-*s %10s" % (width, "total", fmt_s(time.time() - int(t_all))))
    for line in lines_of(read(rundir, "phases.txt")):
        w = line.split()
        if len(w) == 3:
            print("guest %s phase: %s, CPUs %s%% busy" % (w[0], fmt_s(int(w[1]) / 1000.0), w[2]))
    for name in ("calibration.txt",):
        c = read(rundir, name)
        if c:
            print("guest calibration: " + c.strip())
    host = os.path.join(os.environ.get("META_LOGDIR", ""), "host-calibration.txt")
    if os.environ.get("META_LOGDIR") and os.path.exists(host):
        print("host calibration: " + open(host).read().strip())


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "splats"):
        sys.exit(__doc__)
    mode, rundir = sys.argv[1], sys.argv[2]
    t = Tally()
    if mode == "check":
        report_host(t)
        report_selftests(rundir, t)
        report_kunit(rundir, t)
    report_splats(rundir, t, mode == "check")
    vm_status(rundir, t)
    print("console log: %s" % os.path.join(rundir, "console.log"))
    if mode == "check":
        report_times(rundir)
        print("%d passed, %d failed, %d skipped" % (t.passed, t.failed, t.skipped))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
