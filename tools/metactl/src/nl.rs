// SPDX-License-Identifier: GPL-2.0

//! A minimal rtnetlink client on a raw `AF_NETLINK`/`NETLINK_ROUTE` socket.
//!
//! It builds link messages (`nlmsghdr` + `ifinfomsg` + attributes, with nests), sends them,
//! and reads the replies: dump parts, the final `NLMSG_DONE`, and the `NLMSG_ERROR` ack with
//! the kernel's extended ack (`NETLINK_EXT_ACK`, capped with `NETLINK_CAP_ACK`).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

pub const NLMSG_HDRLEN: usize = 16;
pub const IFINFOMSG_LEN: usize = 16;
const NLA_HDRLEN: usize = 4;
/// The type bits of `nla_type` (without `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER`).
const NLA_TYPE_MASK: u16 = 0x3fff;

pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;

pub const NLM_F_REQUEST: u16 = 0x01;
#[cfg(test)]
pub const NLM_F_MULTI: u16 = 0x02;
pub const NLM_F_ACK: u16 = 0x04;
pub const NLM_F_DUMP: u16 = 0x300;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;
/// In an `NLMSG_ERROR`: the request was not echoed beyond its header.
pub const NLM_F_CAPPED: u16 = 0x100;
/// In an `NLMSG_ERROR` or `NLMSG_DONE`: extended ack attributes follow.
pub const NLM_F_ACK_TLVS: u16 = 0x200;

pub const NLMSGERR_ATTR_MSG: u16 = 1;
pub const NLMSGERR_ATTR_OFFS: u16 = 2;

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_DELLINK: u16 = 17;
pub const RTM_GETLINK: u16 = 18;

pub const IFLA_IFNAME: u16 = 3;
pub const IFLA_LINK: u16 = 5;
pub const IFLA_LINKINFO: u16 = 18;
pub const IFLA_NET_NS_FD: u16 = 28;
pub const IFLA_LINK_NETNSID: u16 = 37;

pub const IFLA_INFO_KIND: u16 = 1;
pub const IFLA_INFO_DATA: u16 = 2;
/// `IFF_UP` of `struct ifinfomsg`'s `ifi_flags`.
pub const IFF_UP: u32 = 1;

const SOL_NETLINK: libc::c_int = 270;
const NETLINK_CAP_ACK: libc::c_int = 10;
const NETLINK_EXT_ACK: libc::c_int = 11;

pub const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// A netlink request under construction. The header's length and sequence number are filled
/// in by [`Msg::finish`].
#[derive(Debug, Clone)]
pub struct Msg {
    buf: Vec<u8>,
}

/// The position of an open nest, closed by [`Msg::nest_end`].
#[must_use]
pub struct Nest(usize);

impl Msg {
    pub fn new(ty: u16, flags: u16) -> Self {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&ty.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes()); // seq
        buf.extend_from_slice(&0u32.to_ne_bytes()); // pid: the kernel fills it in
        Msg { buf }
    }

    /// A link message: `RTM_*LINK` with a `struct ifinfomsg` for `ifindex` (0: by name).
    pub fn link(ty: u16, flags: u16, ifindex: i32) -> Self {
        Self::link_flags(ty, flags, ifindex, 0, 0)
    }

    /// A link message whose `struct ifinfomsg` asks for the device flags `ifi_flags` in the
    /// bits of `ifi_change`.
    pub fn link_flags(ty: u16, flags: u16, ifindex: i32, ifi_flags: u32, ifi_change: u32) -> Self {
        let mut m = Msg::new(ty, flags);
        let mut h = ifinfomsg(ifindex);
        h[8..12].copy_from_slice(&ifi_flags.to_ne_bytes());
        h[12..16].copy_from_slice(&ifi_change.to_ne_bytes());
        m.put_raw(&h);
        m
    }

    fn pad(&mut self) {
        let n = align(self.buf.len());
        self.buf.resize(n, 0);
    }

    /// Appends raw bytes at the next aligned position.
    pub fn put_raw(&mut self, data: &[u8]) {
        self.pad();
        self.buf.extend_from_slice(data);
        self.pad();
    }

    pub fn attr(&mut self, ty: u16, payload: &[u8]) {
        self.pad();
        let len = u16::try_from(NLA_HDRLEN + payload.len()).expect("attribute too long");
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
    }

    pub fn attr_u16(&mut self, ty: u16, v: u16) {
        self.attr(ty, &v.to_ne_bytes());
    }

    pub fn attr_u32(&mut self, ty: u16, v: u32) {
        self.attr(ty, &v.to_ne_bytes());
    }

    /// A NUL-terminated string.
    pub fn attr_str(&mut self, ty: u16, s: &str) {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.attr(ty, &v);
    }

    pub fn nest_start(&mut self, ty: u16) -> Nest {
        self.pad();
        let pos = self.buf.len();
        self.attr(ty, &[]);
        Nest(pos)
    }

    pub fn nest_end(&mut self, nest: Nest) {
        self.pad();
        let len = u16::try_from(self.buf.len() - nest.0).expect("nest too long");
        self.buf[nest.0..nest.0 + 2].copy_from_slice(&len.to_ne_bytes());
    }

    /// The bytes to send, with the total length and `seq` set.
    pub fn finish(&self, seq: u32) -> Vec<u8> {
        let mut b = self.buf.clone();
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        b[8..12].copy_from_slice(&seq.to_ne_bytes());
        b
    }
}

