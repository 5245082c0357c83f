// SPDX-License-Identifier: GPL-2.0

//! The CNI operations: ADD, DEL, CHECK (1.0.0) and STATUS, GC (1.1.0).

use std::collections::HashSet;
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;

use metactl::nl::Socket;
use metactl::uapi::*;
use serde_json::Value;

use crate::bpf::{self, EndpointMap, Place, Prog};
use crate::config::{netns_error, End, Env, NetConf, ProgSpec};
use crate::error::{
    netlink, CniError, Res, BPF, CHECK_FAILED, IFACE_EXISTS, INVALID_CONFIG, INVALID_ENV, NETLINK,
    NOT_AVAILABLE, STATE,
};
use crate::ipam::Ipam;
use crate::netns::NetNs;
use crate::result::{CniResult, Interface, IpConfig, IpNet, Route};
use crate::rtnl::{self, LinkState, RouteSpec, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE};
use crate::state::{self, Record};

fn io_err(what: &str, e: std::io::Error) -> CniError {
    CniError::new(NETLINK, format!("{what}: {e}"), "")
}

fn state_err(what: String, e: std::io::Error) -> CniError {
    CniError::new(STATE, what, e.to_string())
}

fn host_socket() -> Res<Socket> {
    Socket::open().map_err(|e| io_err("open a netlink socket", e))
}

fn open_netns(env: &Env) -> Res<NetNs> {
    let ns = NetNs::open(&env.netns).map_err(|e| netns_error(&env.netns, &e))?;
    if ns.is_current().unwrap_or(false) {
        return Err(CniError::new(
            INVALID_ENV,
            format!(
                "CNI_NETNS {} is the plugin's own network namespace",
                env.netns
            ),
            "the pod needs a namespace of its own",
        ));
    }
    Ok(ns)
}

fn default_of(a: &IpAddr) -> IpNet {
    let addr = if a.is_ipv4() {
        IpAddr::from([0u8; 4])
    } else {
        IpAddr::from([0u8; 16])
    };
    IpNet { addr, prefix: 0 }
}

/// The pod's routes: those of the IPAM result, plus a default route for each family that has
/// an address and none. In L3 mode (no ARP) a route without gateway is a device route; in L2
/// mode it goes through the address's gateway, which the pod reaches through a permanent
/// neighbour entry to the host end's MAC address (no prefix route is installed: everything
/// leaves through the host's end).
pub fn plan_routes(conf: &NetConf, ipam: &CniResult, oif: i32) -> (Vec<Route>, Vec<RouteSpec>) {
    let mut routes = ipam.routes.clone();
    for ip in &ipam.ips {
        let fam = ip.address.addr.is_ipv4();
        if !routes
            .iter()
            .any(|r| r.dst.is_default() && r.dst.addr.is_ipv4() == fam)
        {
            let gw = if conf.l2() { ip.gateway } else { None };
            routes.push(Route::new(default_of(&ip.address.addr), gw));
        }
    }
    let gateway_of = |dst: &IpNet| {
        ipam.ips
            .iter()
            .find(|i| i.address.addr.is_ipv4() == dst.addr.is_ipv4())
            .and_then(|i| i.gateway)
    };
    let specs = routes
        .iter()
        .map(|r| {
            let gw =
                r.gw.or_else(|| if conf.l2() { gateway_of(&r.dst) } else { None });
            let scope = r.scope.map(|s| s as u8).unwrap_or(if gw.is_some() {
                RT_SCOPE_UNIVERSE
            } else {
                RT_SCOPE_LINK
            });
            RouteSpec {
                dst: r.dst,
                gw,
                oif,
                scope,
                onlink: gw.is_some(),
                table: r.table,
                priority: r.priority,
                mtu: r.mtu,
                advmss: r.advmss,
            }
        })
        .collect();
    (routes, specs)
}

/// The programs of both ends, loaded (or opened) before anything is allocated.
fn load_programs(conf: &NetConf) -> Res<Vec<(End, Vec<Prog>)>> {
    End::BOTH
        .iter()
        .map(|&end| {
            Ok((
                end,
                conf.progs(end)
                    .iter()
                    .map(bpf::load)
                    .collect::<Res<Vec<_>>>()?,
            ))
        })
        .collect()
}

