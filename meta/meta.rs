// SPDX-License-Identifier: GPL-2.0

//! meta: a BPF-programmable network device pair.
//!
//! A meta device is a pair: the primary stays in the namespace where it is created, the peer
//! usually goes into a container's namespace. A buffer transmitted on one end is scrubbed,
//! switched to the other end (and with it to the other namespace), and handed to the BPF
//! programs attached for the transmitting end, in order. Their verdict decides: pass delivers
//! to the other end, redirect sends it straight to the device the program chose
//! (`skb_do_redirect()`, no backlog queue), drop drops. Without programs the end's policy
//! decides.
//!
//! The netlink interface matches netkit's for attributes 1-9. Programs attach as on netkit,
//! through bpf(2) on the primary's ifindex (`BPF_NETKIT_PRIMARY`, `BPF_NETKIT_PEER`,
//! links of type `BPF_LINK_TYPE_NETKIT`): netkit's own attach code serves meta's pairs.

use kernel::{
    bpf::{NetContext, Verdict},
    c_str,
    net::{
        dev::{
            self, features, flags, priv_flags, Driver, DriverDevice, SockAddr, Stats64, TxStatus,
        },
        nl::{self, Attr, Attrs, ExtAck, MsgWriter, Policy},
        rtnl::{self, LinkOps, NewDevice, PeerInfo, Rtnl},
        skb::{DropReason, SkBuff, ETH_HLEN},
        Namespace,
    },
    percpu,
    prelude::*,
    sync::rcu,
};

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

mod uapi;
use uapi::*;

module! {
    type: MetaModule,
    name: "meta",
    author: "meta developers",
    description: "BPF-programmable network device pair",
    license: "GPL",
    alias: ["rtnl-link-meta"],
}

/// Declares the per-end counters and their `ethtool -S` names from one list, so that the two
/// cannot drift apart. `xmit_pass` comes first and has no counter of its own: it is the end's
/// transmitted packets in the core's per-CPU statistics (tstats) less its redirects. The drops
/// come last; their sum is the end's `tx_dropped`.
macro_rules! counters {
    (
        pass: $pass:literal,
        others: [$($counter:ident => $name:literal,)*],
        drops: [$($drop:ident => $drop_name:literal,)*],
    ) => {
        /// Per-end, per-CPU counters: each outcome of a transmit but a pass.
        #[derive(Clone, Copy)]
        enum Counter {
            $($counter,)*
            $($drop,)*
        }

        /// The counters that are drops.
        const DROPS: &[Counter] = &[$(Counter::$drop,)*];

        const STAT_NAMES: &[&CStr] = &[c_str!($pass), $(c_str!($name),)* $(c_str!($drop_name),)*];
    };
}

counters! {
    pass: "xmit_pass",
    others: [
        Redirect => "xmit_redirect",
        RedirectErr => "xmit_redirect_err",
    ],
    drops: [
        DropProg => "xmit_drop_prog",
        DropPolicy => "xmit_drop_policy",
        DropVerdict => "xmit_drop_verdict",
        DropNoPeer => "xmit_drop_no_peer",
        DropPeerDown => "xmit_drop_peer_down",
        DropHdr => "xmit_drop_hdr",
        DropFrags => "xmit_drop_frags",
        DropBacklog => "xmit_drop_backlog",
    ],
}

/// The per-CPU counters of an end: every statistic but `xmit_pass`.
const NCOUNTERS: usize = STAT_NAMES.len() - 1;

/// The mode of a pair (`enum meta_mode`), chosen at creation for both ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Ethernet: MAC addresses, ARP.
    L2,
    /// IP only: no MAC address, no ARP (the default).
    L3,
}

impl Mode {
    fn parse(attr: &Attr, extack: &ExtAck) -> Result<Self> {
        match attr.get_u32()? {
            META_L2 => Ok(Self::L2),
            META_L3 => Ok(Self::L3),
            _ => Err(extack.fail_attr(
                EINVAL,
                c_str!("Provided device mode can only be L2 or L3"),
                attr,
            )),
        }
    }

    fn raw(self) -> u32 {
        match self {
            Self::L2 => META_L2,
            Self::L3 => META_L3,
        }
    }
}

/// The verdict of an end without a program: the two values of `enum meta_action` that
/// `IFLA_META_POLICY` and `IFLA_META_PEER_POLICY` accept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum XmitPolicy {
    Pass,
    Drop,
}

