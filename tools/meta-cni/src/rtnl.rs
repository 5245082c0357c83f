// SPDX-License-Identifier: GPL-2.0

//! The rtnetlink requests of the plugin, on metactl's netlink client: the pair (with the
//! peer created directly in the pod's namespace), links, addresses, routes and neighbours.

use std::net::IpAddr;
use std::os::fd::RawFd;

use metactl::nl::{self, Msg, Socket};
use metactl::uapi::*;

use crate::config::NetConf;
use crate::result::IpNet;

const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;
const RTM_NEWNEIGH: u16 = 28;
const NLM_F_REPLACE: u16 = 0x100;

const IFLA_ADDRESS: u16 = 1;
const IFLA_MTU: u16 = 4;
const IFF_UP: u32 = 1;

const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_FLAGS: u16 = 8;
const IFA_F_NODAD: u32 = 0x02;
const IFA_F_NOPREFIXROUTE: u32 = 0x200;

const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_METRICS: u16 = 8;
const RTA_TABLE: u16 = 15;
const RTAX_MTU: u16 = 2;
const RTAX_ADVMSS: u16 = 8;
const RT_TABLE_MAIN: u32 = 254;
const RTPROT_STATIC: u8 = 4;
const RTN_UNICAST: u8 = 1;
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_LINK: u8 = 253;
const RTNH_F_ONLINK: u32 = 4;

const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;
const NUD_PERMANENT: u16 = 0x80;

fn family(a: &IpAddr) -> u8 {
    if a.is_ipv4() {
        libc::AF_INET as u8
    } else {
        libc::AF_INET6 as u8
    }
}

fn ip_bytes(a: &IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    }
}

fn ip_of(p: &[u8]) -> Option<IpAddr> {
    match p.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(p).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(p).ok()?)),
        _ => None,
    }
}