pub fn add(env: &Env, conf: &NetConf) -> Res<Value> {
    let ns = open_netns(env)?;
    let host_name = state::host_ifname(&conf.name, &env.container_id, &env.ifname);
    let mut host = host_socket()?;
    let mut pod = ns
        .socket()
        .map_err(|e| io_err("open a netlink socket in CNI_NETNS", e))?;
    if rtnl::link_by_name(&mut pod, &env.ifname)
        .map_err(|e| netlink("look up CNI_IFNAME", e))?
        .is_some()
    {
        return Err(CniError::new(
            IFACE_EXISTS,
            format!(
                "interface \"{}\" already exists in {}",
                env.ifname, env.netns
            ),
            "CNI_IFNAME must name a new interface",
        ));
    }
    if rtnl::link_by_name(&mut host, &host_name)
        .map_err(|e| netlink("look up the host interface", e))?
        .is_some()
    {
        return Err(CniError::new(
            IFACE_EXISTS,
            format!("host interface \"{host_name}\" already exists"),
            "this attachment (network, container id, ifname) was added before and not deleted",
        ));
    }
    let progs = load_programs(conf)?;
    let emap = conf
        .endpoint_map
        .as_deref()
        .map(EndpointMap::open)
        .transpose()?;
    let ipam = Ipam::new(conf, &env.path)?;
    let mut rec = Record {
        container_id: env.container_id.clone(),
        ifname: env.ifname.clone(),
        host: host_name,
        host_ifindex: None,
        ips: Vec::new(),
    };
    state::write(&conf.state_dir, &conf.name, &rec).map_err(|e| {
        state_err(
            format!("cannot write the record in {}", conf.state_dir.display()),
            e,
        )
    })?;
    let done = attach(
        env,
        conf,
        &ns,
        &mut host,
        &mut pod,
        &ipam,
        &progs,
        emap.as_ref(),
        &mut rec,
    );
    if done.is_err() {
        // Undo everything, the IPAM lease included (also when the IPAM plugin failed, as
        // the spec asks); the first error is the one reported.
        let _ = release(env, conf, &ipam, &rec, &[]);
    }
    done
}