impl XmitPolicy {
    fn parse(attr: &Attr, extack: &ExtAck) -> Result<Self> {
        match attr.get_u32()? {
            META_PASS => Ok(Self::Pass),
            META_DROP => Ok(Self::Drop),
            _ => Err(extack.fail_attr(
                EINVAL,
                c_str!("Provided default xmit policy not supported"),
                attr,
            )),
        }
    }

    fn raw(self) -> u32 {
        match self {
            Self::Pass => META_PASS,
            Self::Drop => META_DROP,
        }
    }
}

/// An end's [`XmitPolicy`], which `changelink` may change while packets flow.
struct PolicyCell(AtomicBool);

impl PolicyCell {
    fn new(p: XmitPolicy) -> Self {
        Self(AtomicBool::new(p == XmitPolicy::Drop))
    }

    fn get(&self) -> XmitPolicy {
        if self.0.load(Relaxed) {
            XmitPolicy::Drop
        } else {
            XmitPolicy::Pass
        }
    }

    fn set(&self, p: XmitPolicy) {
        self.0.store(p == XmitPolicy::Drop, Relaxed);
    }
}

/// The private data of one end. `primary`, `scrub` and `mode` are set in `newlink`, before the
/// end is registered, and never change.
struct MetaEnd {
    primary: bool,
    /// The verdict without a program.
    policy: PolicyCell,
    /// Clear mark and priority when crossing namespaces (`META_SCRUB_DEFAULT`).
    scrub: bool,
    mode: Mode,
    /// The receive headroom requested for this end (`ndo_set_rx_headroom`).
    headroom: AtomicU32,
    /// Per CPU, allocated in `newlink` before the end is registered: the transmit path of
    /// each CPU counts in its own copy.
    counters: Option<percpu::Counters<NCOUNTERS>>,
}

impl MetaEnd {
    fn count(&self, c: Counter) {
        if let Some(counters) = &self.counters {
            counters.inc(c as usize);
        }
    }

    fn sum(&self, c: Counter) -> u64 {
        self.counters
            .as_ref()
            .map_or(0, |counters| counters.sum(c as usize))
    }

    fn is_primary(&self) -> bool {
        self.primary
    }

    fn is_l2(&self) -> bool {
        self.mode == Mode::L2
    }
}

/// Frees `skb` as a drop on `dev`, counted under `c`.
fn drop_skb(dev: &DriverDevice<Meta>, skb: SkBuff, c: Counter, reason: DropReason) -> TxStatus {
    skb.drop_reason(reason);
    dev.data().count(c);
    TxStatus::Dropped
}

struct Meta;

