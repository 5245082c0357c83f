#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Structured netlink fuzzer for the rtnl_link kind "meta".

Random RTM_NEWLINK / RTM_SETLINK / RTM_DELLINK / RTM_GETLINK requests are
built from a grammar of the UAPI (include/uapi/linux/if_meta.h, parsed at
start-up) and of the generic IFLA_* attributes: right and wrong sizes, values
in range, at the boundary and out of range, nests that are truncated or carry
garbage, the retired types 11-14 (the prototype's program attach through
netlink: IFLA_META_BPF_FD, PEER_BPF_FD, BPF_ID, PEER_BPF_ID) carrying program
fds of every kind and other values in any size, namespaces by fd and by pid,
names and ifindexes that are fresh, taken or invalid. Between requests the
tool sends traffic over the devices that are up (AF_PACKET), loads and closes
programs (whose fds the retired types carry), and creates and deletes network
namespaces that hold ends of pairs. Programs attach through bpf(2)
(BPF_NETKIT_PRIMARY / BPF_NETKIT_PEER), which this tool does not exercise.

After every request an oracle checks:
  - pairs: every meta device of every namespace the tool manages has its
    peer (IFLA_LINK, IFLA_LINK_NETNSID) in a managed namespace, pointing
    back, and exactly one end of each pair is the primary;
  - policies: IFLA_META_POLICY / PEER_POLICY of each primary are the ones
    the accepted requests set (a model of each pair);
  - what the kernel reports: each end of a pair shows exactly the types
    fill_info() emits (PRIMARY, POLICY, MODE, SCRUB, HEADROOM, TAILROOM,
    PEER_POLICY, PEER_SCRUB), in dumps and in RTM_GETLINK replies, never a
    retired one;
  - the retired types: an RTM_NEWLINK whose IFLA_INFO_DATA carries one is
    refused and changes nothing; when the core certainly reaches meta's
    policy (see Oracle.reaches_data()) and a retired type is the first
    attribute that the policy refuses (Oracle.policy_refusal()), with EINVAL
    and RETIRED_MSG; and no other request gets RETIRED_MSG;
  - a refused request changed nothing (the dump of the meta devices of all
    managed namespaces is the same before and after), for requests that
    rtnetlink applies atomically (see Oracle.strict()) and for every request
    that carries a retired type (refused before anything is applied);
and at the end, after deleting every device and closing every fd, that each
program the tool loaded is freed (BPF_PROG_GET_FD_BY_ID gets ENOENT, waiting
up to 30 s for RCU): no refused request kept a reference to the program
whose fd it carried.

Everything runs in one process (a process start costs about a second in the
project's TCG guest); namespaces are made with unshare(2)/setns(2) on the
calling thread, and a forked child (no exec) sits in some of them so that
IFLA_NET_NS_PID has something to point at.

The requests are reproducible from the seed: "fuzz.py --seed S --replay-to N"
replays the run up to request N and shows it. Python 3.11, standard library.
"""

import argparse
import collections
import ctypes
import errno
import os
import platform
import random
import re
import signal
import socket
import struct
import sys
import time

# --- UAPI -------------------------------------------------------------------


def parse_enums(path):
    """Every enumerator of the C header at PATH: {name: value}.

    Handles "NAME," and "NAME = EXPR," where EXPR is an integer (possibly
    negative) or an earlier name, and "#define NAME (EXPR)" of the same.
    """
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    names = {}

    def value(expr):
        expr = expr.strip().strip("()").strip()
        m = re.fullmatch(r"(\w+)\s*([-+])\s*(\d+)", expr)
        if m:
            base = value(m.group(1))
            return base - int(m.group(3)) if m.group(2) == "-" else base + int(m.group(3))
        if expr in names:
            return names[expr]
        return int(expr, 0)

    for body in re.findall(r"enum\s*\w*\s*\{(.*?)\}", text, flags=re.S):
        nxt = 0
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            name, _, expr = item.partition("=")
            name = name.strip()
            v = value(expr) if expr else nxt
            names[name] = v
            nxt = v + 1
    for name, expr in re.findall(r"#define\s+(\w+)\s+(\([^)\n]*\)|-?\w+)\s*$", text, flags=re.M):
        try:
            names[name] = value(expr)
        except ValueError:
            pass
    return names


# The prototype attached one program per end through netlink with these types;
# the header keeps their enum entries, marked retired, so that the numbers are
# not reused. The kernel's policy refuses them (NLA_REJECT) in every request,
# whatever their size, with this extended ack message (RETIRED, meta/meta.rs).
RETIRED_NAMES = ("BPF_FD", "PEER_BPF_FD", "BPF_ID", "PEER_BPF_ID")
RETIRED_MSG = ("Programs attach through bpf(2) with BPF_NETKIT_PRIMARY or BPF_NETKIT_PEER, "
               "not netlink")
# The names the tool takes from the header (IFLA_META_<name> and others).
META_NAMES = ("PEER_INFO", "PRIMARY", "POLICY", "PEER_POLICY", "MODE", "SCRUB", "PEER_SCRUB",
              "HEADROOM", "TAILROOM", "PAIRING") + RETIRED_NAMES
HEADER_NEEDS = tuple("IFLA_META_" + n for n in META_NAMES) + (
    "IFLA_META_MAX", "META_PASS", "META_DROP", "META_SCRUB_DEFAULT")


def find_header():
    repo = os.environ.get("META_REPO")
    if repo:
        return os.path.join(repo, "include/uapi/linux/if_meta.h")
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "../../include/uapi/linux/if_meta.h")


# --- rtnetlink constants (generic, not meta's) --------------------------------

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLM_F_EXCL, NLM_F_CREATE = 0x200, 0x400
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLM_F_DUMP_INTR = 0x10
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
RTM_GETNSID = 90
NETNSA_NSID, NETNSA_FD = 1, 3
RTM_NAMES = {RTM_NEWLINK: "NEWLINK", RTM_DELLINK: "DELLINK", RTM_GETLINK: "GETLINK",
             RTM_SETLINK: "SETLINK"}

IFLA_ADDRESS, IFLA_BROADCAST, IFLA_IFNAME, IFLA_MTU, IFLA_LINK = 1, 2, 3, 4, 5
IFLA_TXQLEN, IFLA_LINKINFO, IFLA_NET_NS_PID, IFLA_IFALIAS = 13, 18, 19, 20
IFLA_GROUP, IFLA_NET_NS_FD, IFLA_NUM_TX_QUEUES, IFLA_NUM_RX_QUEUES = 27, 28, 31, 32
IFLA_LINK_NETNSID, IFLA_GSO_MAX_SIZE, IFLA_TARGET_NETNSID = 37, 41, 46
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_DATA = 1, 2, 5
NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK = 0x8000, 0x4000, 0x3FFF
IFF_UP = 0x1
IFNAMSIZ = 16
MAX_ADDR_LEN, IFALIASZ = 32, 256

CLONE_NEWNET = 0x40000000

# --- netlink encoder / decoder --------------------------------------------------


def align4(n):
    return (n + 3) & ~3


def nla(atype, payload=b""):
    """One attribute, padded to 4 bytes."""
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * (align4(len(payload)) - len(payload))


def nest(atype, *attrs):
    return nla(atype | NLA_F_NESTED, b"".join(attrs))


def ifinfomsg(index=0, flags=0, change=0, family=0, itype=0):
    return struct.pack("=BxHiII", family, itype, index, flags, change)


def nlmsg(mtype, flags, seq, payload):
    return struct.pack("=IHHII", 16 + len(payload), mtype, flags, seq, 0) + payload


def parse_attrs(buf):
    """Attributes of BUF as rtnetlink's liberal parser sees them: a list of
    (type without flags, payload); stops at the first malformed header."""
    out, off = [], 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, off)
        if alen < 4 or off + alen > len(buf):
            break
        out.append((atype & NLA_TYPE_MASK, buf[off + 4:off + alen]))
        off += align4(alen)
    return out


def last(attrs, atype):
    """The payload of the last attribute of ATYPE (the one nla_parse keeps)."""
    found = None
    for t, p in attrs:
        if t == atype:
            found = p
    return found


def cstr(payload):
    return payload.split(b"\0", 1)[0].decode("latin-1")


class Link:
    """One link of an RTM_NEWLINK message (a dump entry)."""

    def __init__(self, ns, msg):
        _, _, self.index, self.flags, _ = struct.unpack_from("=BxHiII", msg, 0)
        self.ns = ns
        attrs = dict(parse_attrs(msg[16:]))
        self.name = cstr(attrs.get(IFLA_IFNAME, b""))
        self.mtu = struct.unpack("=I", attrs[IFLA_MTU])[0] if IFLA_MTU in attrs else None
        self.address = attrs.get(IFLA_ADDRESS, b"").hex()
        self.txqlen = attrs.get(IFLA_TXQLEN, b"").hex()
        # rtnetlink omits IFLA_LINK when iflink is the device's own ifindex.
        self.iflink = struct.unpack("=I", attrs[IFLA_LINK])[0] if IFLA_LINK in attrs else self.index
        self.netnsid = struct.unpack("=i", attrs[IFLA_LINK_NETNSID])[0] \
            if IFLA_LINK_NETNSID in attrs else None
        info = dict(parse_attrs(attrs.get(IFLA_LINKINFO, b"")))
        self.kind = cstr(info.get(IFLA_INFO_KIND, b""))
        self.data = dict(parse_attrs(info.get(IFLA_INFO_DATA, b"")))
        self.peer_ns = None  # resolved by the oracle

    def u32(self, atype):
        p = self.data.get(atype)
        return struct.unpack("=I", p[:4])[0] if p is not None and len(p) >= 4 else None

    def key(self):
        return (self.ns.name, self.index)

    def snapshot(self):
        """What a refused request must not change."""
        return (self.ns.name, self.index, self.name, self.iflink,
                self.peer_ns.name if self.peer_ns else None, self.flags & IFF_UP,
                self.mtu, self.address, self.txqlen,
                tuple(sorted((t, p.hex()) for t, p in self.data.items())))

    def __repr__(self):
        return "%s:%s(%d)" % (self.ns.name, self.name, self.index)


class Rtnl:
    """A NETLINK_ROUTE socket with extended acks, bound in the namespace the
    thread is in when it is made."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC,
                                  NETLINK_ROUTE)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((0, 0))
        self.seq = int(time.time()) & 0xFFFF

    def close(self):
        self.sock.close()

    def send(self, mtype, flags, payload):
        """Send one request; returns (its bytes, seq)."""
        self.seq += 1
        msg = nlmsg(mtype, flags | NLM_F_REQUEST, self.seq, payload)
        self.sock.send(msg)
        return msg, self.seq

    def recv_until(self, seq, dump=False):
        """Messages answering SEQ: (errno, extack message, [payloads],
        interrupted). errno 0 is success."""
        msgs, intr = [], False
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                mlen, mtype, mflags, mseq, _ = struct.unpack_from("=IHHII", data, off)
                body = data[off + 16:off + mlen]
                off += align4(mlen)
                if mseq != seq:
                    continue
                if mflags & NLM_F_DUMP_INTR:
                    intr = True
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body, 0)[0]
                    return err, self._extack(mflags, body), msgs, intr
                if mtype == NLMSG_DONE:
                    err = -struct.unpack_from("=i", body, 0)[0] if len(body) >= 4 else 0
                    return err, self._extack(mflags, body) if err else "", msgs, intr
                msgs.append((mtype, body))

    @staticmethod
    def _extack(mflags, body):
        """NLMSGERR_ATTR_MSG of an ack (struct nlmsgerr, then TLVs)."""
        if not mflags & NLM_F_ACK_TLVS:
            return ""
        if len(body) < 20:
            return ""
        off = 20 if mflags & NLM_F_CAPPED else 4 + struct.unpack_from("=I", body, 4)[0]
        msg = last(parse_attrs(body[align4(off):]), NLMSGERR_ATTR_MSG)
        return cstr(msg) if msg else ""

    def request(self, mtype, flags, payload):
        msg, seq = self.send(mtype, flags | NLM_F_ACK, payload)
        err, ext, msgs, _ = self.recv_until(seq)
        return msg, err, ext, msgs

    def dump_links(self, kind=None):
        """RTM_GETLINK dump (filtered by kind when given): [payload]."""
        payload = ifinfomsg()
        if kind:
            payload += nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, kind.encode() + b"\0"))
        for _ in range(10):
            _, seq = self.send(RTM_GETLINK, NLM_F_DUMP, payload)
            err, ext, msgs, intr = self.recv_until(seq, dump=True)
            if err:
                raise OSError(err, "link dump: %s" % ext)
            if not intr:
                return [b for t, b in msgs if t == RTM_NEWLINK]
        raise OSError(errno.EINTR, "link dump interrupted 10 times")

    def nsid_of(self, nsfd):
        """The id of the namespace of NSFD as seen from this socket's, or -1."""
        _, err, _, msgs = self.request(RTM_GETNSID, 0, b"\0\0\0\0" + nla(NETNSA_FD,
                                                                           struct.pack("=I", nsfd)))
        if err:
            return -1
        for _, body in msgs:
            v = last(parse_attrs(body[4:]), NETNSA_NSID)
            if v is not None:
                return struct.unpack("=i", v)[0]
        return -1