#[allow(clippy::too_many_arguments)]
fn attach(
    env: &Env,
    conf: &NetConf,
    ns: &NetNs,
    host: &mut Socket,
    pod: &mut Socket,
    ipam: &Ipam,
    progs: &[(End, Vec<Prog>)],
    emap: Option<&EndpointMap>,
    rec: &mut Record,
) -> Res<Value> {
    let write_rec = |rec: &Record| {
        state::write(&conf.state_dir, &conf.name, rec).map_err(|e| {
            state_err(
                format!("cannot write the record in {}", conf.state_dir.display()),
                e,
            )
        })
    };
    let lease = ipam.add()?;
    rec.ips = lease.ips.iter().map(|i| i.address.addr).collect();
    write_rec(rec)?;

    host.transact(&rtnl::pair_msg(&rec.host, &env.ifname, ns.fd(), conf))
        .map_err(|e| netlink("create the meta pair", e))?;
    let gone =
        |what: &str| CniError::new(NETLINK, format!("{what} vanished after its creation"), "");
    let hl = rtnl::link_by_name(host, &rec.host)
        .map_err(|e| netlink("look up the host interface", e))?
        .ok_or_else(|| gone("the host interface"))?;
    rec.host_ifindex = Some(hl.ifindex);
    write_rec(rec)?;
    let pl = rtnl::link_by_name(pod, &env.ifname)
        .map_err(|e| netlink("look up the pod interface", e))?
        .ok_or_else(|| gone("the pod interface"))?;

    // Programs before the ends come up: no packet crosses without them.
    if progs.iter().any(|(_, l)| !l.is_empty()) {
        let dir = bpf::pin_dir(&conf.pin_dir, &env.container_id, &env.ifname);
        std::fs::create_dir_all(&dir).map_err(|e| {
            CniError::new(
                STATE,
                format!("cannot create {} for the links", dir.display()),
                format!("{e} (is bpffs mounted at {}?)", conf.pin_dir.display()),
            )
        })?;
        for (end, list) in progs {
            for (n, p) in list.iter().enumerate() {
                let spec = &conf.progs(*end)[n];
                // Appended after the programs attached already, whatever the revision.
                let fd = p.fd.as_raw_fd();
                let link =
                    bpf::link_create(fd, hl.ifindex, *end, Place::Append, 0).map_err(|e| {
                        CniError::new(
                            BPF,
                            format!(
                                "cannot attach {} to the {} of {}",
                                spec.describe(),
                                end.name(),
                                rec.host
                            ),
                            format!("BPF_LINK_CREATE: {e}"),
                        )
                    })?;
                let pin = bpf::pin_path(&dir, *end, n);
                bpf::pin(link.as_raw_fd(), &pin).map_err(|e| {
                    CniError::new(
                        BPF,
                        format!("cannot pin the link at {}", pin.display()),
                        e.to_string(),
                    )
                })?;
            }
        }
    }

    let nl = |what: &'static str| move |e| netlink(what, e);
    rtnl::set_up(pod, pl.ifindex).map_err(nl("set the pod interface up"))?;
    for ip in &lease.ips {
        rtnl::add_addr(pod, pl.ifindex, &ip.address).map_err(nl("add an address in the pod"))?;
    }
    if conf.l2() {
        let mac = hl.mac.clone().unwrap_or_default();
        let mut seen = HashSet::new();
        for gw in lease.ips.iter().filter_map(|i| i.gateway) {
            if seen.insert(gw) {
                rtnl::add_neigh(pod, pl.ifindex, &gw, &mac)
                    .map_err(nl("add the gateway's neighbour entry"))?;
            }
        }
    }
    let (routes, specs) = plan_routes(conf, &lease, pl.ifindex);
    for s in &specs {
        rtnl::add_route(pod, s).map_err(nl("add a route in the pod"))?;
    }
    rtnl::set_up(host, hl.ifindex).map_err(nl("set the host interface up"))?;
    for ip in &lease.ips {
        let r = RouteSpec::device(IpNet::host(ip.address.addr), hl.ifindex);
        rtnl::add_route(host, &r).map_err(nl("add the host route to the pod"))?;
    }
    if let Some(m) = emap {
        for ip in &lease.ips {
            m.set(&ip.address.addr, hl.ifindex)?;
        }
    }

    let own = CniResult {
        interfaces: vec![
            Interface {
                name: rec.host.clone(),
                mac: hl.mac_text(),
                mtu: hl.mtu,
                ..Default::default()
            },
            Interface {
                name: env.ifname.clone(),
                mac: pl.mac_text(),
                mtu: pl.mtu,
                sandbox: Some(env.netns.clone()),
                ..Default::default()
            },
        ],
        ips: lease
            .ips
            .iter()
            .map(|i| IpConfig {
                interface: Some(1),
                ..i.clone()
            })
            .collect(),
        routes,
        dns: lease
            .dns
            .clone()
            .filter(|d| d.as_object().is_some_and(|o| !o.is_empty()))
            .or_else(|| conf.dns.clone()),
    };
    let mut res = conf.prev_result.clone().unwrap_or_default();
    res.merge(own);
    Ok(res.to_json(&conf.cni_version))
}

/// Releases an attachment: the endpoint map's entries, the pair (its routes and neighbour
/// entries go with it), the pinned links, the IPAM lease (`ipam_env`: the variables of the
/// attachment when it is not the invocation's, for GC), then the record. Whatever is missing
/// already is fine; the first failure is returned, the record kept for another try.
fn release(
    env: &Env,
    conf: &NetConf,
    ipam: &Ipam,
    rec: &Record,
    ipam_env: &[(&str, Option<&str>)],
) -> Res {
    let mut errors: Vec<CniError> = Vec::new();
    let mut host = host_socket()?;
    let hl = match rtnl::link_by_name(&mut host, &rec.host) {
        Ok(l) => l,
        Err(e) => {
            errors.push(netlink("look up the host interface", e));
            None
        }
    };
    let ifindex = hl.as_ref().map(|l| l.ifindex).or(rec.host_ifindex);
    if let Some(path) = &conf.endpoint_map {
        // A map that is gone holds no entry.
        if let Ok(m) = EndpointMap::open(path) {
            for ip in &rec.ips {
                if let Err(e) = m.remove(ip, ifindex) {
                    errors.push(e);
                }
            }
        }
    }
    if let Some(l) = hl {
        if l.is_meta() {
            if let Err(e) = rtnl::delete(&mut host, l.ifindex) {
                errors.push(netlink("delete the meta pair", e));
            }
        } else {
            errors.push(CniError::new(
                IFACE_EXISTS,
                format!(
                    "host interface {} is not a meta device: left alone",
                    rec.host
                ),
                "",
            ));
        }
    }
    if let Err(e) = bpf::unpin_all(&conf.pin_dir, &rec.container_id, &rec.ifname) {
        errors.push(state_err(
            format!("cannot unpin the links under {}", conf.pin_dir.display()),
            e,
        ));
    }
    if let Err(e) = ipam.del(ipam_env) {
        errors.push(e);
    }
    if errors.is_empty() {
        state::remove(&conf.state_dir, &conf.name, &rec.host).map_err(|e| {
            state_err(
                format!("cannot remove the record in {}", conf.state_dir.display()),
                e,
            )
        })?;
        return Ok(());
    }
    let _ = env;
    let mut first = errors.remove(0);
    for e in errors {
        first.details = format!("{}; also: {}: {}", first.details, e.msg, e.details);
    }
    Err(first)
}

