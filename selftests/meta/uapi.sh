#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# include/uapi/linux/if_meta.h is the single source of truth of the netlink
# UAPI: the driver's constants (meta/uapi.rs) and the CLI's
# (tools/metactl/src/uapi.rs) must have the same names and values, and every
# name of the header must be in both.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

require_cmd python3
out=$(python3 - "$META_REPO" <<'PY'
import re, sys
root = sys.argv[1]
hdr = open(root + "/include/uapi/linux/if_meta.h").read()
want = {}
for body in re.findall(r"enum\s*\w*\s*\{(.*?)\}", hdr, re.S):
    n = 0
    for line in body.split("\n"):
        line = line.split("/*")[0].strip().rstrip(",")
        if not line:
            continue
        m = re.match(r"(\w+)\s*(?:=\s*(-?\d+))?$", line)
        if not m:
            print("FAIL: cannot parse header line: " + line)
            continue
        if m.group(2) is not None:
            n = int(m.group(2))
        want[m.group(1)] = n
        n += 1
m = re.search(r"#define\s+IFLA_META_MAX\s+\(__IFLA_META_MAX - 1\)", hdr)
want["IFLA_META_MAX"] = want["__IFLA_META_MAX"] - 1
del want["__IFLA_META_MAX"]
for f, skip in (("meta/uapi.rs", ("IFLA_META_UNSPEC", "META_NEXT", "META_REDIRECT")),
                ("tools/metactl/src/uapi.rs", ("IFLA_META_UNSPEC",))):
    try:
        src = open(root + "/" + f).read()
    except OSError as e:
        print("FAIL: %s: %s" % (f, e))
        continue
    bad = 0
    got = {k: int(v) for k, v in re.findall(r"pub(?:\(crate\))?\s+const\s+(\w+)\s*:\s*\w+\s*=\s*(-?\d+)\s*;", src)}
    for k, v in want.items():
        if k in skip and k not in got:
            continue
        if k not in got:
            print("FAIL: %s lacks %s" % (f, k)); bad += 1
        elif got[k] != v:
            print("FAIL: %s: %s = %d, header says %d" % (f, k, got[k], v)); bad += 1
    for k in got:
        if k not in want:
            print("FAIL: %s: %s is not in the header" % (f, k)); bad += 1
    if not bad:
        print("ok: %s agrees with the header (%d constants)" % (f, len(got)))
PY
)
while IFS= read -r line; do
	case $line in
	ok:*) ok "${line#ok: }" ;;
	*) fail "${line#FAIL: }" ;;
	esac
done <<<"$out"
meta_exit