# --- system calls: namespaces and bpf(2) --------------------------------------

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def _check(rc, what):
    if rc < 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))
    return rc


def setns(fd):
    _check(libc.setns(fd, CLONE_NEWNET), "setns")


def unshare_net():
    _check(libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")


SYS_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280}.get(platform.machine(), 321)
BPF_MAP_CREATE, BPF_PROG_LOAD, BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD = 0, 5, 13, 15
BPF_MAP_TYPE_ARRAY = 2
BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_XDP = 3, 6
# r0 = 0 (BPF_ALU64 | BPF_MOV | BPF_K); exit (BPF_JMP | BPF_EXIT)
PROG_INSNS = struct.pack("=BBhi", 0xB7, 0, 0, 0) + struct.pack("=BBhi", 0x95, 0, 0, 0)


def bpf(cmd, attr):
    """bpf(2) with ATTR (bytes); returns (result, errno)."""
    buf = ctypes.create_string_buffer(attr, 144)
    rc = libc.syscall(SYS_BPF, cmd, buf, 144)
    return (rc, 0) if rc >= 0 else (-1, ctypes.get_errno())


def prog_load(ptype):
    insns = ctypes.create_string_buffer(PROG_INSNS, len(PROG_INSNS))
    lic = ctypes.create_string_buffer(b"GPL")
    attr = struct.pack("=IIQQIIQII16s", ptype, 2, ctypes.addressof(insns),
                       ctypes.addressof(lic), 0, 0, 0, 0, 0, b"fuzz")
    fd, e = bpf(BPF_PROG_LOAD, attr)
    if fd < 0:
        raise OSError(e, "BPF_PROG_LOAD type %d: %s" % (ptype, os.strerror(e)))
    return fd


def prog_id(fd):
    info = ctypes.create_string_buffer(16)
    rc, e = bpf(BPF_OBJ_GET_INFO_BY_FD, struct.pack("=IIQ", fd, 16, ctypes.addressof(info)))
    if rc < 0:
        raise OSError(e, "BPF_OBJ_GET_INFO_BY_FD: %s" % os.strerror(e))
    return struct.unpack_from("=I", info, 4)[0]


def prog_alive(pid):
    """Whether program PID exists (BPF_PROG_GET_FD_BY_ID)."""
    fd, e = bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("=III", pid, 0, 0))
    if fd >= 0:
        os.close(fd)
        return True
    if e != errno.ENOENT:
        raise OSError(e, "BPF_PROG_GET_FD_BY_ID %d: %s" % (pid, os.strerror(e)))
    return False


def map_create():
    fd, e = bpf(BPF_MAP_CREATE, struct.pack("=IIIII", BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0))
    if fd < 0:
        raise OSError(e, "BPF_MAP_CREATE: %s" % os.strerror(e))
    return fd


class Progs:
    """The programs the tool loaded: every id ever loaded (for the leak check
    at the end), and the open fds (values that the retired BPF_FD types
    carry, as the prototype's clients sent them)."""

    def __init__(self):
        self.ids = []           # every program loaded (for the leak check)
        self.open = {}          # fd -> (type, id)
        self.closed_fds = []    # fd numbers closed (values for "closed fd")

    def load(self, ptype):
        fd = prog_load(ptype)
        pid = prog_id(fd)
        self.ids.append(pid)
        self.open[fd] = (ptype, pid)
        return fd

    def close(self, fd):
        del self.open[fd]
        os.close(fd)
        self.closed_fds.append(fd)

    def fds(self, ptype):
        return sorted(fd for fd, (t, _) in self.open.items() if t == ptype)

    def close_all(self):
        for fd in list(self.open):
            self.close(fd)


