#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Report of the pod network path benchmark: host, veth, veth + BPF host
routing, netkit and meta, measured interleaved in a VM.

    scripts/benchreport.py RESULTS_DIR

Reads RESULTS_DIR/results.jsonl (one JSON object per run: "variant", "rep",
"test" and the test's numbers, or "error") and RESULTS_DIR/machine.json
(free-form description of the machine and the method), and writes
RESULTS_DIR/bench.json, bench.md and bench.png; bench.md is also printed.

Statistics per variant and metric are taken over the reps: n, median, min,
max, quartiles q1 and q3 and the relative spread (q3 - q1) / median.
Ratios are ratios of medians. The targets are evaluated and reported; a
target not met is not an error. Exit code 1 only when results.jsonl is
missing or empty or a variant has no data at all.
"""

import json
import math
import os
import statistics
import sys

VARIANTS = ["host", "veth", "veth_bpf", "netkit", "meta", "netkit2", "meta2"]
LABELS = {
    "host": "host",
    "veth": "veth",
    "veth_bpf": "veth + BPF host routing",
    "netkit": "netkit",
    "meta": "meta",
    "netkit2": "netkit, 2 programs",
    "meta2": "meta, 2 programs",
}
COLORS = {
    "host": "#9e9e9e",
    "veth": "#6baed6",
    "veth_bpf": "#2171b5",
    "netkit": "#74c476",
    "meta": "#d62728",
    "netkit2": "#31a354",
    "meta2": "#a50f15",
}

# metric key -> (test, field, short label, unit, higher_is_better)
METRICS = {
    "tcp_lat.p50_us": ("tcp_lat", "p50_us", "TCP p50", "µs", False),
    "tcp_lat.p90_us": ("tcp_lat", "p90_us", "TCP p90", "µs", False),
    "tcp_lat.p99_us": ("tcp_lat", "p99_us", "TCP p99", "µs", False),
    "tcp_lat.tps": ("tcp_lat", "tps", "TCP tps", "", True),
    "udp_lat.p50_us": ("udp_lat", "p50_us", "UDP p50", "µs", False),
    "udp_lat.p90_us": ("udp_lat", "p90_us", "UDP p90", "µs", False),
    "udp_lat.p99_us": ("udp_lat", "p99_us", "UDP p99", "µs", False),
    "udp_lat.tps": ("udp_lat", "tps", "UDP tps", "", True),
    "tcp_tput.gbps": ("tcp_tput", "gbps", "TCP", "Gbit/s", True),
    "tcp_insn.insn_per_txn": ("tcp_insn", "insn_per_txn", "instr/txn TCP", "", False),
    "udp_insn.insn_per_txn": ("udp_insn", "insn_per_txn", "instr/txn UDP", "", False),
    # Node scale (selftests/meta/pods.sh): meta, netkit and veth only.
    "pods_seq.us_per_pod": ("pods_seq", "us_per_pod", "pod churn", "µs/pod", False),
    "pods_par.us_per_pod": ("pods_par", "us_per_pod", "pod churn ×8", "µs/pod", False),
    "pods_seq_insn.insn_per_pod": ("pods_seq_insn", "insn_per_pod", "instr/pod", "", False),
    "pods_par_insn.insn_per_pod": ("pods_par_insn", "insn_per_pod", "instr/pod ×8", "", False),
    "pairs_mem.bytes_per_pair": ("pairs_mem", "bytes_per_pair", "kmem/pair", "B", False),
}
TESTS = sorted({m[0] for m in METRICS.values()})

# Columns of the Markdown tables: (metric key, header)
COLUMNS = [
    ("tcp_lat.p50_us", "TCP p50 µs"),
    ("tcp_lat.p99_us", "TCP p99 µs"),
    ("tcp_lat.tps", "TCP tps"),
    ("udp_lat.p50_us", "UDP p50 µs"),
    ("udp_lat.p99_us", "UDP p99 µs"),
    ("tcp_tput.gbps", "TCP Gbit/s"),
    ("tcp_insn.insn_per_txn", "instr/txn TCP"),
    ("udp_insn.insn_per_txn", "instr/txn UDP"),
]
# All metrics, for the ratio tables
RATIO_COLUMNS = [
    ("tcp_lat.p50_us", "TCP p50"),
    ("tcp_lat.p90_us", "TCP p90"),
    ("tcp_lat.p99_us", "TCP p99"),
    ("tcp_lat.tps", "TCP tps"),
    ("udp_lat.p50_us", "UDP p50"),
    ("udp_lat.p90_us", "UDP p90"),
    ("udp_lat.p99_us", "UDP p99"),
    ("udp_lat.tps", "UDP tps"),
    ("tcp_tput.gbps", "TCP Gbit/s"),
    ("tcp_insn.insn_per_txn", "instr/txn TCP"),
    ("udp_insn.insn_per_txn", "instr/txn UDP"),
    ("pods_seq.us_per_pod", "pod µs"),
    ("pods_par.us_per_pod", "pod µs ×8"),
    ("pods_seq_insn.insn_per_pod", "instr/pod"),
    ("pods_par_insn.insn_per_pod", "instr/pod ×8"),
    ("pairs_mem.bytes_per_pair", "kmem B/pair"),
]

TITLE = ("Pod network path: meta vs netkit vs veth vs host "
         "(TCG VM; ratios matter, not absolute times)")


def die(msg):
    print(f"benchreport: error: {msg}", file=sys.stderr)
    sys.exit(1)


def warn(msg):
    print(f"benchreport: warning: {msg}", file=sys.stderr)


def is_num(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


# --- input -----------------------------------------------------------------

def load_results(path):
    """Return (values, errors, reps, warnings).

    values[variant][metric] is the list of values over the reps; errors is
    the list of failed runs (dicts with variant, rep, test, error)."""
    if not os.path.isfile(path):
        die(f"{path} is missing")
    values = {v: {m: [] for m in METRICS} for v in VARIANTS}
    errors = []
    reps = set()
    nlines = 0
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            nlines += 1
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                warn(f"{path}:{lineno}: not JSON ({e}), counted as an error")
                errors.append({"variant": None, "rep": None, "test": None,
                               "error": f"line {lineno}: not JSON"})
                continue
            if not isinstance(rec, dict):
                warn(f"{path}:{lineno}: not a JSON object, ignored")
                continue
            variant, rep, test = rec.get("variant"), rec.get("rep"), rec.get("test")
            if isinstance(rep, int) and not isinstance(rep, bool):
                reps.add(rep)
            if rec.get("error") is not None:
                errors.append({"variant": variant, "rep": rep, "test": test,
                               "error": str(rec["error"])})
                continue
            if variant not in VARIANTS:
                warn(f"{path}:{lineno}: unknown variant {variant!r}, ignored")
                continue
            if test not in TESTS:
                warn(f"{path}:{lineno}: unknown test {test!r}, ignored")
                continue
            for key, (mtest, field, *_rest) in METRICS.items():
                if mtest != test:
                    continue
                v = rec.get(field)
                if is_num(v):
                    values[variant][key].append(float(v))
                else:
                    warn(f"{path}:{lineno}: {variant} rep {rep} {test}: "
                         f"field {field!r} missing or not a number")
    if nlines == 0:
        die(f"{path} is empty")
    return values, errors, reps


def load_machine(path):
    if not os.path.isfile(path):
        warn(f"{path} is missing; no machine description")
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        warn(f"{path}: cannot read ({e}); no machine description")
        return {}
    if not isinstance(m, dict):
        return {"machine": m}
    return m


# --- statistics --------------------------------------------------------------

def describe(xs):
    if not xs:
        return None
    xs = sorted(xs)
    med = statistics.median(xs)
    if len(xs) >= 2:
        q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    else:
        q1 = q3 = xs[0]
    spread = (q3 - q1) / med if med else None
    return {"n": len(xs), "median": med, "min": xs[0], "max": xs[-1],
            "q1": q1, "q3": q3, "rel_spread": spread}


def med(stats, variant, metric):
    s = stats.get(variant, {}).get(metric)
    return s["median"] if s else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def compute_ratios(stats):
    to_host, to_veth, mvn, mvn2 = {}, {}, {}, {}
    for v in VARIANTS:
        to_host[v] = {m: ratio(med(stats, v, m), med(stats, "host", m)) for m in METRICS}
        to_veth[v] = {m: ratio(med(stats, v, m), med(stats, "veth", m)) for m in METRICS}
    for m in METRICS:
        mvn[m] = ratio(med(stats, "meta", m), med(stats, "netkit", m))
        mvn2[m] = ratio(med(stats, "meta2", m), med(stats, "netkit2", m))
    return {"to_host": to_host, "to_veth": to_veth, "meta_vs_netkit": mvn,
            "meta2_vs_netkit2": mvn2}


def noise(stats, metric):
    """max relative spread of meta's and netkit's metric, None if unknown."""
    spreads = []
    for v in ("meta", "netkit"):
        s = stats.get(v, {}).get(metric)
        if not s or s["rel_spread"] is None:
            return None
        spreads.append(s["rel_spread"])
    return max(spreads)


def target(name, value, limit, op, detail):
    """op: "<=", ">=" or "<"."""
    if value is None or limit is None:
        return {"name": name, "value": value, "limit": limit, "op": op,
                "met": None, "status": "NO DATA", "detail": detail}
    met = {"<=": value <= limit, ">=": value >= limit, "<": value < limit}[op]
    return {"name": name, "value": value, "limit": limit, "op": op,
            "met": met, "status": "MET" if met else "NOT MET", "detail": detail}


def compute_targets(stats, ratios):
    th, tv, mvn = ratios["to_host"], ratios["to_veth"], ratios["meta_vs_netkit"]
    p50, gbps, insn = "tcp_lat.p50_us", "tcp_tput.gbps", "tcp_insn.insn_per_txn"
    out = []
    out.append(target("meta TCP p50 within 5% of host (meta/host)",
                      th["meta"][p50], 1.05, "<=", "median tcp_lat p50"))
    out.append(target("meta TCP p50 at least 10% below veth (meta/veth)",
                      tv["meta"][p50], 0.90, "<=", "median tcp_lat p50"))
    nz = noise(stats, p50)
    out.append(target("meta TCP p50 no worse than netkit beyond noise (meta/netkit)",
                      mvn[p50], None if nz is None else 1 + nz, "<=",
                      "limit = 1 + max rel. spread (q3-q1)/median of meta, netkit"
                      + ("" if nz is None else f" = 1 + {nz:.3f}")))
    nz = noise(stats, gbps)
    out.append(target("meta throughput no lower than netkit beyond noise (meta/netkit)",
                      mvn[gbps], None if nz is None else 1 - nz, ">=",
                      "limit = 1 - max rel. spread (q3-q1)/median of meta, netkit"
                      + ("" if nz is None else f" = 1 - {nz:.3f}")))
    out.append(target("[instructions] meta TCP instr/txn within 5% of host (meta/host)",
                      th["meta"][insn], 1.05, "<=", "median tcp_insn insn_per_txn"))
    out.append(target("[instructions] meta TCP instr/txn at least 10% below veth (meta/veth)",
                      tv["meta"][insn], 0.90, "<=", "median tcp_insn insn_per_txn"))
    out.append(target("[instructions] meta TCP instr/txn within 0.5% of netkit (meta/netkit)",
                      mvn[insn], 1.005, "<=", "instruction counts are near-deterministic"))
    out.append(target("[instructions] two programs: meta TCP instr/txn within 0.5% of netkit"
                      " (meta2/netkit2)", ratios["meta2_vs_netkit2"][insn], 1.005, "<=",
                      "tally.bpf.o, then redirect_neigh, on the pod's end"))
    for m, what in (("pods_seq_insn.insn_per_pod", "one shard"),
                    ("pods_par_insn.insn_per_pod", "8 shards at once")):
        out.append(target(f"[instructions] pod churn, {what}: meta instr/pod no more than netkit's"
                          " (meta/netkit)", mvn[m], 1.0, "<=",
                          "a netns, a pair, an address, both ends up, then removed"))
    mem = "pairs_mem.bytes_per_pair"
    out.append(target("kernel memory per pair at most 1.1x netkit's (meta/netkit)",
                      mvn[mem], 1.1, "<=", "slab + per-CPU + vmalloc, /proc/meminfo"))
    out.append(target("kernel memory per pair below veth's (meta/veth)",
                      tv["meta"][mem], 1.0, "<", "slab + per-CPU + vmalloc, /proc/meminfo"))
    return out


# --- formatting --------------------------------------------------------------

def fmt(x, metric=None):
    if x is None:
        return "–"
    if metric and metric.endswith("insn_per_txn"):
        return f"{x:,.0f}"
    if metric and metric.endswith(".tps"):
        return f"{x:,.0f}"
    if metric and metric.endswith(".gbps"):
        return f"{x:.2f}" if x < 100 else f"{x:.0f}"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_ratio(x):
    return "–" if x is None else f"{x:.3f}"


def better(metric):
    return "higher better" if METRICS[metric][4] else "lower better"


def md_report(stats, ratios, targets, errors, machine, reps, n_ok):
    L = []
    L.append("# Pod network path benchmark: meta vs netkit vs veth vs host")
    L.append("")
    L.append(f"{len(reps)} reps, variants measured interleaved; {n_ok} runs used, "
             f"{len(errors)} failed. Cells: median [q1–q3] over the reps. "
             "TCG VM: absolute times are inflated, compare the ratios.")
    L.append("")

    L.append("## Medians")
    L.append("")
    hdr = ["variant"] + [f"{h} ({'↑' if METRICS[m][4] else '↓'})" for m, h in COLUMNS] + ["n"]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "|".join(["---"] + ["--:"] * (len(hdr) - 1)) + "|")
    for v in VARIANTS:
        cells = [f"**{LABELS[v]}**" if v == "meta" else LABELS[v]]
        ns = []
        for m, _ in COLUMNS:
            s = stats[v].get(m)
            if not s:
                cells.append("no data")
                continue
            ns.append(s["n"])
            cells.append(f"{fmt(s['median'], m)} [{fmt(s['q1'], m)}–{fmt(s['q3'], m)}]")
        cells.append(f"{min(ns)}–{max(ns)}" if ns and min(ns) != max(ns) else
                     (str(ns[0]) if ns else "0"))
        L.append("| " + " | ".join(cells) + " |")
    L.append("")
    L.append("↓ lower is better (latency, instructions per transaction); "
             "↑ higher is better (transactions per second, throughput). "
             "n: reps with data (range over the metrics).")
    L.append("")

    L.append("## Ratios of medians")
    L.append("")
    for key, base in (("to_host", "host"), ("to_veth", "veth")):
        L.append(f"Variant / {base}:")
        L.append("")
        hdr = ["variant"] + [f"{h} ({better(m)})" for m, h in RATIO_COLUMNS]
        L.append("| " + " | ".join(hdr) + " |")
        L.append("|" + "|".join(["---"] + ["--:"] * (len(hdr) - 1)) + "|")
        for v in VARIANTS:
            name = f"**{LABELS[v]}**" if v == "meta" else LABELS[v]
            L.append("| " + " | ".join([name] + [fmt_ratio(ratios[key][v][m])
                                                  for m, _ in RATIO_COLUMNS]) + " |")
        L.append("")

    L.append("## meta vs netkit")
    L.append("")
    parts = [f"{h} {fmt_ratio(ratios['meta_vs_netkit'][m])}"
             for m, h in RATIO_COLUMNS]
    L.append("meta/netkit: " + ", ".join(parts) + ".")
    parts = [f"{h} {fmt_ratio(ratios['meta2_vs_netkit2'][m])}"
             for m, h in RATIO_COLUMNS]
    L.append("")
    L.append("With two programs on the pod's end (tally, then redirect_neigh), "
             "meta2/netkit2: " + ", ".join(parts) + ".")
    L.append("(< 1 is better for latency and instructions, > 1 is better for tps and Gbit/s.)")
    L.append("")

    L.append("## Targets")
    L.append("")
    for t in targets:
        if t["status"] == "NO DATA":
            L.append(f"- **NO DATA** – {t['name']}: no data")
        else:
            L.append(f"- **{t['status']}** – {t['name']}: {t['value']:.3f} "
                     f"{t['op']} {t['limit']:.3f} ({t['detail']})")
    L.append("")
    L.append("Targets on instructions (tcp_insn, separate VM boot under a TCG "
             "plugin) are a load-independent second view of the same comparisons.")
    L.append("")

    L.append(f"## Errors ({len(errors)})")
    L.append("")
    if errors:
        for e in errors:
            if e["variant"] is None and e["rep"] is None and e["test"] is None:
                L.append(f"- {e['error']}")
            else:
                L.append(f"- {e['variant'] or '?'} rep {e['rep'] if e['rep'] is not None else '?'}"
                         f" {e['test'] or '?'}: {e['error']}")
    else:
        L.append("none")
    L.append("")

    L.append("## Machine and method")
    L.append("")
    if machine:
        for k, v in machine.items():
            if not isinstance(v, str):
                v = json.dumps(v, ensure_ascii=False)
            L.append(f"- **{k}**: {v}")
    else:
        L.append("no machine.json")
    L.append("")
    return "\n".join(L)


# --- plot --------------------------------------------------------------------

def plot(stats, ratios, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(2, 2, figsize=(14, 9), dpi=100)
    fig.suptitle(TITLE, fontsize=13)

    def no_data(ax, title):
        ax.set_title(title)
        ax.text(0.5, 0.5, "no data", ha="center", va="center",
                fontsize=16, color="grey", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])

    def grouped(ax, metrics, groups, ylabel, title, fmtval):
        present = [any(stats[v].get(m) for v in VARIANTS) for m in metrics]
        if not any(present):
            no_data(ax, title)
            return
        nv = len(VARIANTS)
        width = 0.8 / nv
        for i, v in enumerate(VARIANTS):
            xs, ys, lo, hi = [], [], [], []
            for g, m in enumerate(metrics):
                s = stats[v].get(m)
                if not s:
                    continue
                xs.append(g + (i - (nv - 1) / 2) * width)
                ys.append(s["median"])
                lo.append(s["median"] - s["q1"])
                hi.append(s["q3"] - s["median"])
            if not xs:
                continue
            edge = "black" if v == "meta" else "none"
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, color=COLORS[v],
                   edgecolor=edge, linewidth=1.2 if v == "meta" else 0,
                   label=LABELS[v], error_kw={"elinewidth": 1})
            for x, y, h in zip(xs, ys, hi):
                ax.annotate(fmtval(y), (x, y + h), xytext=(0, 3),
                            textcoords="offset points", ha="center",
                            va="bottom", fontsize=7, rotation=90)
        ax.set_xticks(range(len(metrics)))
        ax.set_xticklabels(groups)
        ax.set_xlim(-0.5, len(metrics) - 0.5)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.margins(y=0.18)
        ax.grid(axis="y", alpha=0.3)
        for g, m in enumerate(metrics):
            if not present[g]:
                ax.text(g, 0.5, "no data", ha="center", va="center", color="grey",
                        transform=ax.get_xaxis_transform())

    def single(ax, metric, ylabel, title, fmtval):
        present = any(stats[v].get(metric) for v in VARIANTS)
        if not present:
            no_data(ax, title)
            return
        xs, ys, lo, hi, cols, edges = [], [], [], [], [], []
        for i, v in enumerate(VARIANTS):
            s = stats[v].get(metric)
            if not s:
                continue
            xs.append(i)
            ys.append(s["median"])
            lo.append(s["median"] - s["q1"])
            hi.append(s["q3"] - s["median"])
            cols.append(COLORS[v])
            edges.append("black" if v == "meta" else cols[-1])
        ax.bar(xs, ys, 0.6, yerr=[lo, hi], capsize=4, color=cols,
               edgecolor=edges, linewidth=1.2)
        for x, y, h in zip(xs, ys, hi):
            r = ratios["to_host"][VARIANTS[x]][metric]
            lab = fmtval(y) + ("" if r is None else f"\n×{r:.2f} host")
            ax.annotate(lab, (x, y + h), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(VARIANTS)))
        ax.set_xticklabels([LABELS[v].replace(" + ", "\n+ ") for v in VARIANTS])
        for lab, v in zip(ax.get_xticklabels(), VARIANTS):
            if v == "meta":
                lab.set_color(COLORS["meta"])
                lab.set_fontweight("bold")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.margins(y=0.2)
        ax.grid(axis="y", alpha=0.3)

    grouped(axs[0][0], ["tcp_lat.p50_us", "udp_lat.p50_us"], ["TCP", "UDP"],
            "µs (one-way, sockperf)", "(a) p50 latency, median [q1–q3] (lower is better)",
            fmt)
    single(axs[0][1], "tcp_lat.p99_us", "µs (one-way, sockperf)",
           "(b) TCP p99 latency (lower is better)", fmt)
    grouped(axs[1][0], ["tcp_insn.insn_per_txn", "udp_insn.insn_per_txn"], ["TCP", "UDP"],
            "guest instructions / transaction",
            "(c) instructions per transaction (lower is better)",
            lambda y: f"{y / 1000:.1f}k")
    single(axs[1][1], "tcp_tput.gbps", "Gbit/s (iperf3, 1 stream)",
           "(d) TCP throughput (higher is better)",
           lambda y: fmt(y, "tcp_tput.gbps"))

    handles = [plt.Rectangle((0, 0), 1, 1, color=COLORS[v],
                             ec="black" if v == "meta" else COLORS[v]) for v in VARIANTS]
    fig.legend(handles, [LABELS[v] for v in VARIANTS], loc="lower center",
               ncol=len(VARIANTS), frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- main --------------------------------------------------------------------

def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(0 if len(argv) == 2 else 2)
    d = argv[1]
    if not os.path.isdir(d):
        die(f"{d} is not a directory")
    values, errors, reps = load_results(os.path.join(d, "results.jsonl"))
    machine = load_machine(os.path.join(d, "machine.json"))

    empty = [v for v in VARIANTS if not any(values[v].values())]
    if empty:
        die("no data for variant(s): " + ", ".join(empty)
            + f" ({len(errors)} failed runs in results.jsonl)")

    stats = {v: {} for v in VARIANTS}
    n_ok = 0
    for v in VARIANTS:
        for m in METRICS:
            s = describe(values[v][m])
            if s:
                stats[v][m] = s
    # runs used: one per (variant, test) line with at least one value; count
    # via the metric with the most values per test
    for v in VARIANTS:
        for t in TESTS:
            n_ok += max(len(values[v][m]) for m in METRICS if METRICS[m][0] == t)

    ratios = compute_ratios(stats)
    targets = compute_targets(stats, ratios)
    md = md_report(stats, ratios, targets, errors, machine, reps, n_ok)

    out = {
        "machine": machine,
        "variants": VARIANTS,
        "labels": LABELS,
        "metrics": {m: {"test": t, "field": f, "unit": u,
                        "better": "higher" if hb else "lower"}
                    for m, (t, f, _l, u, hb) in METRICS.items()},
        "stats": stats,
        "ratios": ratios,
        "targets": targets,
        "errors": errors,
        "reps": len(reps),
    }
    with open(os.path.join(d, "bench.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(d, "bench.md"), "w", encoding="utf-8") as f:
        f.write(md)
    plot(stats, ratios, os.path.join(d, "bench.png"))
    print(md, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