/// A `struct ifinfomsg` for `AF_UNSPEC` and `ifindex`, everything else zero.
pub fn ifinfomsg(ifindex: i32) -> [u8; IFINFOMSG_LEN] {
    let mut b = [0u8; IFINFOMSG_LEN];
    b[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    b
}

/// The attributes in `buf`: `(type without flags, payload)`. Stops at the first malformed one.
pub fn attrs(buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.len() < NLA_HDRLEN {
            return None;
        }
        let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
        let ty = u16::from_ne_bytes([rest[2], rest[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > rest.len() {
            return None;
        }
        let payload = &rest[NLA_HDRLEN..len];
        rest = &rest[align(len).min(rest.len())..];
        Some((ty, payload))
    })
}

pub fn get_u8(p: &[u8]) -> Option<u8> {
    p.first().copied()
}

pub fn get_u16(p: &[u8]) -> Option<u16> {
    Some(u16::from_ne_bytes(p.get(..2)?.try_into().ok()?))
}

pub fn get_u32(p: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(p.get(..4)?.try_into().ok()?))
}

pub fn get_str(p: &[u8]) -> String {
    let end = p.iter().position(|&c| c == 0).unwrap_or(p.len());
    String::from_utf8_lossy(&p[..end]).into_owned()
}

/// One received netlink message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    /// The payload after the `nlmsghdr`.
    pub payload: Vec<u8>,
}

/// Splits a datagram into messages.
pub fn split(buf: &[u8]) -> io::Result<Vec<Reply>> {
    let mut out = Vec::new();
    let mut rest = buf;
    while rest.len() >= NLMSG_HDRLEN {
        let len = u32::from_ne_bytes(rest[0..4].try_into().unwrap()) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "truncated netlink message",
            ));
        }
        out.push(Reply {
            ty: u16::from_ne_bytes(rest[4..6].try_into().unwrap()),
            flags: u16::from_ne_bytes(rest[6..8].try_into().unwrap()),
            seq: u32::from_ne_bytes(rest[8..12].try_into().unwrap()),
            payload: rest[NLMSG_HDRLEN..len].to_vec(),
        });
        rest = &rest[align(len).min(rest.len())..];
    }
    Ok(out)
}

/// The outcome carried by an `NLMSG_ERROR` (or `NLMSG_DONE`): `errno` is positive, 0 for an
/// ack; `msg` is the extended ack message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub errno: i32,
    pub msg: Option<String>,
    /// `NLMSGERR_ATTR_OFFS`: the offset of the offending attribute in the request.
    pub offset: Option<u32>,
}