# --- namespaces -----------------------------------------------------------------


class Netns:
    """A namespace the tool manages: its fd, an rtnetlink socket in it, and
    maybe a child process sitting in it (for IFLA_NET_NS_PID)."""

    def __init__(self, name, fd, origin):
        self.name, self.fd, self.origin = name, fd, origin
        self.rtnl = None
        self.pkt = None
        self.child = None
        self.inode = os.fstat(fd).st_ino
        self.others = {}        # non-meta links at start: name -> ifindex

    def close(self):
        if self.child:
            os.kill(self.child, signal.SIGKILL)
            os.waitpid(self.child, 0)
            self.child = None
        for s in (self.rtnl, self.pkt):
            if s:
                s.close()
        self.rtnl = self.pkt = None
        os.close(self.fd)


class Namespaces:
    """The managed namespaces: the tool's own, the named ones given with
    --netns, and the ones the tool makes and deletes (netns churn)."""

    def __init__(self, named, kind):
        self.kind = kind
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        self.all = []
        self.made = 0
        self.nsid_cache = {}
        self.add(Netns("self", os.dup(self.home), "self"))
        for n in named:
            self.add(Netns(n, os.open("/run/netns/" + n, os.O_RDONLY | os.O_CLOEXEC), "run"))

    def _in(self, ns, fn):
        setns(ns.fd)
        try:
            return fn()
        finally:
            setns(self.home)

    def add(self, ns):
        ns.rtnl = self._in(ns, Rtnl)
        for body in ns.rtnl.dump_links():
            link = Link(ns, body)
            if link.kind != self.kind:
                ns.others[link.name] = link.index
        self.all.append(ns)
        self.nsid_cache.clear()

    def make(self, with_child):
        """A new namespace (unshare on this thread, then back home)."""
        self.made += 1
        unshare_net()
        try:
            fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        finally:
            setns(self.home)
        ns = Netns("made%d" % self.made, fd, "made")
        self.add(ns)
        # lo up, so that the namespace looks like a container's.
        ns.rtnl.request(RTM_SETLINK, 0, ifinfomsg(ns.others.get("lo", 1), IFF_UP, IFF_UP))
        if with_child:
            ns.child = self._holder(fd)
        return ns

    @staticmethod
    def _holder(fd):
        """Fork a child that sits in the namespace of FD and holds nothing
        else (it closes every inherited fd)."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                setns(fd)
                libc.prctl(1, signal.SIGKILL, 0, 0, 0)     # PR_SET_PDEATHSIG
                null = os.open("/dev/null", os.O_RDWR)
                for i in range(3):
                    os.dup2(null, i)
                os.closerange(3, w)
                os.closerange(w + 1, 65536)
                os.write(w, b"x")
                os.close(w)
                while True:
                    signal.pause()
            finally:
                os._exit(0)
        os.close(w)
        os.read(r, 1)
        os.close(r)
        return pid

    def remove(self, ns):
        self.all.remove(ns)
        ns.close()
        self.nsid_cache.clear()

    def ids_seen(self):
        """The namespace ids (>= 0) the tool has resolved so far."""
        return sorted({nsid for (_, nsid) in self.nsid_cache if nsid >= 0})

    def by_name(self, name):
        return next(n for n in self.all if n.name == name)

    def resolve(self, ns, nsid):
        """The managed namespace whose id in NS is NSID, or None."""
        key = (ns.name, nsid)
        if key not in self.nsid_cache:
            for other in self.all:
                if other is not ns:
                    self.nsid_cache[(ns.name, ns.rtnl.nsid_of(other.fd))] = other
        return self.nsid_cache.get(key)

    def packet_socket(self, ns):
        if ns.pkt is None:
            ns.pkt = self._in(ns, lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW
                                                        | socket.SOCK_CLOEXEC, 0))
        return ns.pkt


# --- the grammar ------------------------------------------------------------------


class Grammar:
    """Random requests over the UAPI. Every choice comes from self.rng, and
    the live state (devices, fds) is read in a fixed order, so a seed gives
    the same requests against the same kernel."""

    def __init__(self, rng, uapi, kind, nss, progs, files):
        self.rng, self.u, self.kind, self.nss, self.progs = rng, uapi, kind, nss, progs
        self.files = files          # fds that are not programs: {label: fd}
        self.names = 0
        self.view = {}              # set by the caller: {ns name: [Link]}
        u = uapi
        self.enum_u32 = sorted({v & 0xFFFFFFFF for k, v in u.items()
                                if k.startswith("META_")} | {1, 3, 7, 0x7FFFFFFF, 0x80000000,
                                                             0xFFFFFFFF, 0xFFFFFFFE})
        a = {k[len("IFLA_META_"):]: v for k, v in u.items()
             if k.startswith("IFLA_META_") and not k.startswith("IFLA_META_MAX")}
        self.A = a
        self.max = u["IFLA_META_MAX"]

    # - small values

    def pick(self, *choices):
        return self.rng.choice(choices)

    def weighted(self, table):
        """TABLE: [(weight, fn)]; calls one."""
        total = sum(w for w, _ in table)
        x = self.rng.uniform(0, total)
        for w, fn in table:
            x -= w
            if x <= 0:
                return fn()
        return table[-1][1]()

    def sized(self, value, size, natural, wrong=0.12):
        """VALUE (int) in SIZE bytes, little endian; NATURAL is the right size.
        Wrong sizes (with probability WRONG): 0, 1, 2, 4, 8, 17 bytes."""
        if self.rng.random() < wrong:
            size = self.pick(0, 1, 2, 4, 8, 17)
        raw = (value & ((1 << (8 * max(natural, 1))) - 1)).to_bytes(max(natural, 1), "little")
        if size <= len(raw):
            return raw[:size]
        return raw + bytes(self.rng.getrandbits(8) if self.rng.random() < 0.5 else 0
                           for _ in range(size - len(raw)))

    def fresh_name(self):
        self.names += 1
        return "fz%d" % self.names

    def links(self, ns=None, kind=True):
        out = []
        for n in self.nss.all:
            if ns is None or n is ns:
                out += self.view.get(n.name, [])
        return out

    # - names, indexes, namespaces, fds

    def ifname(self, ns):
        """An IFLA_IFNAME payload for a new device in NS."""
        metas = self.links()
        return self.weighted([
            (60, lambda: self.fresh_name().encode() + b"\0"),
            (5, lambda: b"fz%d\0"),
            (4, lambda: b"x" * self.pick(15, 16, 17, 40) + b"\0"),
            (2, lambda: b"x" * 16),     # no terminator
            (2, lambda: b"\0"),
            (2, lambda: b"a/b\0"),
            (1, lambda: b"..\0"),
            (5, lambda: (self.rng.choice(metas).name.encode() + b"\0") if metas else b"lo\0"),
            (3, lambda: self.rng.choice(sorted(ns.others) or ["lo"]).encode() + b"\0"),
        ])

    def ifindex(self, ns):
        """A requested ifindex for a new device."""
        used = [l.index for l in self.links(ns)] + list(ns.others.values())
        return self.weighted([
            (80, lambda: 0),
            (8, lambda: self.rng.randrange(20000, 20100)),
            (4, lambda: self.rng.choice(used) if used else 1),
            (2, lambda: -self.rng.randrange(1, 3)),
            (1, lambda: 0x7FFFFFFF),
        ])

    def netns_attr(self, target_netnsid=False):
        """IFLA_NET_NS_FD / IFLA_NET_NS_PID, and IFLA_TARGET_NETNSID when
        TARGET_NETNSID (only in creations with NLM_F_EXCL: elsewhere it
        makes rtnetlink look the target device up in another namespace)."""
        nss = self.nss.all
        pids = [os.getpid()] + [n.child for n in nss if n.child] + [0x3FFFFFFF, 0]
        if self.nss.pid1_ok:
            pids.append(1)
        fds = [n.fd for n in nss] + list(self.files.values()) + [9999, -1]
        return self.weighted([
            (5, lambda: nla(IFLA_NET_NS_FD, self.sized(self.rng.choice(fds), 4, 4))),
            (3, lambda: nla(IFLA_NET_NS_PID, self.sized(self.rng.choice(pids), 4, 4))),
            (1 if target_netnsid else 0, lambda: nla(IFLA_TARGET_NETNSID, struct.pack(
                "=i", self.rng.choice(self.nss.ids_seen() + [-1, 5000])))),
        ])

    def prog_fd(self):
        """An s32 fd value for the retired IFLA_META_(PEER_)BPF_FD, as the
        prototype's clients sent them (refused whatever it is)."""
        cls = self.progs.fds(BPF_PROG_TYPE_SCHED_CLS)
        xdp = self.progs.fds(BPF_PROG_TYPE_XDP)
        closed = [fd for fd in self.progs.closed_fds[-8:] if not fd_open(fd)] or [999]
        return self.weighted([
            (40, lambda: self.rng.choice(cls) if cls else -1),
            (20, lambda: -1),
            (6, lambda: self.rng.choice(xdp) if xdp else 0),
            (5, lambda: self.files["map"]),
            (5, lambda: self.rng.choice(closed)),
            (4, lambda: -2),
            (4, lambda: self.files["file"]),
            (3, lambda: self.rng.choice(self.nss.all).fd),
            (2, lambda: self.files["sock"]),
            (2, lambda: 0),
            (1, lambda: -0x80000000),
            (1, lambda: 0x7FFFFFFF),
        ])

    def mac(self):
        return self.weighted([
            (5, lambda: bytes([0x02, 0, 0, 0, self.rng.randrange(256), self.rng.randrange(256)])),
            (2, lambda: bytes([0x01, 0, 0x5E, 0, 0, 1])),
            (1, lambda: bytes(6)),
            (2, lambda: bytes([2, 0, 0, 1])),
            (1, lambda: b""),
        ])

    def mtu(self):
        return self.pick(0, 67, 68, 576, 1280, 1500, 9000, 65535, 65536, 0xFFFFFFFF)

    # - attribute lists

    def link_attrs(self, ns, peer, excl=False):
        """Generic IFLA_* attributes of a new device (or of the peer)."""
        out = []
        if self.rng.random() < 0.85:
            out.append(nla(IFLA_IFNAME, self.ifname(ns)))
        for p, fn in [
            (0.10, lambda: nla(IFLA_MTU, self.sized(self.mtu(), 4, 4))),
            (0.08, lambda: nla(IFLA_ADDRESS, self.mac())),
            (0.05, lambda: nla(IFLA_TXQLEN, self.sized(self.pick(0, 1, 1000, 0xFFFFFFFF), 4, 4))),
            (0.12 if peer else 0.05, lambda: self.netns_attr(excl and not peer)),
            (0.03, lambda: nla(IFLA_NUM_TX_QUEUES, self.sized(self.pick(0, 1, 4, 5000), 4, 4))),
            (0.02, lambda: nla(IFLA_NUM_RX_QUEUES, self.sized(self.pick(0, 1, 5000), 4, 4))),
            (0.02, lambda: nla(IFLA_GSO_MAX_SIZE, self.sized(self.pick(0, 65536, 0xFFFFFFFF), 4, 4))),
            (0.02, lambda: nla(IFLA_IFALIAS, b"alias\0")),
            (0.02, lambda: nla(IFLA_GROUP, self.sized(self.pick(0, 1, 7), 4, 4))),
            (0.03 if peer else 0, lambda: self.linkinfo(ns, create=True, depth=1)),
        ]:
            if self.rng.random() < p:
                out.append(fn())
        return out

    def peer_info(self, ns):
        """IFLA_META_PEER_INFO: struct ifinfomsg and the peer's attributes."""
        hdr = ifinfomsg(self.ifindex(ns), self.pick(0, 0, 0, IFF_UP), self.pick(0, 0, IFF_UP))
        if self.rng.random() < 0.04:
            hdr = hdr[:self.pick(0, 4, 8, 15)]
        body = b"".join(self.link_attrs(ns, peer=True))
        if self.rng.random() < 0.04:
            body += bytes(self.rng.randrange(1, 4))      # trailing bytes
        return hdr + body

    def data_attr(self, t, create):
        """One attribute of IFLA_INFO_DATA of type T."""
        A, s = self.A, self.sized
        if t == A["PEER_INFO"]:
            return nla(t, self.peer_info(self.rng.choice(self.nss.all)))
        # The retired types: what the prototype's clients sent, in any size
        # (the kernel refuses them whatever their size).
        if t in (A["BPF_FD"], A["PEER_BPF_FD"]):
            return nla(t, s(self.prog_fd(), 4, 4, wrong=0.3))
        if t in (A["BPF_ID"], A["PEER_BPF_ID"]):
            return nla(t, s(self.rng.choice(self.enum_u32), 4, 4, wrong=0.3))
        if t in (A["HEADROOM"], A["TAILROOM"]):
            return nla(t, s(self.pick(0, 1, 64, 256, 0x7FFF, 0xFFFF), 2, 2))
        if t == A["PRIMARY"]:
            return nla(t, s(self.pick(0, 1), 1, 1))
        if t in (A["POLICY"], A["PEER_POLICY"], A["MODE"], A["SCRUB"], A["PEER_SCRUB"],
                 A["PAIRING"]):
            return nla(t, s(self.rng.choice(self.enum_u32), 4, 4))
        return nla(t, s(self.rng.getrandbits(32), 4, 4))

    def info_data(self, create):
        A = self.A
        # The retired BPF_FD types are rarer than when they attached programs
        # (every request carrying one is refused): about one creation or change
        # in eight carries one, so that the others keep exploring what is
        # accepted.
        if create:
            common = [(A["PEER_INFO"], 0.6), (A["MODE"], 0.3), (A["POLICY"], 0.2),
                      (A["PEER_POLICY"], 0.2), (A["SCRUB"], 0.1), (A["PEER_SCRUB"], 0.1),
                      (A["HEADROOM"], 0.1), (A["TAILROOM"], 0.1), (A["BPF_FD"], 0.06),
                      (A["PEER_BPF_FD"], 0.06)]
        else:
            common = [(A["BPF_FD"], 0.06), (A["PEER_BPF_FD"], 0.06), (A["POLICY"], 0.25),
                      (A["PEER_POLICY"], 0.25), (A["MODE"], 0.03), (A["SCRUB"], 0.02),
                      (A["HEADROOM"], 0.02), (A["PEER_INFO"], 0.03)]
        types = [t for t, p in common if self.rng.random() < p]
        if self.rng.random() < 0.06:    # read-only, reserved, retired, unknown
            types.append(self.pick(0, A["PRIMARY"], A["PAIRING"], A["BPF_ID"],
                                   A["PEER_BPF_ID"], self.max + 1, 0x3FFF))
        if types and self.rng.random() < 0.05:      # duplicate: the last one counts
            types.append(self.rng.choice(types))
        self.rng.shuffle(types)
        out = b""
        for t in types:
            a = self.data_attr(t, create)
            if self.rng.random() < 0.02:    # type flags are masked by the parser
                a = a[:2] + struct.pack("=H", struct.unpack_from("=H", a, 2)[0]
                                        | self.pick(NLA_F_NESTED, NLA_F_NET_BYTEORDER)) + a[4:]
            out += a
        if self.rng.random() < 0.03:
            out += self.garbage()
        return out

    def garbage(self):
        """Malformed bytes at the end of a nest."""
        return self.weighted([
            (1, lambda: bytes(self.rng.randrange(1, 4))),
            (1, lambda: struct.pack("=HH", 40, self.A["POLICY"])),      # longer than the nest
            (1, lambda: struct.pack("=HH", 2, 0)),                       # shorter than a header
            (1, lambda: bytes(self.rng.getrandbits(8) for _ in range(self.rng.randrange(4, 24)))),
        ])

    def linkinfo(self, ns, create, depth=0):
        """IFLA_LINKINFO { KIND, DATA { ... } } and its mutations."""
        kind = self.weighted([
            (95, lambda: self.kind.encode() + b"\0"),
            (2, lambda: self.kind.encode()),            # no terminator
            (2, lambda: None),
            (0.3, lambda: b"metanope\0"),               # unknown: costs a modprobe
        ])
        inner = nla(IFLA_INFO_KIND, kind) if kind is not None else b""
        if self.rng.random() < 0.9:
            inner += nest(IFLA_INFO_DATA, self.info_data(create) if depth == 0 else b"")
        if self.rng.random() < 0.03:
            # The master's settings: the core hands them to the master after meta's
            # changelink (and refuses them when there is no master).
            inner += nest(IFLA_INFO_SLAVE_DATA, self.pick(b"", nla(1, struct.pack("=I", 1))))
        if self.rng.random() < 0.02:
            inner += self.garbage()
        return nest(IFLA_LINKINFO, inner)

    # - requests

    def target(self, ns):
        """(ifi_index, [IFLA_IFNAME]) selecting a meta device of NS, mostly a
        primary, or one that does not exist."""
        metas = self.links(ns)
        prim = [l for l in metas if l.data.get(self.A["PRIMARY"]) == b"\x01"] or metas
        if not metas or self.rng.random() < 0.06:
            return self.pick((0, [nla(IFLA_IFNAME, b"nosuchdev\0")]), (424242, []), (0, []))
        link = self.rng.choice(prim) if self.rng.random() < 0.75 else self.rng.choice(metas)
        if self.rng.random() < 0.6:
            return link.index, []
        return 0, [nla(IFLA_IFNAME, link.name.encode() + b"\0")]

    def sock_ns(self):
        """The namespace a request is sent from: mostly one with meta devices."""
        with_devs = [n for n in self.nss.all if self.view.get(n.name)]
        if with_devs and self.rng.random() < 0.8:
            return self.rng.choice(with_devs)
        return self.rng.choice(self.nss.all)

    def create(self):
        ns = self.rng.choice(self.nss.all)
        flags = NLM_F_CREATE | NLM_F_EXCL if self.rng.random() < 0.9 else NLM_F_CREATE
        up = self.pick(0, 0, IFF_UP)
        hdr = ifinfomsg(self.ifindex(ns), up, up if self.rng.random() < 0.8 else 0xFFFFFFFF)
        attrs = self.link_attrs(ns, peer=False, excl=bool(flags & NLM_F_EXCL))
        attrs.insert(self.rng.randrange(len(attrs) + 1), self.linkinfo(ns, create=True))
        return ns, RTM_NEWLINK, flags, hdr + b"".join(attrs)

    def change(self):
        ns = self.sock_ns()
        index, sel = self.target(ns)
        hdr = ifinfomsg(index)
        if self.rng.random() < 0.05:
            up = self.pick(0, IFF_UP)
            hdr = ifinfomsg(index, up, IFF_UP)
        attrs = sel + [self.linkinfo(ns, create=False)]
        if self.rng.random() < 0.05:
            attrs.append(nla(IFLA_MTU, self.sized(self.mtu(), 4, 4)))
        flags = self.weighted([(85, lambda: 0), (10, lambda: NLM_F_CREATE),
                               (5, lambda: NLM_F_CREATE | NLM_F_EXCL)])
        return ns, RTM_NEWLINK, flags, hdr + b"".join(attrs)

    def setlink(self):
        ns = self.sock_ns()
        index, sel = self.target(ns)
        up = self.pick(0, IFF_UP, IFF_UP)
        hdr = ifinfomsg(index, up, IFF_UP) if self.rng.random() < 0.4 else ifinfomsg(index)
        attrs = list(sel)
        for p, fn in [
            (0.25 if index else 0, lambda: nla(IFLA_IFNAME, self.ifname(ns))),
            (0.2, lambda: nla(IFLA_MTU, self.sized(self.mtu(), 4, 4))),
            (0.1, lambda: nla(IFLA_ADDRESS, self.mac())),
            (0.08, lambda: nla(IFLA_TXQLEN, self.sized(self.pick(0, 500, 0xFFFFFFFF), 4, 4))),
            (0.2, lambda: self.netns_attr()),
            (0.05, lambda: self.linkinfo(ns, create=False)),
        ]:
            if self.rng.random() < p:
                attrs.append(fn())
        return ns, RTM_SETLINK, 0, hdr + b"".join(attrs)

    def dellink(self):
        ns = self.sock_ns()
        index, sel = self.target(ns)
        return ns, RTM_DELLINK, 0, ifinfomsg(index) + b"".join(sel)

    def getlink(self):
        ns = self.sock_ns()
        index, sel = self.target(ns)
        if self.rng.random() < 0.2:
            index, sel = self.rng.choice(sorted(ns.others.values()) or [1]), []
        return ns, RTM_GETLINK, 0, ifinfomsg(index) + b"".join(sel)

    def request(self):
        """(netns to send from, type, flags, payload)."""
        # Keep the number of devices small (the dumps after each request cost
        # more than the request): fewer creations and more deletions as it grows.
        n = len(self.links())
        return self.weighted([
            (35 if n < 16 else 8, self.create),
            (25, self.change),
            (15, self.setlink),
            (10 if n < 16 else 30, self.dellink),
            (5, self.getlink),
        ])