pub fn del(env: &Env, conf: &NetConf) -> Res {
    let ipam = Ipam::new(conf, &env.path)?;
    let host_name = state::host_ifname(&conf.name, &env.container_id, &env.ifname);
    let mut rec = state::read(&conf.state_dir, &conf.name, &host_name).unwrap_or(Record {
        container_id: env.container_id.clone(),
        ifname: env.ifname.clone(),
        host: host_name,
        host_ifindex: None,
        ips: Vec::new(),
    });
    if let Some(prev) = &conf.prev_result {
        for ip in &prev.ips {
            if !rec.ips.contains(&ip.address.addr) {
                rec.ips.push(ip.address.addr);
            }
        }
    }
    release(env, conf, &ipam, &rec, &[])
}

/// What CHECK compares: each difference is one sentence.
struct Diffs(Vec<String>);

impl Diffs {
    fn add(&mut self, s: String) {
        self.0.push(s);
    }
}

fn policy_name(v: u32) -> &'static str {
    match v as i32 {
        META_PASS => "forward",
        META_DROP => "blackhole",
        _ => "?",
    }
}

fn mode_name(v: u32) -> &'static str {
    match v {
        META_L3 => "l3",
        META_L2 => "l2",
        _ => "?",
    }
}

fn check_host_link(d: &mut Diffs, conf: &NetConf, l: &LinkState, listed: Option<&Interface>) {
    let n = &l.name;
    if !l.is_meta() || !l.is_primary() {
        d.add(format!(
            "host interface {n} is not the primary of a meta pair"
        ));
        return;
    }
    match l.data_u32(IFLA_META_MODE) {
        Some(m) if m == conf.mode => {}
        m => d.add(format!(
            "{n}: mode {}, configured {}",
            m.map_or("?", mode_name),
            mode_name(conf.mode)
        )),
    }
    for (what, attr, want) in [
        ("policy", IFLA_META_POLICY, conf.policy),
        ("peer policy", IFLA_META_PEER_POLICY, conf.peer_policy),
    ] {
        if let Some(w) = want {
            let got = l.data_u32(attr);
            if got != Some(w) {
                d.add(format!(
                    "{n}: {what} {}, configured {}",
                    got.map_or("?", policy_name),
                    policy_name(w)
                ));
            }
        }
    }
    check_common(d, conf, l, listed, n);
}

fn check_common(d: &mut Diffs, conf: &NetConf, l: &LinkState, listed: Option<&Interface>, n: &str) {
    if let Some(m) = conf.mtu {
        if l.mtu != Some(m) {
            d.add(format!("{n}: MTU {}, configured {m}", l.mtu.unwrap_or(0)));
        }
    }
    if !l.up {
        d.add(format!("{n} is down"));
    }
    if let Some(want) = listed.and_then(|i| i.mac.as_deref()) {
        let got = l.mac_text().unwrap_or_default();
        if !got.eq_ignore_ascii_case(want) {
            d.add(format!("{n}: MAC address {got}, prevResult has {want}"));
        }
    }
}

fn has_route(routes: &[rtnl::RouteEntry], r: &Route) -> bool {
    let want = r.dst.network();
    routes.iter().any(|e| {
        e.dst.prefix == want.prefix
            && e.dst.network() == want
            && e.table == r.table.unwrap_or(254)
            && (r.gw.is_none() || e.gw == r.gw)
    })
}