#[vtable]
impl Driver for Meta {
    type Data = MetaEnd;
    type Pairing = rtnl::Pair;
    const NAME: &'static CStr = c_str!("meta");
    const STATS: &'static [&'static CStr] = STAT_NAMES;
    // Both ends take any buffer with the features they have, as netkit's and veth's do.
    const PASSTHRU_FEATURES_CHECK: bool = true;

    fn init_data() -> impl PinInit<MetaEnd> {
        init!(MetaEnd {
            primary: false,
            policy: PolicyCell::new(XmitPolicy::Pass),
            scrub: true,
            mode: Mode::L3,
            headroom: AtomicU32::new(0),
            counters: None,
        })
    }

    fn start_xmit(dev: &DriverDevice<Self>, mut skb: SkBuff) -> TxStatus {
        NetContext::with(|ctx| {
            let guard = rcu::read_lock();
            let me = dev.data();
            let len = skb.len();
            let Some(peer) = dev.peer(&guard) else {
                return drop_skb(dev, skb, Counter::DropNoPeer, DropReason::DevReady);
            };
            if !peer.is_up() {
                return drop_skb(dev, skb, Counter::DropPeerDown, DropReason::DevReady);
            }
            if !skb.may_pull(ETH_HLEN) {
                return drop_skb(dev, skb, Counter::DropHdr, DropReason::DevHdr);
            }
            if skb.orphan_frags().is_err() {
                return drop_skb(dev, skb, Counter::DropFrags, DropReason::NoMem);
            }
            // Scrub: what must not cross devices always, what must not cross namespaces when
            // the ends are in different ones, and mark and priority too unless asked to keep
            // them.
            skb.scrub(false);
            skb.skip_nf_egress(true);
            skb.reset_mac_header();
            if !dev.same_net(peer) {
                skb.ipvs_reset();
                skb.clear_tstamp();
                if me.scrub {
                    skb.set_mark(0);
                    skb.set_priority(0);
                }
            }
            skb.set_pkt_type_for(peer);
            // The switch to the other end, and with it to its namespace.
            skb.set_dev(peer);
            // With programs attached they decide, and the policy is not consulted.
            let (verdict, by_prog) = match dev.programs().run(&mut skb, ctx, &guard) {
                Some(v) => (v, true),
                None => match me.policy.get() {
                    XmitPolicy::Pass => (Verdict::Pass, false),
                    XmitPolicy::Drop => (Verdict::Drop, false),
                },
            };
            match verdict {
                Verdict::Next | Verdict::Pass => {
                    skb.pull_mac_rcsum();
                    if skb.netif_rx().is_err() {
                        me.count(Counter::DropBacklog);
                        return TxStatus::Dropped;
                    }
                    dev.sw_netstats_tx_add(1, len);
                    peer.sw_netstats_rx_add(len);
                    TxStatus::Ok
                }
                Verdict::Redirect => {
                    dev.sw_netstats_tx_add(1, len);
                    me.count(Counter::Redirect);
                    if skb.redirect(ctx).is_err() {
                        me.count(Counter::RedirectErr);
                    }
                    TxStatus::Ok
                }
                Verdict::Drop if by_prog => {
                    drop_skb(dev, skb, Counter::DropProg, DropReason::TcEgress)
                }
                Verdict::Drop => drop_skb(dev, skb, Counter::DropPolicy, DropReason::TcEgress),
                Verdict::Other(_) => drop_skb(dev, skb, Counter::DropVerdict, DropReason::TcEgress),
            }
        })
    }

    fn open(dev: &DriverDevice<Self>, rtnl: &Rtnl) -> Result {
        let peer = dev.peer_rtnl(rtnl).ok_or(ENOTCONN)?;
        if peer.is_up() {
            dev.carrier_on();
            peer.carrier_on();
        }
        Ok(())
    }

    fn stop(dev: &DriverDevice<Self>, rtnl: &Rtnl) -> Result {
        dev.carrier_off();
        if let Some(peer) = dev.peer_rtnl(rtnl) {
            peer.carrier_off();
        }
        Ok(())
    }

    fn get_stats64(dev: &DriverDevice<Self>, stats: &mut Stats64<'_>) {
        dev.fetch_sw_netstats(stats);
        let me = dev.data();
        stats.add_tx_dropped(DROPS.iter().map(|&c| me.sum(c)).sum());
    }

    fn set_rx_headroom(dev: &DriverDevice<Self>, headroom: i32) {
        let headroom = u32::try_from(headroom).unwrap_or(dev::NET_SKB_PAD);
        let guard = rcu::read_lock();
        let Some(peer) = dev.peer(&guard) else {
            return;
        };
        dev.data().headroom.store(headroom, Relaxed);
        let both = headroom.max(peer.data().headroom.load(Relaxed));
        let both = u16::try_from(both).unwrap_or(u16::MAX);
        peer.set_needed_headroom(both);
        dev.set_needed_headroom(both);
    }

    fn set_rx_mode(_dev: &DriverDevice<Self>) {
        // Nothing to filter: an end receives whatever its peer sends.
    }

    fn set_mac_address(dev: &DriverDevice<Self>, rtnl: &Rtnl, addr: &SockAddr) -> Result {
        if !dev.data().is_l2() {
            return Err(EOPNOTSUPP);
        }
        dev.eth_mac_addr(rtnl, addr)
    }

    fn get_ethtool_stats(dev: &DriverDevice<Self>, out: &mut [u64]) {
        let Some(counters) = &dev.data().counters else {
            return;
        };
        let Some((pass, rest)) = out.split_first_mut() else {
            return;
        };
        for (i, o) in rest.iter_mut().enumerate() {
            *o = counters.sum(i);
        }
        // Transmitted packets are read after the redirects, and a redirect is added to tstats
        // before it is counted: one in flight makes the difference too large, never negative.
        *pass = dev
            .sw_netstats_tx_packets()
            .saturating_sub(rest[Counter::Redirect as usize]);
    }
}