def fd_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


# --- the oracle ---------------------------------------------------------------------


class Broken(Exception):
    """An invariant does not hold."""


class Oracle:
    """The view of the meta devices of all managed namespaces, a model of the
    policies of each pair, meta's netlink policy, and the invariants."""

    def __init__(self, uapi, kind, nss):
        self.A = {k[len("IFLA_META_"):]: v for k, v in uapi.items() if k.startswith("IFLA_META_")}
        self.kind, self.nss = kind, nss
        self.is_meta = kind == "meta"
        self.policies = (uapi["META_PASS"], uapi["META_DROP"])
        self.view = {}          # {ns name: [Link]}
        self.model = {}         # {pair key: {"policy": p, "peer_policy": p}}
        A = self.A
        self.maxtype = uapi["IFLA_META_MAX"]
        self.retired = frozenset(A[n] for n in RETIRED_NAMES)
        # meta's policy of IFLA_INFO_DATA (POLICY in meta/meta.rs), which
        # __rtnl_newlink() applies with nla_parse_nested_deprecated() before
        # it calls meta's validate: a type's reject message (NLA_REJECT), or
        # (minimum payload length, largest u32 value or None). Liberal: longer
        # payloads, types 0 and above IFLA_META_MAX pass (validate refuses them).
        scrub_max = uapi["META_SCRUB_DEFAULT"]
        self.data_policy = {
            A["PEER_INFO"]: (16, None),
            A["PRIMARY"]: "Primary attribute is read-only",
            A["POLICY"]: (4, None), A["PEER_POLICY"]: (4, None), A["MODE"]: (4, None),
            A["SCRUB"]: (4, scrub_max), A["PEER_SCRUB"]: (4, scrub_max),
            A["HEADROOM"]: (2, None), A["TAILROOM"]: (2, None),
            A["PAIRING"]: "Pairing mode is not supported",
        }
        self.data_policy.update((t, RETIRED_MSG) for t in self.retired)
        # What fill_info() reports for an end whose peer exists (both ends of
        # every pair the oracle accepts).
        self.reported = frozenset(A[n] for n in ("PRIMARY", "POLICY", "MODE", "SCRUB",
                                                 "HEADROOM", "TAILROOM", "PEER_POLICY",
                                                 "PEER_SCRUB"))
        self.retired_sent = self.retired_exact = 0

    # - observation

    def observe(self):
        view = {}
        for ns in self.nss.all:
            view[ns.name] = [Link(ns, b) for b in ns.rtnl.dump_links(self.kind)]
            view[ns.name] = [l for l in view[ns.name] if l.kind == self.kind]
        for links in view.values():
            for l in links:
                l.peer_ns = l.ns if l.netnsid is None else self.nss.resolve(l.ns, l.netnsid)
        return view

    def pairs(self, view):
        """{pair key: (primary, peer)}; raises Broken on an inconsistent set."""
        by_key = {l.key(): l for links in view.values() for l in links}
        out = {}
        for l in by_key.values():
            if l.iflink == 0:
                raise Broken("%r has no peer (iflink 0)" % l)
            if l.peer_ns is None:
                raise Broken("%r: the peer is in netns id %s, not a managed namespace"
                             % (l, l.netnsid))
            p = by_key.get((l.peer_ns.name, l.iflink))
            if p is None:
                raise Broken("%r: the peer %s:%d does not exist" % (l, l.peer_ns.name, l.iflink))
            if p.iflink != l.index or p.peer_ns is not l.ns:
                raise Broken("%r points to %r, which points to %s:%d"
                             % (l, p, p.peer_ns.name if p.peer_ns else p.netnsid, p.iflink))
            if self.is_meta:
                a, b = l.data.get(self.A["PRIMARY"]), p.data.get(self.A["PRIMARY"])
                if {a, b} != {b"\x00", b"\x01"}:
                    raise Broken("%r and %r: IFLA_META_PRIMARY %s and %s, want one primary"
                                 % (l, p, a, b))
                if a != b"\x01":
                    continue
            elif l.key() > p.key():
                continue
            out[frozenset((l.key(), p.key()))] = (l, p)
        return out

    @staticmethod
    def snapshot(view):
        return sorted(l.snapshot() for links in view.values() for l in links)

    # - meta's policy and the retired types

    def policy_refusal(self, data):
        """The first attribute of DATA (INFO_DATA as the parser sees it) that
        meta's policy refuses, in order, as the core's parse meets them:
        (type, its reject message, or None for a length or range error,
        ERANGE), or None."""
        for t, p in data:
            rule = self.data_policy.get(t) if 0 < t <= self.maxtype else None
            if rule is None:
                continue
            if isinstance(rule, str):
                return t, rule
            minlen, vmax = rule
            if len(p) < minlen or (vmax is not None and
                                   struct.unpack_from("=I", p)[0] > vmax):
                return t, None
        return None

    def reaches_data(self, mtype, payload):
        """Whether __rtnl_newlink() certainly gets as far as parsing
        INFO_DATA with meta's policy: a kind that is ours and nothing the
        core refuses before (ifla_policy of the top-level attributes, which
        this accepts only for the ones it knows the policy of, more than one
        netns attribute, a negative ifindex, ifla_info_policy). False when
        not certain."""
        if not self.is_meta or mtype != RTM_NEWLINK or len(payload) < 16 or \
                struct.unpack_from("=i", payload, 4)[0] < 0:
            return False
        tb = parse_attrs(payload[16:])
        u32s = (IFLA_MTU, IFLA_NET_NS_FD, IFLA_NET_NS_PID, IFLA_GROUP, IFLA_NUM_TX_QUEUES,
                IFLA_NUM_RX_QUEUES)
        for t, p in tb:
            if t == IFLA_IFNAME:    # NLA_STRING, IFNAMSIZ - 1
                if not p or len(p[:-1] if p.endswith(b"\0") else p) > IFNAMSIZ - 1:
                    return False
            elif t in u32s:
                if len(p) < 4:
                    return False
            elif t in (IFLA_ADDRESS, IFLA_IFALIAS):     # NLA_BINARY
                if len(p) > (MAX_ADDR_LEN if t == IFLA_ADDRESS else IFALIASZ - 1):
                    return False
            elif t == IFLA_LINKINFO:                    # NLA_NESTED
                if 0 < len(p) < 4:
                    return False
            else:
                return False
        types = {t for t, _ in tb}
        if IFLA_NET_NS_FD in types and IFLA_NET_NS_PID in types:
            return False
        info = parse_attrs(last(tb, IFLA_LINKINFO) or b"")
        for t, p in info:
            if t == IFLA_INFO_KIND:                     # NLA_STRING
                if not p:
                    return False
            elif t == IFLA_INFO_DATA:                   # NLA_NESTED
                if 0 < len(p) < 4:
                    return False
            else:
                return False
        kind = last(info, IFLA_INFO_KIND)
        return kind is not None and cstr(kind) == self.kind and \
            last(info, IFLA_INFO_DATA) is not None

    def check_retired(self, mtype, payload, data, err, ext):
        """The retired types: an RTM_NEWLINK whose INFO_DATA carries one must
        be refused, with EINVAL and RETIRED_MSG when a retired type is the
        first attribute meta's policy refuses and the core certainly gets
        there (the policy is applied before meta's validate, so RETIRED_MSG
        comes before its size, duplicate, unknown type and trailing bytes
        checks, whatever the order of the attributes); only such a request
        may get RETIRED_MSG. Returns whether the request carries one (then
        it must have changed nothing)."""
        newlink = mtype == RTM_NEWLINK and data is not None
        refusal = self.policy_refusal(data) if newlink else None
        first = refusal is not None and refusal[0] in self.retired
        if ext == RETIRED_MSG and not first:
            raise Broken("refused with '%s' but no retired type is the first attribute that "
                         "meta's policy refuses (%s)" % (ext, refusal))
        if ext == RETIRED_MSG and err != errno.EINVAL:
            raise Broken("'%s' with errno %d, want EINVAL" % (ext, err))
        carried = sorted({t for t, _ in data if t in self.retired}) \
            if newlink and self.is_meta else []
        if not carried:
            return False
        self.retired_sent += 1
        if err == 0:
            raise Broken("a request carrying the retired type(s) %s was accepted" % carried)
        if first and self.reaches_data(mtype, payload):
            if (err, ext) != (errno.EINVAL, RETIRED_MSG):
                raise Broken("retired type %d is the first attribute meta's policy refuses, "
                             "but the request got errno %d '%s', want EINVAL '%s'"
                             % (refusal[0], err, ext, RETIRED_MSG))
        self.retired_exact += ext == RETIRED_MSG
        return True

    def check_reported(self, link):
        """LINK (an end of a pair) shows what fill_info() reports."""
        got = set(link.data)
        if got & self.retired:
            raise Broken("%r reports the retired type(s) %s" % (link, sorted(got & self.retired)))
        if got != self.reported:
            raise Broken("%r reports the types %s, want %s"
                         % (link, sorted(got), sorted(self.reported)))

    # - the model of the policies

    def expect(self, data, base, accepted=True):
        """The policies after the INFO_DATA attributes DATA were applied to
        BASE; raises Broken if ACCEPTED and the kernel should have refused
        them."""
        m = dict(base)
        for key, attr in (("policy", "POLICY"), ("peer_policy", "PEER_POLICY")):
            p = last(data, self.A[attr])
            if p is not None:
                m[key] = struct.unpack("=I", p[:4])[0]
                if accepted and m[key] not in self.policies:
                    raise Broken("%s %#x was accepted" % (attr, m[key]))
        return m

    def shown(self, prim, peer):
        A = self.A
        return {"policy": prim.u32(A["POLICY"]), "peer_policy": prim.u32(A["PEER_POLICY"])}

    # - one request

    def lookup_nss(self, ns, mtype, tb):
        """The namespaces where rtnetlink may look the target device up: the
        socket's, and for RTM_NEWLINK with IFLA_NET_NS_FD/PID the destination
        too (6.18 looks up there; which one 6.12 uses does not matter here)."""
        out = [ns]
        if mtype == RTM_NEWLINK:
            fd, pid = last(tb, IFLA_NET_NS_FD), last(tb, IFLA_NET_NS_PID)
            dest = None
            if pid is not None and len(pid) >= 4:
                pid = struct.unpack("=I", pid[:4])[0]
                dest = next((n for n in self.nss.all if n.child == pid), None)
                if pid == os.getpid() or (pid == 1 and self.nss.pid1_ok):
                    dest = self.nss.all[0]
            elif fd is not None and len(fd) >= 4:
                fd = struct.unpack("=i", fd[:4])[0]
                dest = next((n for n in self.nss.all if n.fd == fd), None)
            if dest is not None and dest is not ns:
                out.append(dest)
        return out

    def classify(self, ns, mtype, flags, payload):
        """What the request is, from its bytes as rtnetlink parses them:
        (target links found (one per namespace looked in), top attrs,
        INFO_KIND, INFO_DATA attrs or None)."""
        index = struct.unpack_from("=i", payload, 4)[0] if len(payload) >= 16 else 0
        tb = parse_attrs(payload[16:])
        info = parse_attrs(last(tb, IFLA_LINKINFO) or b"")
        data = last(info, IFLA_INFO_DATA)
        kind = last(info, IFLA_INFO_KIND)
        name = last(tb, IFLA_IFNAME)
        found = []
        for n in self.lookup_nss(ns, mtype, tb):
            links = self.view.get(n.name, [])
            if index > 0:
                found += [l for l in links if l.index == index]
            elif index == 0 and name is not None:
                found += [l for l in links if l.name == cstr(name)]
        return found, tb, kind, parse_attrs(data) if data is not None else None

    def unsafe(self, ns, mtype, flags, payload):
        """Whether the request could act on a device the tool does not own
        (the devices of the VM, lo): then it is not sent."""
        if mtype == RTM_GETLINK:
            return False
        if len(payload) < 16:
            return mtype != RTM_NEWLINK
        index = struct.unpack_from("=i", payload, 4)[0]
        tb = parse_attrs(payload[16:])
        name = last(tb, IFLA_IFNAME)
        if mtype == RTM_NEWLINK and flags & NLM_F_EXCL:
            return False
        if last(tb, IFLA_TARGET_NETNSID) is not None:
            return True
        for n in self.lookup_nss(ns, mtype, tb):
            if index > 0 and index in n.others.values():
                return True
            if index == 0 and name is not None and cstr(name) in n.others:
                return True
        # no device: NEWLINK without NLM_F_CREATE and IFLA_GROUP changes a group
        return index == 0 and name is None and mtype == RTM_NEWLINK and \
            last(tb, IFLA_GROUP) is not None

    def strict(self, mtype, target, tb, data, payload):
        """Whether a refusal must leave everything as it was. Creation,
        deletion and a single change are atomic; do_setlink() applies several
        changes one after the other, so a request that changes two things may
        be refused half way. Not with meta's settings: changelink() runs before
        do_setlink() and refuses them together with anything the core could
        refuse after it (a generic attribute, the master's SLAVE_DATA); the
        header's flags, which remain, cannot fail for a meta device."""
        if mtype in (RTM_GETLINK, RTM_DELLINK) or target is None:
            return True
        if mtype == RTM_NEWLINK and data is not None and self.is_meta:
            return True
        changes = sum(1 for t, _ in tb if t not in (IFLA_LINKINFO,)
                      and not (t == IFLA_IFNAME and struct.unpack_from("=i", payload, 4)[0] == 0))
        fl, ch = struct.unpack_from("=II", payload, 8)
        changes += 1 if (fl or ch) else 0
        changes += 1 if (mtype == RTM_NEWLINK and data is not None) else 0
        return changes <= 1

    def after(self, ns, mtype, flags, payload, err, ext, replies, before_view, before_pairs):
        """Check the invariants after a request; updates the view and model.
        EXT is the extended ack message, REPLIES the messages answering it."""
        found, tb, kind, data = self.classify_before
        retired = self.check_retired(mtype, payload, data, err, ext)
        if self.is_meta and mtype == RTM_GETLINK and err == 0:
            for t, body in replies:
                link = Link(ns, body) if t == RTM_NEWLINK else None
                if link is not None and link.kind == self.kind:
                    self.check_reported(link)
        view = self.observe()
        pairs = self.pairs(view)
        # Match the pairs with those before by a common end: a request moves
        # or renames one end at most, and cannot delete and create at once.
        old_by_end = {}
        for k in before_pairs:
            for end in k:
                old_by_end[end] = k
        model = {}
        created = []
        for k, (prim, peer) in pairs.items():
            old = next((old_by_end[e] for e in k if e in old_by_end), None)
            if old is None:
                created.append(k)
            else:
                model[k] = self.model.get(old)
        # The target: with two namespaces to look in (see lookup_nss), an
        # accepted creation shows the kernel found nothing where it looked.
        ambiguous = len(found) > 1
        target = found[0] if len(found) == 1 else None
        if len(self.lookup_nss(ns, mtype, tb)) > 1 and err == 0 and created:
            target, ambiguous = None, False
        if err:
            if created:
                raise Broken("the refused request created %s" % [pairs[k][0] for k in created])
            # A retired type is refused by the parse of INFO_DATA, before any
            # device is looked at or changed: nothing changes, wherever the
            # target is and however many changes the request asks for.
            if (retired or (not ambiguous and self.strict(mtype, target, tb, data, payload))) \
                    and self.snapshot(view) != self.snapshot(before_view):
                raise Broken("the refused request%s changed the devices:\n%s"
                             % (" (carrying a retired type)" if retired else "",
                                diff(self.snapshot(before_view), self.snapshot(view))))
        elif ambiguous:
            # Devices in both places: which one changed is not known; learn.
            for t in found:
                k = next((k for k in pairs if t.key() in k), None)
                if k:
                    model[k] = None
        elif mtype == RTM_NEWLINK and target is None:
            if len(created) != 1:
                raise Broken("an accepted creation made %d pairs" % len(created))
            if self.is_meta:
                model[created[0]] = self.expect(data or [], {"policy": 0, "peer_policy": 0})
        elif mtype == RTM_NEWLINK and data is not None and self.is_meta:
            if target.data.get(self.A["PRIMARY"]) != b"\x01":
                raise Broken("a change of %r through the peer was accepted" % target)
            k = next((k for k in pairs if target.key() in k), None)
            if k is None:
                raise Broken("the changed pair of %r is gone" % target)
            if model.get(k) is not None:
                model[k] = self.expect(data, model[k])
        if created and err == 0 and (mtype != RTM_NEWLINK or target is not None):
            raise Broken("a change created %s" % [pairs[k][0] for k in created])
        if mtype == RTM_DELLINK and err == 0:
            gone = [k for k in before_pairs if target and target.key() in k]
            if any(k in pairs for k in gone):
                raise Broken("the deleted %r is still there" % target)
        if self.is_meta:
            self.check_shown(pairs, model, err, target, data, retired)
        self.view, self.model = view, model
        return pairs

    def check_shown(self, pairs, model, err, target, data, retired):
        """What each pair shows: the attributes fill_info() reports on both
        ends, and on the primary the policies of the model."""
        for k, (prim, peer) in pairs.items():
            for l in (prim, peer):
                self.check_reported(l)
            shown = self.shown(prim, peer)
            want = model.get(k)
            if want is None:        # learnt (after a namespace came back)
                model[k] = shown
                continue
            if shown != want:
                # A refused request that do_setlink() applied half way: the
                # policies are the old ones or those asked for (not with a
                # retired type, refused before anything is applied).
                if err and not retired and target is not None and k == next(
                        (k2 for k2 in pairs if target.key() in k2), None):
                    asked = self.expect(data, want, accepted=False) if data else want
                    if all(shown[x] in (want[x], asked[x]) for x in shown):
                        model[k] = shown
                        continue
                raise Broken("%r shows %s, want %s" % (prim, shown, want))