fn check_programs(d: &mut Diffs, conf: &NetConf, env: &Env, host: &LinkState) {
    let dir = bpf::pin_dir(&conf.pin_dir, &env.container_id, &env.ifname);
    for end in End::BOTH {
        let specs = conf.progs(end);
        let mut link_ids = Vec::new();
        for (n, spec) in specs.iter().enumerate() {
            let what = format!("{} program {n} ({})", end.name(), spec.describe());
            let pin = bpf::pin_path(&dir, end, n);
            let info = match bpf::pinned(&pin)
                .and_then(|fd| bpf::link_info(fd.as_raw_fd()).map_err(std::io::Error::from))
            {
                Ok(i) => i,
                Err(e) => {
                    d.add(format!("{what}: no link pinned at {} ({e})", pin.display()));
                    continue;
                }
            };
            link_ids.push(info.id);
            if info.link_type != libbpf_rs::libbpf_sys::BPF_LINK_TYPE_NETKIT {
                d.add(format!(
                    "{what}: the pin {} is a link of type {}, not netkit",
                    pin.display(),
                    info.link_type
                ));
                continue;
            }
            // As on netkit, a link reports the device whose programs it is in: the primary,
            // or for the peer's array the peer (its ifindex in the pod's namespace, which is
            // the primary's IFLA_LINK).
            let (want_ifindex, want_dev) = match end {
                End::Primary => (Some(host.ifindex as u32), host.name.clone()),
                End::Peer => (host.link, format!("the peer of {}", host.name)),
            };
            if Some(info.ifindex) != want_ifindex || info.attach_type != end.attach_type() {
                d.add(format!(
                    "{what}: the link is attached to ifindex {} type {}, not to {} ({}) type {}",
                    info.ifindex,
                    info.attach_type,
                    want_dev,
                    want_ifindex.map_or("?".into(), |i| i.to_string()),
                    end.attach_type()
                ));
            }
            let expected = match spec {
                ProgSpec::Pinned(p) => bpf::pinned(p)
                    .and_then(|fd| bpf::prog_info(fd.as_fd()))
                    .map(|i| {
                        (
                            i.id == info.prog_id,
                            format!("the program pinned at {} (id {})", p.display(), i.id),
                        )
                    })
                    .map_err(|e| format!("the pinned program {} is gone ({e})", p.display())),
                ProgSpec::Object { path, section } => {
                    match (
                        bpf::object_prog_name(path, section.as_deref()),
                        bpf::prog_info_by_id(info.prog_id),
                    ) {
                        (Ok(name), Ok(running)) => Ok((
                            running.name == bpf::kernel_name(&name),
                            format!(
                                "program {name} of {}, not {} (id {})",
                                path.display(),
                                running.name,
                                running.id
                            ),
                        )),
                        (Err(e), _) => Err(e.msg),
                        (_, Err(e)) => Err(format!("program id {}: {e}", info.prog_id)),
                    }
                }
            };
            match expected {
                Ok((true, _)) => {}
                Ok((false, want)) => d.add(format!(
                    "{what}: the link runs program id {}, expected {want}",
                    info.prog_id
                )),
                Err(e) => d.add(format!("{what}: {e}")),
            }
        }
        match bpf::query(host.ifindex, end).map(|q| (q.prog_ids(), q.link_ids())) {
            Ok((_, links)) if links == link_ids || links.len() == specs.len() && link_ids.len() < specs.len() => {}
            Ok((progs, links)) => d.add(format!(
                "{} of {}: {} program(s) attached (links {links:?}, programs {progs:?}), {} configured",
                end.name(),
                host.name,
                links.len(),
                specs.len()
            )),
            // Without programs to look for, a kernel that cannot list them is no difference.
            Err(_) if specs.is_empty() => {}
            Err(e) => d.add(format!("{} of {}: BPF_PROG_QUERY failed: {e}", end.name(), host.name)),
        }
    }
}