/// The policy of `IFLA_INFO_DATA`, keyed by attribute: `Policy::table` refuses, at compile
/// time, an attribute given twice or one without a rule.
static POLICY: [Policy; IFLA_META_MAX as usize + 1] = Policy::table(&[
    // A struct ifinfomsg (16 bytes) and IFLA_* attributes.
    (IFLA_META_PEER_INFO, Policy::min_len(16)),
    (
        IFLA_META_PRIMARY,
        Policy::reject(c_str!("Primary attribute is read-only")),
    ),
    (IFLA_META_POLICY, Policy::u32()),
    (IFLA_META_PEER_POLICY, Policy::u32()),
    (IFLA_META_MODE, Policy::u32()),
    (IFLA_META_SCRUB, Policy::max_u32(META_SCRUB_DEFAULT as i16)),
    (
        IFLA_META_PEER_SCRUB,
        Policy::max_u32(META_SCRUB_DEFAULT as i16),
    ),
    (IFLA_META_HEADROOM, Policy::u16()),
    (IFLA_META_TAILROOM, Policy::u16()),
    (
        IFLA_META_PAIRING,
        Policy::reject(c_str!("Pairing mode is not supported")),
    ),
    (IFLA_META_BPF_FD, Policy::reject(RETIRED)),
    (IFLA_META_PEER_BPF_FD, Policy::reject(RETIRED)),
    (IFLA_META_BPF_ID, Policy::reject(RETIRED)),
    (IFLA_META_PEER_BPF_ID, Policy::reject(RETIRED)),
]);

/// Programs attach as on netkit, through bpf(2): one way, one array per end, one set of errors.
const RETIRED: &CStr = c_str!(
    "Programs attach through bpf(2) with BPF_NETKIT_PRIMARY or BPF_NETKIT_PEER, not netlink"
);

fn check_addr(tb: &Attrs<'_>, extack: &ExtAck) -> Result {
    let Some(attr) = tb.get(kernel::net::rtnl::IFLA_ADDRESS) else {
        return Ok(());
    };
    if attr.data().len() != 6 {
        return Err(extack.fail_attr(EINVAL, c_str!("MAC address must be 6 bytes"), attr));
    }
    if !dev::is_valid_ether_addr(attr.data()) {
        return Err(extack.fail_attr(
            EADDRNOTAVAIL,
            c_str!("MAC address is not a valid unicast address"),
            attr,
        ));
    }
    Ok(())
}

/// The first attribute of a change request that the core applies after `changelink`: any
/// top-level attribute but `IFLA_LINKINFO` and the device's own name (which identifies the
/// device), and inside `IFLA_LINKINFO` the master's `IFLA_INFO_SLAVE_DATA` (the core hands it
/// to the master's `slave_changelink` next, and refuses it if there is no master).
///
/// What the core applies after these is the request header's flags (up, down, promiscuous),
/// which cannot fail for a meta device: its `open` fails only without a peer, which a
/// registered end always has, and no `NETDEV_PRE_UP` notifier of 6.12 refuses it.
fn generic_attr<'a>(rtnl: &Rtnl, dev: &DriverDevice<Meta>, tb: &Attrs<'a>) -> Option<&'a Attr> {
    let name = dev.name(rtnl).as_bytes();
    tb.iter().find_map(|a| match a.kind() {
        rtnl::IFLA_LINKINFO => a.nested().find(|i| i.kind() == rtnl::IFLA_INFO_SLAVE_DATA),
        rtnl::IFLA_IFNAME if a.data().split(|&b| b == 0).next() == Some(name) => None,
        _ => Some(a),
    })
}