impl Ack {
    /// Parses the payload of an `NLMSG_ERROR` (`done` false) or `NLMSG_DONE` (`done` true)
    /// with the flags of its header.
    pub fn parse(flags: u16, payload: &[u8], done: bool) -> io::Result<Ack> {
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "malformed netlink ack");
        let err = match payload.get(..4) {
            Some(b) => i32::from_ne_bytes(b.try_into().unwrap()),
            // An old kernel's NLMSG_DONE may have no payload.
            None if done => 0,
            None => return Err(bad()),
        };
        let mut ack = Ack {
            errno: err.saturating_neg(),
            msg: None,
            offset: None,
        };
        let tlv_start = if done {
            4
        } else {
            // The echoed request: its header only when capped, else all of it.
            let orig = payload.get(4..4 + NLMSG_HDRLEN).ok_or_else(bad)?;
            if flags & NLM_F_CAPPED != 0 {
                4 + NLMSG_HDRLEN
            } else {
                4 + align(u32::from_ne_bytes(orig[0..4].try_into().unwrap()) as usize)
            }
        };
        if flags & NLM_F_ACK_TLVS != 0 {
            let tlvs = payload.get(tlv_start..).unwrap_or(&[]);
            for (ty, p) in attrs(tlvs) {
                match ty {
                    NLMSGERR_ATTR_MSG => ack.msg = Some(get_str(p)),
                    NLMSGERR_ATTR_OFFS => ack.offset = get_u32(p),
                    _ => {}
                }
            }
        }
        Ok(ack)
    }
}

/// A failed request.
#[derive(Debug)]
pub enum Error {
    /// The kernel refused: positive errno and the extended ack message.
    Kernel(Ack),
    /// The socket failed.
    Io(io::Error),
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

pub struct Socket {
    fd: OwnedFd,
    seq: u32,
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

impl Socket {
    pub fn open() -> io::Result<Socket> {
        // SAFETY: plain syscall; the fd is owned below.
        let fd = check(unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            )
        })?;
        // SAFETY: fd is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let one: libc::c_int = 1;
        for opt in [NETLINK_EXT_ACK, NETLINK_CAP_ACK] {
            // SAFETY: `one` is a valid c_int for the duration of the call.
            check(unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    SOL_NETLINK,
                    opt,
                    &one as *const libc::c_int as *const libc::c_void,
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            })?;
        }
        // SAFETY: sockaddr_nl is plain data; all zero is valid (kernel assigns the port).
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `sa` is a valid sockaddr_nl of the given size.
        check(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        })?;
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        Ok(Socket { fd, seq })
    }

    fn send(&mut self, msg: &Msg) -> io::Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let bytes = msg.finish(self.seq);
        // SAFETY: sockaddr_nl is plain data; all zero addresses the kernel.
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `bytes` and `sa` are valid for the call.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                bytes.as_ptr() as *const libc::c_void,
                bytes.len(),
                0,
                &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(self.seq)
    }

    /// Receives one datagram, whatever its size.
    fn recv(&mut self) -> io::Result<Vec<u8>> {
        loop {
            // SAFETY: a zero-length peek; only the size is returned.
            let size = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    std::ptr::null_mut(),
                    0,
                    libc::MSG_PEEK | libc::MSG_TRUNC,
                )
            };
            if size < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let mut buf = vec![0u8; (size as usize).max(NLMSG_HDRLEN)];
            // SAFETY: `buf` is valid for `buf.len()` bytes.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    0,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            buf.truncate(n as usize);
            return Ok(buf);
        }
    }

    /// Sends `msg` and collects the replies until its ack (`NLM_F_ACK` is added) or, for a
    /// dump, until `NLMSG_DONE`. Returns the reply messages and the final ack, whose errno is
    /// 0 (an error is returned as [`Error::Kernel`]); its `msg` may hold a warning.
    pub fn transact(&mut self, msg: &Msg) -> Result<(Vec<Reply>, Ack), Error> {
        let mut msg = msg.clone();
        let flags = u16::from_ne_bytes([msg.buf[6], msg.buf[7]]);
        let dump = flags & NLM_F_DUMP == NLM_F_DUMP;
        if !dump {
            msg.buf[6..8].copy_from_slice(&(flags | NLM_F_ACK).to_ne_bytes());
        }
        let seq = self.send(&msg)?;
        let mut out = Vec::new();
        loop {
            let buf = self.recv()?;
            for r in split(&buf)? {
                if r.seq != seq {
                    continue;
                }
                match r.ty {
                    NLMSG_ERROR | NLMSG_DONE => {
                        let ack = Ack::parse(r.flags, &r.payload, r.ty == NLMSG_DONE)?;
                        if ack.errno != 0 {
                            return Err(Error::Kernel(ack));
                        }
                        return Ok((out, ack));
                    }
                    _ => out.push(r),
                }
            }
        }
    }
}