pub fn check(env: &Env, conf: &NetConf) -> Res {
    let prev = conf.prev_result.as_ref().ok_or_else(|| {
        CniError::new(
            INVALID_CONFIG,
            "CHECK without \"prevResult\"",
            "the runtime passes the result of ADD",
        )
    })?;
    let ns = open_netns(env)?;
    let ipam = Ipam::new(conf, &env.path)?;
    let mut d = Diffs(Vec::new());
    if let Err(e) = ipam.check() {
        d.add(format!("{} ({})", e.msg, e.details));
    }
    let host_name = state::host_ifname(&conf.name, &env.container_id, &env.ifname);
    let mut host = host_socket()?;
    let mut pod = ns
        .socket()
        .map_err(|e| io_err("open a netlink socket in CNI_NETNS", e))?;
    let host_i = prev.interface_index(&host_name, None);
    let pod_i = prev.interface_index(&env.ifname, Some(&env.netns));
    if host_i.is_none() {
        d.add(format!("prevResult lists no host interface {host_name}"));
    }
    if pod_i.is_none() {
        d.add(format!(
            "prevResult lists no interface {} in {}",
            env.ifname, env.netns
        ));
    }
    let hl = rtnl::link_by_name(&mut host, &host_name)
        .map_err(|e| netlink("look up the host interface", e))?;
    let pl = rtnl::link_by_name(&mut pod, &env.ifname)
        .map_err(|e| netlink("look up the pod interface", e))?;
    let pod_ips: Vec<&IpConfig> = prev
        .ips
        .iter()
        .filter(|i| pod_i.is_some() && i.interface == pod_i)
        .collect();
    match &hl {
        None => d.add(format!("host interface {host_name} is missing")),
        Some(l) => check_host_link(&mut d, conf, l, host_i.map(|i| &prev.interfaces[i])),
    }
    match &pl {
        None => d.add(format!(
            "interface {} is missing in {}",
            env.ifname, env.netns
        )),
        Some(l) => {
            if !l.is_meta() || l.is_primary() {
                d.add(format!(
                    "{} in the pod is not the peer of a meta pair",
                    env.ifname
                ));
            } else if let Some(h) = &hl {
                if l.link != Some(h.ifindex as u32) {
                    d.add(format!(
                        "{} in the pod is not the peer of {host_name}",
                        env.ifname
                    ));
                }
            }
            check_common(
                &mut d,
                conf,
                l,
                pod_i.map(|i| &prev.interfaces[i]),
                &env.ifname,
            );
            match rtnl::addrs(&mut pod, l.ifindex) {
                Ok(have) => {
                    for ip in &pod_ips {
                        if !have.contains(&ip.address) {
                            d.add(format!("{} lacks the address {}", env.ifname, ip.address));
                        }
                    }
                }
                Err(e) => d.add(netlink("list the pod's addresses", e).msg),
            }
        }
    }
    for fam in [libc::AF_INET as u8, libc::AF_INET6 as u8] {
        let v4 = fam == libc::AF_INET as u8;
        let want: Vec<&Route> = prev
            .routes
            .iter()
            .filter(|r| r.dst.addr.is_ipv4() == v4)
            .collect();
        if !want.is_empty() {
            match rtnl::routes(&mut pod, fam) {
                Ok(have) => {
                    for r in want {
                        if !has_route(&have, r) {
                            let via = r.gw.map(|g| format!(" via {g}")).unwrap_or_default();
                            d.add(format!("the pod has no route to {}{via}", r.dst));
                        }
                    }
                }
                Err(e) => d.add(netlink("list the pod's routes", e).msg),
            }
        }
        if let Some(h) = &hl {
            let mine: Vec<&&IpConfig> = pod_ips
                .iter()
                .filter(|i| i.address.addr.is_ipv4() == v4)
                .collect();
            if !mine.is_empty() {
                match rtnl::routes(&mut host, fam) {
                    Ok(have) => {
                        for ip in mine {
                            let dst = IpNet::host(ip.address.addr);
                            if !have
                                .iter()
                                .any(|e| e.dst == dst && e.oif == Some(h.ifindex) && e.table == 254)
                            {
                                d.add(format!(
                                    "the host has no route to {dst} through {host_name}"
                                ));
                            }
                        }
                    }
                    Err(e) => d.add(netlink("list the host's routes", e).msg),
                }
            }
        }
    }
    if let Some(h) = &hl {
        check_programs(&mut d, conf, env, h);
        if let Some(path) = &conf.endpoint_map {
            match EndpointMap::open(path) {
                Ok(m) => {
                    for ip in pod_ips
                        .iter()
                        .map(|i| i.address.addr)
                        .filter(|a| m.covers(a))
                    {
                        match m.get(&ip) {
                            Some(v) if v == h.ifindex as u32 => {}
                            v => d.add(format!(
                                "endpointMap: {ip} leads to {}, not to {host_name} ({})",
                                v.map_or("nothing".into(), |v| format!("ifindex {v}")),
                                h.ifindex
                            )),
                        }
                    }
                }
                Err(e) => d.add(format!("{} ({})", e.msg, e.details)),
            }
        }
    }
    if d.0.is_empty() {
        return Ok(());
    }
    Err(CniError::new(
        CHECK_FAILED,
        format!(
            "CHECK: {} difference(s) from prevResult and the configuration",
            d.0.len()
        ),
        d.0.join("; "),
    ))
}