def diff(a, b):
    sa, sb = set(a), set(b)
    return "\n".join(["  - %s" % (x,) for x in a if x not in sb] +
                     ["  + %s" % (x,) for x in b if x not in sa])


# --- the run ----------------------------------------------------------------------------


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.uapi = parse_enums(args.header)
        # Every name the grammar and the oracle use, the retired ones too
        # (the header keeps their enum entries; requests carry them).
        for need in HEADER_NEEDS:
            if need not in self.uapi:
                raise SystemExit("%s: no %s" % (args.header, need))
        self.rng = random.Random(args.seed)
        self.nss = Namespaces(args.netns, args.kind)
        self.nss.pid1_ok = fd_stat_ino("/proc/1/ns/net") == self.nss.all[0].inode
        self.progs = Progs()
        self.files = {"map": map_create(),
                      "file": os.open(os.path.abspath(__file__), os.O_RDONLY | os.O_CLOEXEC),
                      "sock": self.nss.all[0].rtnl.sock.fileno()}
        for _ in range(2):
            self.progs.load(BPF_PROG_TYPE_SCHED_CLS)
        self.progs.load(BPF_PROG_TYPE_XDP)
        self.grammar = Grammar(self.rng, self.uapi, args.kind, self.nss, self.progs, self.files)
        self.oracle = Oracle(self.uapi, args.kind, self.nss)
        self.results = {}
        self.sent = self.accepted = self.frames = self.skipped = 0
        # What happened last (requests, traffic, program and netns churn),
        # printed when an invariant breaks: a replay under other timing may
        # take another path.
        self.history = collections.deque(maxlen=4000)
        self.ns_made = self.ns_deleted = 0

    # - side actions

    def traffic(self):
        """A few frames out of meta devices that are up (AF_PACKET): they
        cross the pair under the policies being changed."""
        up = [l for n in self.nss.all for l in self.oracle.view.get(n.name, [])
              if l.flags & IFF_UP]
        sent = []
        for l in self.rng.sample(up, min(2, len(up))):
            sock = self.nss.packet_socket(l.ns)
            frame = b"\xff" * 6 + b"\x02\0\0\0\0\x01" + b"\x08\x00" + \
                bytes(self.rng.getrandbits(8) for _ in range(self.rng.choice((0, 20, 46, 200))))
            for _ in range(self.rng.randrange(1, 4)):
                try:
                    sock.sendto(frame, (l.name, 0x0800))
                    self.frames += 1
                except OSError:
                    pass    # down, renamed, too short: not the point here
            # Which device, where, and the frame: a failure's history shows
            # what the traffic touched (FUZZ_DEBUG_GREP matches it too).
            sent.append("%s/%d in %s: %s" % (l.name, l.index, l.ns.name, frame.hex()))
        return "; ".join(sent) or "no device up"

    def prog_churn(self):
        cls = self.progs.fds(BPF_PROG_TYPE_SCHED_CLS)
        if len(self.progs.open) < 3 or (len(self.progs.open) < 8 and self.rng.random() < 0.5):
            self.progs.load(self.rng.choice((BPF_PROG_TYPE_SCHED_CLS,) * 3 + (BPF_PROG_TYPE_XDP,)))
        elif len(cls) > 1 or self.rng.random() < 0.3:
            self.progs.close(self.rng.choice(sorted(self.progs.open)))

    def netns_churn(self):
        made = [n for n in self.nss.all if n.origin == "made"]
        if len(made) < self.args.max_netns and (not made or self.rng.random() < 0.6):
            self.nss.make(with_child=self.rng.random() < 0.5)
            self.ns_made += 1
        elif made:
            self.delete_ns(self.rng.choice(made))

    def delete_ns(self, ns):
        """Delete a made namespace; the pairs with an end in it must go, once
        cleanup_net() has run (up to 30 s on a debug kernel)."""
        dying = {}
        for other in self.nss.all:
            if other is not ns:
                dying[other.name] = other.rtnl.nsid_of(ns.fd)
        self.nss.remove(ns)
        self.ns_deleted += 1
        deadline = time.monotonic() + 30
        while True:
            left = [l for n in self.nss.all for l in
                    (Link(n, b) for b in n.rtnl.dump_links(self.args.kind))
                    if l.kind == self.args.kind and l.netnsid is not None
                    and l.netnsid == dying.get(n.name)]
            if not left:
                break
            if time.monotonic() > deadline:
                raise Broken("30 s after deleting netns %s, %s still point to it"
                             % (ns.name, left))
            time.sleep(0.05)
        self.nss.nsid_cache.clear()
        self.oracle.view = self.oracle.observe()
        pairs = self.oracle.pairs(self.oracle.view)
        self.oracle.model = {k: self.oracle.model.get(k) for k in pairs
                             if k in self.oracle.model}

    # - requests

    def one(self, n, show):
        """Build, send and check request N."""
        g, o = self.grammar, self.oracle
        g.view = o.view
        for _ in range(20):
            ns, mtype, flags, payload = g.request()
            if not o.unsafe(ns, mtype, flags, payload):
                break
            self.skipped += 1
        else:
            return
        o.classify_before = o.classify(ns, mtype, flags, payload)
        before_view, before_pairs = o.view, o.pairs(o.view)
        msg, err, ext, replies = ns.rtnl.request(mtype, flags, payload)
        self.history.append("request %d from %s: %s flags %#x: errno %d '%s': %s"
                            % (n, ns.name, RTM_NAMES[mtype], flags, err, ext, msg.hex()))
        self.sent += 1
        self.accepted += err == 0
        key = (err, ext)
        self.results[key] = self.results.get(key, 0) + 1
        if show:
            print("# request %d from %s: %s flags %#x: %s, errno %d %s '%s'"
                  % (n, ns.name, RTM_NAMES[mtype], flags, msg.hex(), err,
                     errno.errorcode.get(err, ""), ext))
        try:
            o.after(ns, mtype, flags, payload, err, ext, replies, before_view, before_pairs)
        except Broken as e:
            e.request = (n, ns, mtype, flags, msg, err, ext)
            raise

    def run(self):
        a = self.args
        print("# fuzz.py: seed %d kind %s header %s" % (a.seed, a.kind, a.header), flush=True)
        self.oracle.view = self.oracle.observe()
        self.oracle.pairs(self.oracle.view)
        t0 = time.monotonic()
        n = 0
        limit = a.replay_to or a.requests
        while n < limit and (a.replay_to or time.monotonic() - t0 < a.duration):
            x = self.rng.random()
            if x < 0.15:
                self.history.append("traffic: " + self.traffic())
            elif x < 0.20:
                self.prog_churn()
                self.history.append("program churn")
            elif x < 0.20 + a.netns_churn:
                self.netns_churn()
                self.history.append("netns churn")
                continue
            n += 1
            self.elapsed = time.monotonic() - t0
            self.one(n, a.verbose or n == a.replay_to)
        self.elapsed = time.monotonic() - t0

    # - the end

    def teardown(self):
        """Delete every device and namespace, close every fd; every program
        the tool loaded must then be freed."""
        for ns in list(self.nss.all):
            for l in self.oracle.view.get(ns.name, []):
                ns.rtnl.request(RTM_DELLINK, 0, ifinfomsg(l.index))
        for ns in [n for n in self.nss.all if n.origin == "made"]:
            self.delete_ns(ns)
        view = self.oracle.observe()
        left = [l for links in view.values() for l in links]
        if left:
            raise Broken("devices left after deleting all: %s" % left)
        self.progs.close_all()
        for fd in (self.files["map"], self.files["file"]):
            os.close(fd)
        deadline = time.monotonic() + 30
        alive = list(self.progs.ids)
        while alive:
            alive = [p for p in alive if prog_alive(p)]
            if alive and time.monotonic() > deadline:
                raise Broken("programs %s are still alive 30 s after their last user went away"
                             % alive)
            if alive:
                time.sleep(0.1)

    def summary(self):
        rate = self.sent / self.elapsed if self.elapsed else 0
        print("# requests sent: %d in %.1f s (%.0f/s), accepted: %d, skipped as unsafe: %d"
              % (self.sent, self.elapsed, rate, self.accepted, self.skipped))
        print("# frames sent: %d, netns made: %d, deleted: %d, programs loaded: %d"
              % (self.frames, self.ns_made, self.ns_deleted, len(self.progs.ids)))
        print("# requests carrying a retired type (11-14): %d, refused with its message: %d"
              % (self.oracle.retired_sent, self.oracle.retired_exact))
        print("# distinct (errno, message) pairs: %d" % len(self.results))
        for (err, ext), count in sorted(self.results.items()):
            print("#   %6d  %-3d %-12s %s" % (count, err, errno.errorcode.get(err, "OK"), ext))