/// Strict checks of `IFLA_INFO_DATA`, which rtnetlink parses liberally: it ignores unknown
/// types, accepts integers longer than their type, lets the last of two duplicates win and
/// warns about trailing bytes. Each of these is refused here, so that a typo is an error.
fn check_data(data: &Attr, extack: &ExtAck) -> Result {
    let mut seen = 0u32;
    let mut attrs = data.nested();
    for a in attrs.by_ref() {
        let size = match a.kind() {
            IFLA_META_PEER_INFO => None,
            IFLA_META_PRIMARY => Some(1),
            IFLA_META_HEADROOM | IFLA_META_TAILROOM => Some(2),
            IFLA_META_POLICY..=IFLA_META_PEER_SCRUB | IFLA_META_PAIRING..=IFLA_META_MAX => Some(4),
            _ => return Err(extack.fail_attr(EINVAL, c_str!("Unknown meta attribute"), a)),
        };
        // Every known type is at most IFLA_META_MAX, below 32.
        let bit = 1u32 << a.kind();
        if seen & bit != 0 {
            return Err(extack.fail_attr(EINVAL, c_str!("Duplicate meta attribute"), a));
        }
        seen |= bit;
        match size {
            Some(n) if a.data().len() != n => {
                return Err(extack.fail_attr(
                    EINVAL,
                    c_str!("meta attribute has the wrong size"),
                    a,
                ))
            }
            Some(_) => {}
            None => check_peer_info(a, extack)?,
        }
    }
    if attrs.remaining() != 0 {
        return Err(extack.fail_attr(
            EINVAL,
            c_str!("Trailing bytes after the last meta attribute"),
            data,
        ));
    }
    Ok(())
}

/// Strict checks of PEER_INFO's `IFLA_*` attributes (after its `struct ifinfomsg`, whose
/// presence the policy checks), which the core parses liberally as well. A nested
/// `IFLA_LINKINFO` would be ignored, programs included: it is refused.
fn check_peer_info(info: &Attr, extack: &ExtAck) -> Result {
    let mut seen = [false; rtnl::IFLA_MAX as usize + 1];
    let mut attrs = info.nested_after(rtnl::IFINFOMSG_LEN);
    for a in attrs.by_ref() {
        if a.kind() == rtnl::IFLA_LINKINFO {
            return Err(extack.fail_attr(
                EINVAL,
                c_str!("Peer info cannot carry IFLA_LINKINFO"),
                a,
            ));
        }
        if let Some(s) = seen.get_mut(usize::from(a.kind())) {
            if *s {
                return Err(extack.fail_attr(
                    EINVAL,
                    c_str!("Duplicate attribute in peer info"),
                    a,
                ));
            }
            *s = true;
        }
    }
    if attrs.remaining() != 0 {
        return Err(extack.fail_attr(
            EINVAL,
            c_str!("Trailing bytes after the last attribute of peer info"),
            info,
        ));
    }
    Ok(())
}

#[vtable]
impl LinkOps for Meta {
    const KIND: &'static CStr = c_str!("meta");
    const POLICY: &'static [Policy] = &POLICY;

    fn setup(dev: &dev::Setup<'_>) {
        const VLAN: u64 = features::HW_VLAN_CTAG_TX
            | features::HW_VLAN_CTAG_RX
            | features::HW_VLAN_STAG_TX
            | features::HW_VLAN_STAG_RX;
        const FEATURES: u64 = VLAN
            | features::SG
            | features::FRAGLIST
            | features::HW_CSUM
            | features::RXCSUM
            | features::SCTP_CRC
            | features::HIGHDMA
            | features::GSO_SOFTWARE
            | features::GSO_ENCAP_ALL;

        dev.ether_setup();
        dev.set_max_mtu(dev::ETH_MAX_MTU);
        dev.set_flags(flags::NOARP);
        dev.set_priv_flags(
            priv_flags::LIVE_ADDR_CHANGE
                | priv_flags::PHONY_HEADROOM
                | priv_flags::NO_QUEUE
                | priv_flags::DISABLE_NETPOLL,
        );
        dev.clear_priv_flags(priv_flags::TX_SKB_SHARING);
        dev.set_lltx(true);
        let all = dev.features() | FEATURES;
        dev.set_features(all);
        dev.set_hw_features(FEATURES);
        dev.set_hw_enc_features(FEATURES);
        dev.set_mpls_features(features::HW_CSUM | features::GSO_SOFTWARE);
        dev.set_vlan_features(all & !VLAN);
        dev.set_tso_max_size(dev::GSO_MAX_SIZE);
    }

    fn validate(tb: &Attrs<'_>, _data: Option<&Attrs<'_>>, extack: &ExtAck) -> Result {
        check_addr(tb, extack)?;
        let Some(info) = tb.get(rtnl::IFLA_LINKINFO) else {
            return Ok(());
        };
        for data in info.nested().filter(|a| a.kind() == rtnl::IFLA_INFO_DATA) {
            check_data(data, extack)?;
        }
        Ok(())
    }