/// "02:00:00:00:00:01"
pub fn mac_text(m: &[u8]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A link as the plugin needs it.
#[derive(Debug, Clone)]
pub struct LinkState {
    pub ifindex: i32,
    pub name: String,
    pub up: bool,
    pub mtu: Option<u32>,
    /// None or all zero in meta's L3 mode.
    pub mac: Option<Vec<u8>>,
    pub kind: Option<String>,
    /// IFLA_LINK: for meta, the other end's ifindex (in its namespace).
    pub link: Option<u32>,
    /// The attributes in IFLA_INFO_DATA.
    pub data: Vec<(u16, Vec<u8>)>,
}

impl LinkState {
    fn parse(payload: &[u8]) -> Option<LinkState> {
        let l = nl::Link::parse(payload)?;
        let flags = u32::from_ne_bytes(payload.get(8..12)?.try_into().ok()?);
        let mut s = LinkState {
            ifindex: l.ifindex,
            name: l.name.clone(),
            up: flags & IFF_UP != 0,
            mtu: None,
            mac: None,
            kind: l.kind.clone(),
            link: l.link,
            data: l.data.clone(),
        };
        for (ty, p) in nl::attrs(&payload[nl::IFINFOMSG_LEN..]) {
            match ty {
                IFLA_MTU => s.mtu = nl::get_u32(p),
                IFLA_ADDRESS => s.mac = Some(p.to_vec()),
                _ => {}
            }
        }
        Some(s)
    }

    pub fn data_u32(&self, ty: u16) -> Option<u32> {
        self.data
            .iter()
            .find(|(t, _)| *t == ty)
            .and_then(|(_, v)| nl::get_u32(v))
    }

    pub fn is_meta(&self) -> bool {
        self.kind.as_deref() == Some("meta")
    }

    pub fn is_primary(&self) -> bool {
        self.data
            .iter()
            .find(|(t, _)| *t == IFLA_META_PRIMARY)
            .and_then(|(_, v)| nl::get_u8(v))
            == Some(1)
    }

    /// The MAC address as text, when it has one (L2).
    pub fn mac_text(&self) -> Option<String> {
        self.mac
            .as_deref()
            .filter(|m| m.iter().any(|&b| b != 0))
            .map(mac_text)
    }
}

/// The link `name`, None when there is none.
pub fn link_by_name(sock: &mut Socket, name: &str) -> Result<Option<LinkState>, nl::Error> {
    let mut m = Msg::link(nl::RTM_GETLINK, nl::NLM_F_REQUEST, 0);
    m.attr_str(nl::IFLA_IFNAME, name);
    match sock.transact(&m) {
        Ok((replies, _)) => Ok(replies
            .iter()
            .filter(|r| r.ty == nl::RTM_NEWLINK)
            .find_map(|r| LinkState::parse(&r.payload))),
        Err(nl::Error::Kernel(a)) if a.errno == libc::ENODEV => Ok(None),
        Err(e) => Err(e),
    }
}

/// The `ifinfomsg` of a change: `flags` under `change`.
fn ifinfo_change(ifindex: i32, flags: u32, change: u32) -> [u8; nl::IFINFOMSG_LEN] {
    let mut b = nl::ifinfomsg(ifindex);
    b[8..12].copy_from_slice(&flags.to_ne_bytes());
    b[12..16].copy_from_slice(&change.to_ne_bytes());
    b
}

pub fn set_up(sock: &mut Socket, ifindex: i32) -> Result<(), nl::Error> {
    let mut m = Msg::new(nl::RTM_NEWLINK, nl::NLM_F_REQUEST);
    m.put_raw(&ifinfo_change(ifindex, IFF_UP, IFF_UP));
    sock.transact(&m).map(drop)
}

/// Deletes a link (a meta end: both ends go). A link already gone is no error.
pub fn delete(sock: &mut Socket, ifindex: i32) -> Result<(), nl::Error> {
    let m = Msg::link(nl::RTM_DELLINK, nl::NLM_F_REQUEST, ifindex);
    match sock.transact(&m) {
        Err(nl::Error::Kernel(a)) if a.errno == libc::ENODEV => Ok(()),
        r => r.map(drop),
    }
}

/// The `RTM_NEWLINK` that creates the pair: the primary `host` in the plugin's namespace and
/// the peer `pod` directly in the namespace of `netns_fd` (`IFLA_META_PEER_INFO` carries an
/// `ifinfomsg`, `IFLA_IFNAME`, `IFLA_NET_NS_FD` and `IFLA_MTU`), with the configured mode,
/// policies, scrub modes, head- and tailroom, and the MTU on both ends.
pub fn pair_msg(host: &str, pod: &str, netns_fd: RawFd, conf: &NetConf) -> Msg {
    let mut peer = Msg::new(0, 0);
    peer.put_raw(&nl::ifinfomsg(0));
    peer.attr_str(nl::IFLA_IFNAME, pod);
    peer.attr_u32(nl::IFLA_NET_NS_FD, netns_fd as u32);
    let mut m = Msg::link(
        nl::RTM_NEWLINK,
        nl::NLM_F_REQUEST | nl::NLM_F_CREATE | nl::NLM_F_EXCL,
        0,
    );
    m.attr_str(nl::IFLA_IFNAME, host);
    if let Some(mtu) = conf.mtu {
        m.attr_u32(IFLA_MTU, mtu);
        peer.attr_u32(IFLA_MTU, mtu);
    }
    let li = m.nest_start(nl::IFLA_LINKINFO);
    m.attr_str(nl::IFLA_INFO_KIND, "meta");
    let data = m.nest_start(nl::IFLA_INFO_DATA);
    m.attr(IFLA_META_PEER_INFO, &peer.finish(0)[nl::NLMSG_HDRLEN..]);
    m.attr_u32(IFLA_META_MODE, conf.mode);
    let u32s = [
        (IFLA_META_POLICY, conf.policy),
        (IFLA_META_PEER_POLICY, conf.peer_policy),
        (IFLA_META_SCRUB, conf.scrub),
        (IFLA_META_PEER_SCRUB, conf.peer_scrub),
    ];
    for (ty, v) in u32s {
        if let Some(v) = v {
            m.attr_u32(ty, v);
        }
    }
    for (ty, v) in [
        (IFLA_META_HEADROOM, conf.headroom),
        (IFLA_META_TAILROOM, conf.tailroom),
    ] {
        if let Some(v) = v {
            m.attr_u16(ty, v);
        }
    }
    m.nest_end(data);
    m.nest_end(li);
    m
}

pub fn add_addr(sock: &mut Socket, ifindex: i32, net: &IpNet) -> Result<(), nl::Error> {
    let mut m = Msg::new(
        RTM_NEWADDR,
        nl::NLM_F_REQUEST | nl::NLM_F_CREATE | nl::NLM_F_EXCL,
    );
    // struct ifaddrmsg: family, prefixlen, flags, scope, index
    let mut hdr = vec![family(&net.addr), net.prefix, 0, 0];
    hdr.extend_from_slice(&(ifindex as u32).to_ne_bytes());
    m.put_raw(&hdr);
    let a = ip_bytes(&net.addr);
    m.attr(IFA_LOCAL, &a);
    m.attr(IFA_ADDRESS, &a);
    // No prefix route: the pod's routes are the result's, and all lead to the host's end.
    let mut flags = IFA_F_NOPREFIXROUTE;
    if net.addr.is_ipv6() {
        flags |= IFA_F_NODAD;
    }
    m.attr_u32(IFA_FLAGS, flags);
    sock.transact(&m).map(drop)
}

/// The addresses of `ifindex`.
pub fn addrs(sock: &mut Socket, ifindex: i32) -> Result<Vec<IpNet>, nl::Error> {
    let mut m = Msg::new(RTM_GETADDR, nl::NLM_F_REQUEST | nl::NLM_F_DUMP);
    m.put_raw(&[0u8; 8]);
    let (replies, _) = sock.transact(&m)?;
    let mut out = Vec::new();
    for r in replies.iter().filter(|r| r.ty == RTM_NEWADDR) {
        let p = &r.payload;
        if p.len() < 8 || u32::from_ne_bytes(p[4..8].try_into().unwrap()) != ifindex as u32 {
            continue;
        }
        let prefix = p[1];
        let mut addr = None;
        for (ty, v) in nl::attrs(&p[8..]) {
            // IFA_LOCAL is the address itself where it differs from IFA_ADDRESS.
            if ty == IFA_LOCAL || (ty == IFA_ADDRESS && addr.is_none()) {
                addr = ip_of(v);
            }
        }
        if let Some(addr) = addr {
            out.push(IpNet { addr, prefix });
        }
    }
    Ok(out)
}

/// A route to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub dst: IpNet,
    pub gw: Option<IpAddr>,
    pub oif: i32,
    pub scope: u8,
    /// The gateway is on the link although no prefix says so.
    pub onlink: bool,
    pub table: Option<u32>,
    pub priority: Option<u32>,
    pub mtu: Option<u32>,
    pub advmss: Option<u32>,
}