def fd_stat_ino(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--duration", type=float, default=90, help="seconds (default 90)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--replay-to", type=int, default=0, metavar="N",
                   help="replay the run of --seed up to request N and show it")
    p.add_argument("--kind", default="meta", help="rtnl_link kind (veth/netkit to test the tool)")
    p.add_argument("--netns", action="append", default=[], metavar="NAME",
                   help="a named netns (/run/netns/NAME) to manage as well")
    p.add_argument("--max-netns", type=int, default=3, help="namespaces made at once")
    p.add_argument("--netns-churn", type=float, default=0.01,
                   help="probability of a netns creation/deletion between requests")
    p.add_argument("--header", default=find_header())
    p.add_argument("-v", "--verbose", action="store_true", help="show every request")
    args = p.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 32)
    fz = Fuzzer(args)
    rc = 0
    fz.elapsed = 0
    try:
        fz.run()
    except Broken as e:
        rc = 1
        fz.elapsed = fz.elapsed or 1
        n, ns, mtype, flags, msg, err, ext = getattr(e, "request", (0, None, 0, 0, b"", 0, ""))
        print("# FAIL: seed %d request %d: %s" % (args.seed, n, e))
        if n:
            print("#   %s from netns %s flags %#x: errno %d '%s'\n#   bytes %s"
                  % (RTM_NAMES[mtype], ns.name, flags, err, ext, msg.hex()))
        print("#   what came before it, oldest first:")
        hist = list(fz.history)[:-1]
        for h in hist[-12:]:
            print("#     " + h)
        dbg = os.environ.get("FUZZ_DEBUG_GREP")
        if dbg:
            print("#   every earlier entry with %s:" % dbg)
            for h in hist[:-12]:
                if dbg in h or "churn" in h:
                    print("#     " + h)
        print("#   reproduce: %s --seed %d --replay-to %d%s" % (
            sys.argv[0], args.seed, n,
            "".join(" --netns %s" % x for x in args.netns) +
            (" --kind %s" % args.kind if args.kind != "meta" else "")))
    try:
        fz.teardown()
    except Broken as e:
        rc = 1
        print("# FAIL: seed %d at the end: %s" % (args.seed, e))
    finally:
        for ns in fz.nss.all:      # the holders die with us anyway (PDEATHSIG)
            if ns.child:
                os.kill(ns.child, signal.SIGKILL)
    fz.summary()
    print("# %s" % ("ok" if rc == 0 else "FAIL"), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