    fn newlink(
        rtnl: &Rtnl,
        src_net: &Namespace,
        mut dev: NewDevice<'_, Self>,
        tb: &Attrs<'_>,
        data: Option<&Attrs<'_>>,
        extack: &ExtAck,
    ) -> Result {
        let get = |kind| data.and_then(|d| d.get(kind));
        let mode = get(IFLA_META_MODE)
            .map(|a| Mode::parse(a, extack))
            .transpose()?
            .unwrap_or(Mode::L3);
        let policy = get(IFLA_META_POLICY)
            .map(|a| XmitPolicy::parse(a, extack))
            .transpose()?;
        let peer_policy = get(IFLA_META_PEER_POLICY)
            .map(|a| XmitPolicy::parse(a, extack))
            .transpose()?;
        let scrub = get(IFLA_META_SCRUB).map(|a| a.get_u32()).transpose()?;
        let peer_scrub = get(IFLA_META_PEER_SCRUB).map(|a| a.get_u32()).transpose()?;
        let headroom = get(IFLA_META_HEADROOM)
            .map(|a| a.get_u16())
            .transpose()?
            .unwrap_or(0);
        let tailroom = get(IFLA_META_TAILROOM)
            .map(|a| a.get_u16())
            .transpose()?
            .unwrap_or(0);
        let peer_info = get(IFLA_META_PEER_INFO)
            .map(|a| PeerInfo::parse(a, extack))
            .transpose()?;
        let peer_tb = peer_info.as_ref().map(|p| p.attrs());
        if let Some(ptb) = &peer_tb {
            check_addr(ptb, extack)?;
        }
        let tbp = peer_tb.unwrap_or(*tb);
        if mode != Mode::L2 && (tb.has(rtnl::IFLA_ADDRESS) || tbp.has(rtnl::IFLA_ADDRESS)) {
            return Err(extack.fail(
                EOPNOTSUPP,
                c_str!("MAC address is not supported in L3 mode"),
            ));
        }

        let net = rtnl::link_get_net(rtnl, src_net, &tbp)
            .map_err(|e| extack.fail(e, c_str!("Cannot find the network namespace of the peer")))?;
        // The core checks CAP_NET_ADMIN in the namespace of the request and in the one the
        // primary goes to; the peer's namespace is known only here. Without this check the
        // root of any user namespace could put a device into a namespace it has no power over.
        if !net.capable_net_admin() {
            return Err(extack.fail(
                EPERM,
                c_str!("No CAP_NET_ADMIN in the user namespace of the peer's network namespace"),
            ));
        }
        let name = peer_tb.as_ref().and_then(|t| t.get(rtnl::IFLA_IFNAME));
        let mut peer = dev.create_peer(rtnl, &net, name, &tbp, extack)?;
        let l2 = mode == Mode::L2;
        let explicit_ifindex = dev.ifindex() != 0;
        {
            let s = peer.setup();
            s.inherit_tso_max(&dev.setup());
            if l2 {
                if !peer_tb.as_ref().is_some_and(|t| t.has(rtnl::IFLA_ADDRESS)) {
                    s.random_mac();
                }
                s.clear_flags(flags::NOARP);
            }
            if let Some(info) = &peer_info {
                if explicit_ifindex {
                    s.set_ifindex(info.ifindex());
                }
            }
            s.set_needed_room(headroom, tailroom);
        }
        {
            let s = dev.setup();
            if l2 {
                if !tb.has(rtnl::IFLA_ADDRESS) {
                    s.random_mac();
                }
                s.clear_flags(flags::NOARP);
            }
            s.set_needed_room(headroom, tailroom);
        }
        for (end, primary, policy, scrub) in [
            (&mut peer, false, peer_policy, peer_scrub),
            (&mut dev, true, policy, scrub),
        ] {
            let mut d = end.data_mut();
            d.counters = Some(percpu::Counters::new()?);
            d.primary = primary;
            d.mode = mode;
            d.policy = PolicyCell::new(policy.unwrap_or(XmitPolicy::Pass));
            d.scrub = scrub.unwrap_or(META_SCRUB_DEFAULT) == META_SCRUB_DEFAULT;
        }
        rtnl::register_pair(rtnl, dev, peer).map_err(|e| {
            if e == EEXIST {
                extack.fail(
                    e,
                    c_str!("A device with the name of the peer or primary exists"),
                )
            } else {
                e
            }
        })
    }