impl RouteSpec {
    /// A route to `dst` out of `oif`, no gateway: the host's route to a pod, or a pod's
    /// route in L3 mode.
    pub fn device(dst: IpNet, oif: i32) -> RouteSpec {
        RouteSpec {
            dst,
            gw: None,
            oif,
            scope: RT_SCOPE_LINK,
            onlink: false,
            table: None,
            priority: None,
            mtu: None,
            advmss: None,
        }
    }
}

pub fn add_route(sock: &mut Socket, r: &RouteSpec) -> Result<(), nl::Error> {
    sock.transact(&route_msg(r)).map(drop)
}

fn route_msg(r: &RouteSpec) -> Msg {
    let mut m = Msg::new(
        RTM_NEWROUTE,
        nl::NLM_F_REQUEST | nl::NLM_F_CREATE | nl::NLM_F_EXCL,
    );
    let table = r.table.unwrap_or(RT_TABLE_MAIN);
    // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
    let mut hdr = vec![
        family(&r.dst.addr),
        r.dst.prefix,
        0,
        0,
        if table < 256 { table as u8 } else { 252 },
        RTPROT_STATIC,
        r.scope,
        RTN_UNICAST,
    ];
    let flags = if r.onlink { RTNH_F_ONLINK } else { 0 };
    hdr.extend_from_slice(&flags.to_ne_bytes());
    m.put_raw(&hdr);
    if r.dst.prefix > 0 {
        m.attr(RTA_DST, &ip_bytes(&r.dst.network().addr));
    }
    if let Some(gw) = &r.gw {
        m.attr(RTA_GATEWAY, &ip_bytes(gw));
    }
    m.attr_u32(RTA_OIF, r.oif as u32);
    m.attr_u32(RTA_TABLE, table);
    if let Some(p) = r.priority {
        m.attr_u32(RTA_PRIORITY, p);
    }
    if r.mtu.is_some() || r.advmss.is_some() {
        let n = m.nest_start(RTA_METRICS);
        if let Some(v) = r.mtu {
            m.attr_u32(RTAX_MTU, v);
        }
        if let Some(v) = r.advmss {
            m.attr_u32(RTAX_ADVMSS, v);
        }
        m.nest_end(n);
    }
    m
}