/// GC: every attachment the plugin recorded for this network that the runtime does not list
/// as valid is released as DEL would (device, links, endpoint entries, IPAM lease); the IPAM
/// plugin gets the GC itself when it speaks 1.1.0.
pub fn gc(env: &Env, conf: &NetConf) -> Res {
    let valid: HashSet<(String, String)> = conf
        .valid_attachments
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let ipam = Ipam::new(conf, &env.path)?;
    let mut errors = Vec::new();
    let records = state::list(&conf.state_dir, &conf.name).map_err(|e| {
        state_err(
            format!("cannot list the records in {}", conf.state_dir.display()),
            e,
        )
    })?;
    for rec in records {
        if valid.contains(&(rec.container_id.clone(), rec.ifname.clone())) {
            continue;
        }
        let vars = [
            ("CNI_CONTAINERID", Some(rec.container_id.as_str())),
            ("CNI_IFNAME", Some(rec.ifname.as_str())),
            ("CNI_NETNS", None),
        ];
        if let Err(e) = release(env, conf, &ipam, &rec, &vars) {
            errors.push(format!(
                "{}/{}: {}: {}",
                rec.container_id, rec.ifname, e.msg, e.details
            ));
        }
    }
    if ipam.has_v11() {
        if let Err(e) = ipam.gc() {
            errors.push(format!("{}: {}", e.msg, e.details));
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(CniError::new(
        STATE,
        format!("GC: {} attachment(s) not released", errors.len()),
        errors.join("; "),
    ))
}

fn on_bpffs(p: &Path) -> bool {
    const BPF_FS_MAGIC: i64 = 0xcafe4a11;
    let mut p = p;
    loop {
        if p.exists() {
            let Ok(c) = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()) else {
                return false;
            };
            // SAFETY: statfs fills the zeroed struct for a NUL-terminated path.
            let mut s: libc::statfs = unsafe { std::mem::zeroed() };
            return unsafe { libc::statfs(c.as_ptr(), &mut s) } == 0
                && s.f_type as i64 == BPF_FS_MAGIC;
        }
        match p.parent() {
            Some(q) => p = q,
            None => return false,
        }
    }
}

/// STATUS: can an ADD succeed? The IPAM plugin is there (and ready, when it knows STATUS),
/// meta is in the kernel or can be loaded, the programs and the endpoint map exist and the
/// links can be pinned.
pub fn status(env: &Env, conf: &NetConf) -> Res {
    let na = |msg: String, details: String| CniError::new(NOT_AVAILABLE, msg, details);
    let ipam = Ipam::new(conf, &env.path).map_err(|e| na(e.msg, e.details))?;
    let alias = std::fs::read_to_string(format!(
        "/lib/modules/{}/modules.alias",
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
    ))
    .unwrap_or_default();
    if !Path::new("/sys/module/meta").exists() && !alias.contains("rtnl-link-meta") {
        return Err(na(
            "the meta module is neither loaded nor installed".into(),
            "insmod meta.ko, or install it where modprobe finds it".into(),
        ));
    }
    for end in End::BOTH {
        for spec in conf.progs(end) {
            let p = match spec {
                ProgSpec::Pinned(p) => p,
                ProgSpec::Object { path, .. } => path,
            };
            if !p.exists() {
                return Err(na(
                    format!("{} program: {} does not exist", end.name(), spec.describe()),
                    String::new(),
                ));
            }
        }
    }
    let any_progs = !(conf.primary_progs.is_empty() && conf.peer_progs.is_empty());
    if any_progs && !on_bpffs(&conf.pin_dir) {
        return Err(na(
            format!("{} is not on a bpffs", conf.pin_dir.display()),
            "mount -t bpf bpf /sys/fs/bpf".into(),
        ));
    }
    if let Some(m) = &conf.endpoint_map {
        EndpointMap::open(m).map_err(|e| na(e.msg, e.details))?;
    }
    if ipam.has_v11() {
        ipam.status()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Command;

    fn conf(mode: &str) -> NetConf {
        let s = format!(
            r#"{{"cniVersion":"1.0.0","name":"n","type":"meta","mode":"{mode}","ipam":{{"type":"host-local"}}}}"#
        );
        NetConf::parse(s.as_bytes(), Command::Add).unwrap()
    }

    fn lease(v: &str) -> CniResult {
        CniResult::parse(&serde_json::from_str(v).unwrap()).unwrap()
    }

    #[test]
    fn routes_in_l3() {
        let l = lease(r#"{"ips":[{"address":"10.22.0.5/24","gateway":"10.22.0.1"}]}"#);
        let (routes, specs) = plan_routes(&conf("l3"), &l, 7);
        assert_eq!(
            routes,
            vec![Route::new(IpNet::parse("0.0.0.0/0").unwrap(), None)]
        );
        assert_eq!(specs.len(), 1);
        assert_eq!(
            (specs[0].gw, specs[0].scope, specs[0].onlink, specs[0].oif),
            (None, RT_SCOPE_LINK, false, 7)
        );
        // an IPAM default route is not doubled; its gateway is used on the link
        let l = lease(
            r#"{"ips":[{"address":"10.22.0.5/24"},{"address":"fd00::5/64"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.22.0.1"},{"dst":"10.99.0.0/16"}]}"#,
        );
        let (routes, specs) = plan_routes(&conf("l3"), &l, 7);
        let dsts: Vec<String> = routes.iter().map(|r| r.dst.to_string()).collect();
        assert_eq!(dsts, ["0.0.0.0/0", "10.99.0.0/16", "::/0"]);
        assert_eq!(
            (specs[0].gw, specs[0].onlink),
            (Some("10.22.0.1".parse().unwrap()), true)
        );
        assert_eq!(specs[1].gw, None);
    }

    #[test]
    fn routes_in_l2() {
        let l = lease(
            r#"{"ips":[{"address":"10.22.0.5/24","gateway":"10.22.0.1"}],"routes":[{"dst":"10.99.0.0/16"}]}"#,
        );
        let (routes, specs) = plan_routes(&conf("l2"), &l, 3);
        let gw: IpAddr = "10.22.0.1".parse().unwrap();
        // the added default route names its gateway in the result; the IPAM route keeps none
        assert_eq!(
            routes[1],
            Route::new(IpNet::parse("0.0.0.0/0").unwrap(), Some(gw))
        );
        assert_eq!(routes[0].gw, None);
        for s in &specs {
            assert_eq!(
                (s.gw, s.scope, s.onlink),
                (Some(gw), RT_SCOPE_UNIVERSE, true)
            );
        }
    }

    #[test]
    fn route_matching() {
        let e = |dst: &str, gw: Option<&str>, table| rtnl::RouteEntry {
            dst: IpNet::parse(dst).unwrap(),
            gw: gw.map(|g| g.parse().unwrap()),
            oif: Some(2),
            table,
        };
        let have = vec![
            e("0.0.0.0/0", None, 254),
            e("10.99.0.0/16", Some("10.22.0.1"), 254),
            e("10.5.0.0/16", None, 100),
        ];
        let r = |dst: &str, gw: Option<&str>| {
            Route::new(IpNet::parse(dst).unwrap(), gw.map(|g| g.parse().unwrap()))
        };
        assert!(has_route(&have, &r("0.0.0.0/0", None)));
        assert!(has_route(&have, &r("10.99.1.2/16", None)));
        assert!(has_route(&have, &r("10.99.0.0/16", Some("10.22.0.1"))));
        assert!(!has_route(&have, &r("10.99.0.0/16", Some("10.22.0.2"))));
        assert!(!has_route(&have, &r("10.99.0.0/24", None)));
        assert!(!has_route(&have, &r("10.5.0.0/16", None)), "another table");
        let mut t = r("10.5.0.0/16", None);
        t.table = Some(100);
        assert!(has_route(&have, &t));
    }
}
