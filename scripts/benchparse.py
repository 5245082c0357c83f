#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the output of one benchmark run into one line of results.jsonl.

    benchparse.py sockperf FILE RC --variant V --rep N --test T
    benchparse.py iperf3 FILE RC --variant V --rep N --test T
    (either with --shell: R_KEY=VALUE lines for a shell's eval, not JSON)
    benchparse.py batch KIND:FILE:RC:VARIANT:TEST...
                                           (many runs, R_<VARIANT>_<TEST>_KEY=VALUE)
    benchparse.py marks RESULTS MARKS      (fills in the instruction counts)

sockperf: FILE is the output of "sockperf ping-pong"; the line has p50_us,
p90_us, p99_us, avg_us (sockperf's one-way latency, half the round trip),
tps (round trips per second over sockperf's valid duration), transactions
and runtime_s of that duration, and total_transactions (the whole run,
warm-up included: what an instruction count covers).
iperf3: FILE is the JSON of "iperf3 -J"; the line has gbps (received) and
retrans.
A run that failed (RC not 0, or nothing to parse) gives a line with
"error", which the report counts and lists.

marks: RESULTS has lines with "mark_start" and "mark_end", the ordinals of
the insnmark calls around a run; MARKS is the insncount plugin's output
("mark ORDINAL COUNT" per marker). The lines get "insns" and are rewritten
in place. A line with "base_of" is the short run of a pair: the long run's
line (its "base" names the short one's key) gets insn_per_txn = (insns of
the long - insns of the short) / (transactions of the long - of the short),
so that process start and exit cancel out.
"""

import argparse
import json
import re
import shlex
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_sockperf(text):
    text = ANSI.sub("", text)
    out = {}
    m = re.search(r"\[Valid Duration\] RunTime=([0-9.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)", text)
    if not m:
        raise ValueError("no [Valid Duration] line")
    runtime, received = float(m.group(1)), int(m.group(3))
    if received == 0 or runtime <= 0:
        raise ValueError("no message came back")
    out["runtime_s"] = runtime
    out["transactions"] = received
    out["tps"] = round(received / runtime, 1)
    m = re.search(r"\[Total Run\] RunTime=[0-9.]+ sec; .*ReceivedMessages=(\d+)", text)
    if m:
        out["total_transactions"] = int(m.group(1))
    m = re.search(r"avg-latency=([0-9.]+)", text)
    if m:
        out["avg_us"] = float(m.group(1))
    for pct, key in (("50.000", "p50_us"), ("90.000", "p90_us"), ("99.000", "p99_us")):
        m = re.search(r"percentile " + re.escape(pct) + r" =\s*([0-9.]+)", text)
        if not m:
            raise ValueError(f"no percentile {pct}")
        out[key] = float(m.group(1))
    return out


def parse_iperf3(text):
    d = json.loads(text)
    if "error" in d:
        raise ValueError(d["error"])
    end = d["end"]
    recv = end["sum_received"]
    if recv["bytes"] <= 0:
        raise ValueError("no byte received")
    return {
        "gbps": round(recv["bits_per_second"] / 1e9, 4),
        "bytes": recv["bytes"],
        "retrans": end.get("sum_sent", {}).get("retransmits", 0),
    }


def parse_one(kind, path, rc, variant, rep, test, extra=()):
    """The result line of one run: its fields, or "error"."""
    line = {"variant": variant, "rep": rep, "test": test}
    for kv in extra:
        k, v = kv.split("=", 1)
        line[k] = int(v) if v.lstrip("-").isdigit() else v
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError as e:
        text = ""
        line["error"] = str(e)
    if "error" not in line:
        try:
            parsed = parse_sockperf(text) if kind == "sockperf" else parse_iperf3(text)
            if rc != 0:
                raise ValueError(f"exit status {rc}")
            line.update(parsed)
        except (ValueError, KeyError, json.JSONDecodeError) as e:
            tail = " | ".join(ANSI.sub("", text).strip().splitlines()[-3:])
            line["error"] = f"{kind}: {e} (exit {rc}): {tail}"[:300]
    return line


def one_run(args):
    line = parse_one(args.kind, args.file, args.rc, args.variant, args.rep, args.test,
                     args.extra or [])
    if args.shell:
        for k, v in line.items():
            print(f"R_{k}={shlex.quote(str(v))}")
    else:
        print(json.dumps(line))
    return 0 if "error" not in line else 1


def batch(specs):
    """Many runs in one start (a python3 start costs seconds in the test VM):
    each SPEC is KIND:FILE:RC:VARIANT:TEST, each field of its result line is
    printed as R_<VARIANT>_<TEST>_<KEY>=VALUE for a shell's eval."""
    bad = 0
    for spec in specs:
        try:
            kind, path, rc, variant, test = spec.split(":")
            if kind not in ("sockperf", "iperf3") or not (variant + test).replace("_", "").isalnum():
                raise ValueError
            line = parse_one(kind, path, int(rc), variant, 1, test)
        except ValueError:
            sys.exit(f"benchparse: bad batch spec {spec!r} (KIND:FILE:RC:VARIANT:TEST)")
        bad += "error" in line
        for k, v in line.items():
            print(f"R_{variant}_{test}_{k}={shlex.quote(str(v))}")
    return 1 if bad else 0


def fill_marks(results, marks):
    counts = {}
    with open(marks) as f:
        for ln in f:
            p = ln.split()
            if len(p) == 3 and p[0] == "mark":
                counts[int(p[1])] = int(p[2])
    with open(results) as f:
        lines = [json.loads(ln) for ln in f if ln.strip()]
    for r in lines:
        if "mark_start" not in r or "error" in r:
            continue
        a, b = counts.get(r["mark_start"]), counts.get(r["mark_end"])
        if a is None or b is None:
            r["error"] = f"marks {r['mark_start']}/{r['mark_end']} missing from the plugin's output"
        else:
            r["insns"] = b - a
            if r.get("pods"):
                r["insn_per_pod"] = round(r["insns"] / r["pods"])
    by_key = {r["key"]: r for r in lines if "key" in r}
    out = []
    for r in lines:
        if "base_of" in r:
            continue
        base = by_key.get(r.get("base"))
        if base is not None and "error" not in r:
            if "error" in base:
                r["error"] = "short run: " + base["error"]
            else:
                dt = r["total_transactions"] - base["total_transactions"]
                di = r["insns"] - base["insns"]
                if dt <= 0:
                    r["error"] = "the long run made no more transactions than the short one"
                else:
                    r["insn_per_txn"] = round(di / dt, 1)
                    r["transactions"] = dt
                    r["insns"] = di
        for k in ("mark_start", "mark_end", "key", "base"):
            r.pop(k, None)
        out.append(r)
    with open(results, "w") as f:
        for r in out:
            f.write(json.dumps(r) + "\n")
    bad = sum(1 for r in out if "error" in r)
    print(f"benchparse: {len(out)} instruction results, {bad} failed", file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="kind", required=True)
    for kind in ("sockperf", "iperf3"):
        p = sub.add_parser(kind)
        p.add_argument("file")
        p.add_argument("rc", type=int)
        p.add_argument("--variant", required=True)
        p.add_argument("--rep", type=int, required=True)
        p.add_argument("--test", required=True)
        p.add_argument("--extra", nargs="*", metavar="KEY=VALUE")
        p.add_argument("--shell", action="store_true",
                       help="print R_KEY=VALUE lines for a shell's eval instead of JSON")
    p = sub.add_parser("batch")
    p.add_argument("spec", nargs="+", metavar="KIND:FILE:RC:VARIANT:TEST")
    p = sub.add_parser("marks")
    p.add_argument("results")
    p.add_argument("marks")
    args = ap.parse_args()
    if args.kind == "marks":
        return fill_marks(args.results, args.marks)
    if args.kind == "batch":
        return batch(args.spec)
    return one_run(args)


if __name__ == "__main__":
    sys.exit(main())