/// A route of a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub dst: IpNet,
    pub gw: Option<IpAddr>,
    pub oif: Option<i32>,
    pub table: u32,
}

/// The routes of `family` (`AF_INET` or `AF_INET6`), every table.
pub fn routes(sock: &mut Socket, family: u8) -> Result<Vec<RouteEntry>, nl::Error> {
    let mut m = Msg::new(RTM_GETROUTE, nl::NLM_F_REQUEST | nl::NLM_F_DUMP);
    let mut hdr = vec![0u8; 12];
    hdr[0] = family;
    m.put_raw(&hdr);
    let (replies, _) = sock.transact(&m)?;
    let mut out = Vec::new();
    for r in replies.iter().filter(|r| r.ty == RTM_NEWROUTE) {
        let p = &r.payload;
        if p.len() < 12 || p[0] != family {
            continue;
        }
        let zero = if family == libc::AF_INET as u8 {
            IpAddr::from([0u8; 4])
        } else {
            IpAddr::from([0u8; 16])
        };
        let mut e = RouteEntry {
            dst: IpNet {
                addr: zero,
                prefix: p[1],
            },
            gw: None,
            oif: None,
            table: u32::from(p[4]),
        };
        for (ty, v) in nl::attrs(&p[12..]) {
            match ty {
                RTA_DST => {
                    if let Some(a) = ip_of(v) {
                        e.dst.addr = a;
                    }
                }
                RTA_GATEWAY => e.gw = ip_of(v),
                RTA_OIF => e.oif = nl::get_u32(v).map(|o| o as i32),
                RTA_TABLE => e.table = nl::get_u32(v).unwrap_or(e.table),
                _ => {}
            }
        }
        out.push(e);
    }
    Ok(out)
}