    fn changelink(
        rtnl: &Rtnl,
        dev: &DriverDevice<Self>,
        tb: &Attrs<'_>,
        data: Option<&Attrs<'_>>,
        extack: &ExtAck,
    ) -> Result {
        if !dev.data().is_primary() {
            return Err(extack.fail(
                EACCES,
                c_str!("meta link settings can be changed only through the primary device"),
            ));
        }
        // The core applies the request's generic attributes (MTU, address, master, ...) after
        // this returns and stops at the first one it refuses: a meta setting sent with them
        // would stay applied although the request failed. Take meta's settings alone.
        if let Some(a) = generic_attr(rtnl, dev, tb) {
            return Err(extack.fail_attr(
                EINVAL,
                c_str!("meta settings cannot be changed together with other link attributes"),
                a,
            ));
        }
        let Some(data) = data else {
            return Ok(());
        };
        for (kind, msg) in [
            (
                IFLA_META_MODE,
                c_str!("meta operating mode cannot be changed after device creation"),
            ),
            (
                IFLA_META_SCRUB,
                c_str!("meta scrubbing cannot be changed after device creation"),
            ),
            (
                IFLA_META_PEER_SCRUB,
                c_str!("meta scrubbing cannot be changed after device creation"),
            ),
            (
                IFLA_META_HEADROOM,
                c_str!("meta headroom cannot be changed after device creation"),
            ),
            (
                IFLA_META_TAILROOM,
                c_str!("meta tailroom cannot be changed after device creation"),
            ),
            (
                IFLA_META_PEER_INFO,
                c_str!("meta peer info cannot be changed after device creation"),
            ),
        ] {
            if let Some(a) = data.get(kind) {
                return Err(extack.fail_attr(EACCES, msg, a));
            }
        }
        let peer = dev.peer_rtnl(rtnl);
        // Check everything first, then apply: an error changes nothing.
        let policy = data
            .get(IFLA_META_POLICY)
            .map(|a| XmitPolicy::parse(a, extack))
            .transpose()?;
        let peer_policy = data
            .get(IFLA_META_PEER_POLICY)
            .map(|a| XmitPolicy::parse(a, extack))
            .transpose()?;
        if peer_policy.is_some() && peer.is_none() {
            return Err(extack.fail(ENOTCONN, c_str!("meta peer device is gone")));
        }
        if let Some(p) = policy {
            dev.data().policy.set(p);
        }
        if let (Some(peer), Some(p)) = (peer, peer_policy) {
            peer.data().policy.set(p);
        }
        Ok(())
    }

    fn get_size(_dev: &DriverDevice<Self>) -> usize {
        nl::total_size(1) // IFLA_META_PRIMARY
            + 5 * nl::total_size(4) // POLICY, PEER_POLICY, MODE, SCRUB, PEER_SCRUB
            + 2 * nl::total_size(2) // HEADROOM, TAILROOM
    }

    fn fill_info(rtnl: &Rtnl, w: &mut MsgWriter<'_>, dev: &DriverDevice<Self>) -> Result {
        let me = dev.data();
        w.put_u8(IFLA_META_PRIMARY, me.is_primary().into())?;
        w.put_u32(IFLA_META_POLICY, me.policy.get().raw())?;
        w.put_u32(IFLA_META_MODE, me.mode.raw())?;
        w.put_u32(IFLA_META_SCRUB, scrub_value(me))?;
        w.put_u16(IFLA_META_HEADROOM, dev.needed_headroom())?;
        w.put_u16(IFLA_META_TAILROOM, dev.needed_tailroom())?;
        if let Some(peer) = dev.peer_rtnl(rtnl) {
            let p = peer.data();
            w.put_u32(IFLA_META_PEER_POLICY, p.policy.get().raw())?;
            w.put_u32(IFLA_META_PEER_SCRUB, scrub_value(p))?;
        }
        Ok(())
    }

    fn netkit_primary(dev: &DriverDevice<Self>) -> bool {
        dev.data().is_primary()
    }
}

fn scrub_value(end: &MetaEnd) -> u32 {
    if end.scrub {
        META_SCRUB_DEFAULT
    } else {
        META_SCRUB_NONE
    }
}

struct MetaModule {
    _reg: Pin<KBox<rtnl::Registration<Meta>>>,
}

impl kernel::Module for MetaModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _reg: KBox::pin_init(rtnl::Registration::new(), GFP_KERNEL)?,
        })
    }
}