/// The parts of an `RTM_NEWLINK` reply that `metactl show` uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    pub ifindex: i32,
    pub name: String,
    /// `IFLA_LINK`: for meta, the ifindex of the peer (in the peer's namespace).
    pub link: Option<u32>,
    pub link_netnsid: Option<i32>,
    pub kind: Option<String>,
    /// The attributes inside `IFLA_INFO_DATA`.
    pub data: Vec<(u16, Vec<u8>)>,
}

impl Link {
    /// Parses the payload of an `RTM_NEWLINK` message (`ifinfomsg` + attributes).
    pub fn parse(payload: &[u8]) -> Option<Link> {
        let hdr = payload.get(..IFINFOMSG_LEN)?;
        let mut l = Link {
            ifindex: i32::from_ne_bytes(hdr[4..8].try_into().ok()?),
            ..Default::default()
        };
        for (ty, p) in attrs(&payload[IFINFOMSG_LEN..]) {
            match ty {
                IFLA_IFNAME => l.name = get_str(p),
                IFLA_LINK => l.link = get_u32(p),
                IFLA_LINK_NETNSID => l.link_netnsid = get_u32(p).map(|v| v as i32),
                IFLA_LINKINFO => {
                    for (ity, ip) in attrs(p) {
                        match ity {
                            IFLA_INFO_KIND => l.kind = Some(get_str(ip)),
                            IFLA_INFO_DATA => {
                                l.data = attrs(ip).map(|(t, v)| (t, v.to_vec())).collect();
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Some(l)
    }

    pub fn data_attr(&self, ty: u16) -> Option<&[u8]> {
        self.data
            .iter()
            .find(|(t, _)| *t == ty)
            .map(|(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ne16(v: u16) -> [u8; 2] {
        v.to_ne_bytes()
    }

    #[test]
    fn encode_link_with_nests() {
        let mut m = Msg::link(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL, 0);
        m.attr_str(IFLA_IFNAME, "m0");
        let li = m.nest_start(IFLA_LINKINFO);
        m.attr_str(IFLA_INFO_KIND, "meta");
        let d = m.nest_start(IFLA_INFO_DATA);
        m.attr_u32(5, 1);
        m.attr_u16(8, 0x1234);
        m.nest_end(d);
        m.nest_end(li);
        let b = m.finish(7);

        // header
        assert_eq!(
            u32::from_ne_bytes(b[0..4].try_into().unwrap()) as usize,
            b.len()
        );
        assert_eq!(u16::from_ne_bytes(b[4..6].try_into().unwrap()), RTM_NEWLINK);
        assert_eq!(u16::from_ne_bytes(b[6..8].try_into().unwrap()), 0x601);
        assert_eq!(u32::from_ne_bytes(b[8..12].try_into().unwrap()), 7);
        // ifinfomsg all zero
        assert_eq!(&b[16..32], &[0u8; 16]);
        // IFLA_IFNAME "m0\0": len 7, padded to 8
        assert_eq!(&b[32..36], &[ne16(7), ne16(IFLA_IFNAME)].concat()[..]);
        assert_eq!(&b[36..40], b"m0\0\0");
        // IFLA_LINKINFO: 4 + kind(4+5 -> 12) + data(4 + 8 + 8 = 20) = 36
        assert_eq!(&b[40..44], &[ne16(36), ne16(IFLA_LINKINFO)].concat()[..]);
        assert_eq!(&b[44..48], &[ne16(9), ne16(IFLA_INFO_KIND)].concat()[..]);
        assert_eq!(&b[48..56], b"meta\0\0\0\0");
        assert_eq!(&b[56..60], &[ne16(20), ne16(IFLA_INFO_DATA)].concat()[..]);
        assert_eq!(&b[60..64], &[ne16(8), ne16(5)].concat()[..]);
        assert_eq!(&b[64..68], &1u32.to_ne_bytes());
        // u16: len 6, padded to 8
        assert_eq!(&b[68..72], &[ne16(6), ne16(8)].concat()[..]);
        assert_eq!(&b[72..76], &[0x1234u16.to_ne_bytes(), [0, 0]].concat()[..]);
        assert_eq!(b.len(), 76);

        // and it parses back
        let l = Link::parse(&b[16..]).unwrap();
        assert_eq!(l.name, "m0");
        assert_eq!(l.kind.as_deref(), Some("meta"));
        assert_eq!(l.data_attr(5), Some(&1u32.to_ne_bytes()[..]));
        assert_eq!(l.data_attr(8).and_then(get_u16), Some(0x1234));
    }

    #[test]
    fn empty_and_odd_attrs() {
        let mut m = Msg::new(RTM_GETLINK, NLM_F_REQUEST);
        m.attr(1, &[]);
        m.attr(2, &[0xaa, 0xbb, 0xcc]);
        m.attr(3, &[0xdd]);
        let b = m.finish(1);
        let got: Vec<_> = attrs(&b[16..]).collect();
        assert_eq!(
            got,
            vec![(1, &[][..]), (2, &[0xaa, 0xbb, 0xcc][..]), (3, &[0xdd][..])]
        );
        assert_eq!(b.len(), 16 + 4 + 8 + 8);
    }

    /// An NLMSG_ERROR as the kernel builds it with NETLINK_CAP_ACK and NETLINK_EXT_ACK.
    fn kernel_error(errno: i32, msg: Option<&str>, offs: Option<u32>, capped: bool) -> Vec<u8> {
        let mut req = Msg::link(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 3);
        req.attr_u32(99, 5);
        let req = req.finish(42);
        let mut e = Msg::new(NLMSG_ERROR, 0);
        let mut flags = 0;
        let mut payload = (-errno).to_ne_bytes().to_vec();
        if capped {
            flags |= NLM_F_CAPPED;
            payload.extend_from_slice(&req[..16]);
        } else {
            payload.extend_from_slice(&req);
        }
        e.put_raw(&payload);
        if msg.is_some() || offs.is_some() {
            flags |= NLM_F_ACK_TLVS;
        }
        if let Some(s) = msg {
            e.attr_str(NLMSGERR_ATTR_MSG, s);
        }
        if let Some(o) = offs {
            e.attr_u32(NLMSGERR_ATTR_OFFS, o);
        }
        e.buf[6..8].copy_from_slice(&flags.to_ne_bytes());
        e.finish(42)
    }

    #[test]
    fn ack_with_extack() {
        for capped in [true, false] {
            let b = kernel_error(
                13,
                Some("meta link settings can be changed only through the primary device"),
                Some(36),
                capped,
            );
            let r = split(&b).unwrap();
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].ty, NLMSG_ERROR);
            assert_eq!(r[0].seq, 42);
            let a = Ack::parse(r[0].flags, &r[0].payload, false).unwrap();
            assert_eq!(a.errno, 13);
            assert_eq!(
                a.msg.as_deref(),
                Some("meta link settings can be changed only through the primary device")
            );
            assert_eq!(a.offset, Some(36));
        }
    }

    #[test]
    fn ack_plain() {
        let b = kernel_error(0, None, None, true);
        let r = split(&b).unwrap();
        let a = Ack::parse(r[0].flags, &r[0].payload, false).unwrap();
        assert_eq!(
            a,
            Ack {
                errno: 0,
                msg: None,
                offset: None
            }
        );
        let b = kernel_error(95, None, None, false);
        let r = split(&b).unwrap();
        let a = Ack::parse(r[0].flags, &r[0].payload, false).unwrap();
        assert_eq!(a.errno, 95);
        assert_eq!(a.msg, None);
    }

    #[test]
    fn done_with_extack() {
        let mut d = Msg::new(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
        d.put_raw(&(-22i32).to_ne_bytes());
        d.attr_str(NLMSGERR_ATTR_MSG, "bad filter");
        let b = d.finish(5);
        let r = split(&b).unwrap();
        let a = Ack::parse(r[0].flags, &r[0].payload, true).unwrap();
        assert_eq!(a.errno, 22);
        assert_eq!(a.msg.as_deref(), Some("bad filter"));
        // an empty NLMSG_DONE
        let a = Ack::parse(0, &[], true).unwrap();
        assert_eq!(a.errno, 0);
        assert!(Ack::parse(0, &[], false).is_err());
    }

    #[test]
    fn split_several_and_truncated() {
        let a = Msg::new(RTM_NEWLINK, NLM_F_MULTI).finish(1);
        let mut m = Msg::new(RTM_NEWLINK, NLM_F_MULTI);
        m.attr(1, &[1]);
        let b = m.finish(1);
        let mut both = a.clone();
        both.extend_from_slice(&b);
        let r = split(&both).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].payload.len(), 8);
        assert!(split(&b[..b.len() - 4]).is_err());
    }
}