/// A permanent neighbour entry: `ip` is at `mac` on `ifindex`.
pub fn add_neigh(
    sock: &mut Socket,
    ifindex: i32,
    ip: &IpAddr,
    mac: &[u8],
) -> Result<(), nl::Error> {
    let mut m = Msg::new(
        RTM_NEWNEIGH,
        nl::NLM_F_REQUEST | nl::NLM_F_CREATE | NLM_F_REPLACE,
    );
    // struct ndmsg: family, pad1, pad2, ifindex, state, flags, type
    let mut hdr = vec![family(ip), 0, 0, 0];
    hdr.extend_from_slice(&ifindex.to_ne_bytes());
    hdr.extend_from_slice(&NUD_PERMANENT.to_ne_bytes());
    hdr.extend_from_slice(&[0, 0]);
    m.put_raw(&hdr);
    m.attr(NDA_DST, &ip_bytes(ip));
    m.attr(NDA_LLADDR, mac);
    sock.transact(&m).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Command, NetConf};

    fn conf(extra: &str) -> NetConf {
        let s = format!(
            r#"{{"cniVersion":"1.0.0","name":"n","type":"meta","ipam":{{"type":"host-local"}}{extra}}}"#
        );
        NetConf::parse(s.as_bytes(), Command::Add).unwrap()
    }

    fn info_data(m: &Msg) -> (nl::Link, Vec<(u16, Vec<u8>)>) {
        let b = m.finish(1);
        let l = nl::Link::parse(&b[nl::NLMSG_HDRLEN..]).unwrap();
        let top = nl::attrs(&b[nl::NLMSG_HDRLEN + nl::IFINFOMSG_LEN..])
            .map(|(t, p)| (t, p.to_vec()))
            .collect();
        (l, top)
    }

    #[test]
    fn pair_request() {
        let c = conf(
            r#","mode":"l2","mtu":1400,"policy":"blackhole","peerScrub":"none","headroom":32"#,
        );
        let m = pair_msg("mcni01234567890", "eth0", 7, &c);
        let b = m.finish(1);
        assert_eq!(u16::from_ne_bytes(b[6..8].try_into().unwrap()), 0x601);
        let (l, top) = info_data(&m);
        assert_eq!(l.name, "mcni01234567890");
        assert_eq!(l.kind.as_deref(), Some("meta"));
        assert!(top.contains(&(IFLA_MTU, 1400u32.to_ne_bytes().to_vec())));
        let u32a = |t| l.data_attr(t).and_then(nl::get_u32);
        assert_eq!(u32a(IFLA_META_MODE), Some(META_L2));
        assert_eq!(u32a(IFLA_META_POLICY), Some(META_DROP as u32));
        assert_eq!(u32a(IFLA_META_PEER_SCRUB), Some(META_SCRUB_NONE));
        assert_eq!(l.data_attr(IFLA_META_PEER_POLICY), None);
        assert_eq!(
            l.data_attr(IFLA_META_HEADROOM).and_then(nl::get_u16),
            Some(32)
        );
        // never the legacy program attributes
        assert_eq!(l.data_attr(IFLA_META_BPF_FD), None);
        assert_eq!(l.data_attr(IFLA_META_PEER_BPF_FD), None);
        // the peer: an all-zero ifinfomsg, its name, the pod's netns and the MTU
        let mut want = Msg::new(0, 0);
        want.put_raw(&[0u8; 16]);
        want.attr_str(nl::IFLA_IFNAME, "eth0");
        want.attr_u32(nl::IFLA_NET_NS_FD, 7);
        want.attr_u32(IFLA_MTU, 1400);
        assert_eq!(
            l.data_attr(IFLA_META_PEER_INFO),
            Some(&want.finish(0)[16..])
        );
        // defaults: L3, nothing else but the peer and the mode
        let (l, top) = info_data(&pair_msg("h", "p", 3, &conf("")));
        assert!(!top.iter().any(|(t, _)| *t == IFLA_MTU));
        let types: Vec<u16> = l.data.iter().map(|(t, _)| *t).collect();
        assert_eq!(types, vec![IFLA_META_PEER_INFO, IFLA_META_MODE]);
        assert_eq!(
            l.data_attr(IFLA_META_MODE).and_then(nl::get_u32),
            Some(META_L3)
        );
    }

    #[test]
    fn route_request() {
        let r = RouteSpec {
            dst: IpNet::parse("10.1.2.3/16").unwrap(),
            gw: Some("10.1.0.1".parse().unwrap()),
            oif: 9,
            scope: RT_SCOPE_UNIVERSE,
            onlink: true,
            table: Some(1000),
            priority: Some(5),
            mtu: Some(1400),
            advmss: None,
        };
        let b = route_msg(&r).finish(1);
        let h = &b[nl::NLMSG_HDRLEN..nl::NLMSG_HDRLEN + 12];
        // AF_INET, /16, table beyond 255 (RT_TABLE_COMPAT, the attribute says which),
        // static, universe, unicast, onlink
        assert_eq!(&h[..8], &[2, 16, 0, 0, 252, RTPROT_STATIC, 0, RTN_UNICAST]);
        assert_eq!(&h[8..], &RTNH_F_ONLINK.to_ne_bytes());
        let a: Vec<(u16, Vec<u8>)> = nl::attrs(&b[nl::NLMSG_HDRLEN + 12..])
            .map(|(t, p)| (t, p.to_vec()))
            .collect();
        let mut metrics = Msg::new(0, 0);
        metrics.attr_u32(RTAX_MTU, 1400);
        assert_eq!(
            a,
            vec![
                (RTA_DST, vec![10, 1, 0, 0]),
                (RTA_GATEWAY, vec![10, 1, 0, 1]),
                (RTA_OIF, 9u32.to_ne_bytes().to_vec()),
                (RTA_TABLE, 1000u32.to_ne_bytes().to_vec()),
                (RTA_PRIORITY, 5u32.to_ne_bytes().to_vec()),
                (RTA_METRICS, metrics.finish(0)[nl::NLMSG_HDRLEN..].to_vec()),
            ]
        );
        // a default route has no RTA_DST; a device route is of link scope
        let d = RouteSpec::device(IpNet::parse("::/0").unwrap(), 3);
        let b = route_msg(&d).finish(1);
        assert_eq!(
            &b[16..24],
            &[
                libc::AF_INET6 as u8,
                0,
                0,
                0,
                254,
                RTPROT_STATIC,
                RT_SCOPE_LINK,
                1
            ]
        );
        let types: Vec<u16> = nl::attrs(&b[28..]).map(|(t, _)| t).collect();
        assert_eq!(types, vec![RTA_OIF, RTA_TABLE]);
        assert_eq!(mac_text(&[2, 0, 0, 0xab, 0, 1]), "02:00:00:ab:00:01");
    }
}
