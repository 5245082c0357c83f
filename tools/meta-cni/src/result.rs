// SPDX-License-Identifier: GPL-2.0

//! The CNI result type (section 5 of the spec, "ADD Success"), as IPAM plugins return it,
//! as `prevResult` carries it and as this plugin prints it, for 1.0.0 and 1.1.0.

use std::fmt;
use std::net::IpAddr;

use serde_json::{json, Map, Value};

use crate::version;

/// An address with a prefix length, "10.1.0.5/24".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpNet {
    pub fn parse(s: &str) -> Option<IpNet> {
        let (a, p) = s.split_once('/')?;
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = p.parse().ok().filter(|&n| n <= max)?;
        Some(IpNet { addr, prefix })
    }

    /// The host route of the address: /32 or /128.
    pub fn host(addr: IpAddr) -> IpNet {
        IpNet {
            addr,
            prefix: if addr.is_ipv4() { 32 } else { 128 },
        }
    }

    /// The address with the bits after the prefix cleared (the network of a route).
    pub fn network(&self) -> IpNet {
        let addr = match self.addr {
            IpAddr::V4(a) => {
                let m = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(a) & m).into())
            }
            IpAddr::V6(a) => {
                let m = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(a) & m).into())
            }
        };
        IpNet {
            addr,
            prefix: self.prefix,
        }
    }

    pub fn is_default(&self) -> bool {
        self.prefix == 0
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    pub mac: Option<String>,
    /// 1.1.0
    pub mtu: Option<u32>,
    pub sandbox: Option<String>,
    /// 1.1.0
    pub socket_path: Option<String>,
    /// 1.1.0
    pub pci_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpConfig {
    pub address: IpNet,
    pub gateway: Option<IpAddr>,
    pub interface: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub dst: IpNet,
    pub gw: Option<IpAddr>,
    /// 1.1.0: mtu, advmss, priority, table, scope
    pub mtu: Option<u32>,
    pub advmss: Option<u32>,
    pub priority: Option<u32>,
    pub table: Option<u32>,
    pub scope: Option<u32>,
}

impl Route {
    pub fn new(dst: IpNet, gw: Option<IpAddr>) -> Route {
        Route {
            dst,
            gw,
            mtu: None,
            advmss: None,
            priority: None,
            table: None,
            scope: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CniResult {
    pub interfaces: Vec<Interface>,
    pub ips: Vec<IpConfig>,
    pub routes: Vec<Route>,
    pub dns: Option<Value>,
}

fn opt_str(o: &Map<String, Value>, k: &str, ctx: &str) -> Result<Option<String>, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(format!("{ctx}.{k}: expected a string, got {v}")),
    }
}

fn opt_u32(o: &Map<String, Value>, k: &str, ctx: &str) -> Result<Option<u32>, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{ctx}.{k}: expected an unsigned integer, got {v}")),
    }
}

fn opt_ip(o: &Map<String, Value>, k: &str, ctx: &str) -> Result<Option<IpAddr>, String> {
    opt_str(o, k, ctx)?
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| format!("{ctx}.{k}: not an IP address: \"{s}\""))
        })
        .transpose()
}

fn cidr(o: &Map<String, Value>, k: &str, ctx: &str) -> Result<IpNet, String> {
    let s = opt_str(o, k, ctx)?.ok_or_else(|| format!("{ctx}: no \"{k}\""))?;
    IpNet::parse(&s).ok_or_else(|| format!("{ctx}.{k}: not an address in CIDR notation: \"{s}\""))
}

/// The objects of the list `k` of `v`, each with its place ("ips[0]") for messages.
type Entries<'a> = Vec<(String, &'a Map<String, Value>)>;

fn list<'a>(v: &'a Value, k: &str) -> Result<Entries<'a>, String> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let ctx = format!("{k}[{i}]");
                e.as_object()
                    .map(|o| (ctx.clone(), o))
                    .ok_or_else(|| format!("{ctx}: expected an object"))
            })
            .collect(),
        Some(x) => Err(format!("{k}: expected a list, got {x}")),
    }
}

impl CniResult {
    /// Parses a result of version 1.0.0 or 1.1.0 (older fields, such as the `version` of
    /// `ips` in 0.x, are ignored).
    pub fn parse(v: &Value) -> Result<CniResult, String> {
        if !v.is_object() {
            return Err("a result is a JSON object".into());
        }
        let mut r = CniResult::default();
        for (ctx, o) in list(v, "interfaces")? {
            r.interfaces.push(Interface {
                name: opt_str(o, "name", &ctx)?.ok_or_else(|| format!("{ctx}: no \"name\""))?,
                mac: opt_str(o, "mac", &ctx)?,
                mtu: opt_u32(o, "mtu", &ctx)?,
                sandbox: opt_str(o, "sandbox", &ctx)?,
                socket_path: opt_str(o, "socketPath", &ctx)?,
                pci_id: opt_str(o, "pciID", &ctx)?,
            });
        }
        for (ctx, o) in list(v, "ips")? {
            let interface = opt_u32(o, "interface", &ctx)?.map(|i| i as usize);
            if let Some(i) = interface {
                if i >= r.interfaces.len() {
                    return Err(format!(
                        "{ctx}.interface: {i} is not an index of interfaces"
                    ));
                }
            }
            r.ips.push(IpConfig {
                address: cidr(o, "address", &ctx)?,
                gateway: opt_ip(o, "gateway", &ctx)?,
                interface,
            });
        }
        for (ctx, o) in list(v, "routes")? {
            r.routes.push(Route {
                dst: cidr(o, "dst", &ctx)?,
                gw: opt_ip(o, "gw", &ctx)?,
                mtu: opt_u32(o, "mtu", &ctx)?,
                advmss: opt_u32(o, "advmss", &ctx)?,
                priority: opt_u32(o, "priority", &ctx)?,
                table: opt_u32(o, "table", &ctx)?,
                scope: opt_u32(o, "scope", &ctx)?,
            });
        }
        match v.get("dns") {
            None | Some(Value::Null) => {}
            Some(d) if d.is_object() => r.dns = Some(d.clone()),
            Some(d) => return Err(format!("dns: expected an object, got {d}")),
        }
        Ok(r)
    }

    /// The result as version `cni_version` prints it: the fields 1.1.0 added are left out for
    /// 1.0.0, and so are empty lists.
    pub fn to_json(&self, cni_version: &str) -> Value {
        let v11 = version::at_least(cni_version, "1.1.0");
        let mut out = Map::new();
        out.insert("cniVersion".into(), json!(cni_version));
        let put = |o: &mut Map<String, Value>, k: &str, v: Option<Value>| {
            if let Some(v) = v {
                o.insert(k.into(), v);
            }
        };
        let ifaces: Vec<Value> = self
            .interfaces
            .iter()
            .map(|i| {
                let mut o = Map::new();
                o.insert("name".into(), json!(i.name));
                put(&mut o, "mac", i.mac.as_ref().map(|m| json!(m)));
                if v11 {
                    put(&mut o, "mtu", i.mtu.map(|m| json!(m)));
                }
                put(&mut o, "sandbox", i.sandbox.as_ref().map(|s| json!(s)));
                if v11 {
                    put(
                        &mut o,
                        "socketPath",
                        i.socket_path.as_ref().map(|s| json!(s)),
                    );
                    put(&mut o, "pciID", i.pci_id.as_ref().map(|s| json!(s)));
                }
                Value::Object(o)
            })
            .collect();
        let ips: Vec<Value> = self
            .ips
            .iter()
            .map(|ip| {
                let mut o = Map::new();
                o.insert("address".into(), json!(ip.address.to_string()));
                put(&mut o, "gateway", ip.gateway.map(|g| json!(g.to_string())));
                put(&mut o, "interface", ip.interface.map(|i| json!(i)));
                Value::Object(o)
            })
            .collect();
        let routes: Vec<Value> = self
            .routes
            .iter()
            .map(|r| {
                let mut o = Map::new();
                o.insert("dst".into(), json!(r.dst.to_string()));
                put(&mut o, "gw", r.gw.map(|g| json!(g.to_string())));
                if v11 {
                    for (k, v) in [
                        ("mtu", r.mtu),
                        ("advmss", r.advmss),
                        ("priority", r.priority),
                        ("table", r.table),
                        ("scope", r.scope),
                    ] {
                        put(&mut o, k, v.map(|n| json!(n)));
                    }
                }
                Value::Object(o)
            })
            .collect();
        for (k, l) in [("interfaces", ifaces), ("ips", ips), ("routes", routes)] {
            if !l.is_empty() {
                out.insert(k.into(), Value::Array(l));
            }
        }
        put(&mut out, "dns", self.dns.clone());
        Value::Object(out)
    }

    /// The index of the interface `name` in `sandbox` (None: on the host).
    pub fn interface_index(&self, name: &str, sandbox: Option<&str>) -> Option<usize> {
        self.interfaces.iter().position(|i| {
            i.name == name && i.sandbox.as_deref().filter(|s| !s.is_empty()) == sandbox
        })
    }

    /// Appends `other` (an attachment's own result) to this one (a prevResult), keeping the
    /// interface indexes of `other`'s addresses right.
    pub fn merge(&mut self, other: CniResult) {
        let base = self.interfaces.len();
        self.interfaces.extend(other.interfaces);
        self.ips.extend(other.ips.into_iter().map(|mut ip| {
            ip.interface = ip.interface.map(|i| i + base);
            ip
        }));
        self.routes.extend(other.routes);
        if other.dns.is_some() {
            self.dns = other.dns;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The result of host-local 1.1.1 for a 1.0.0 configuration.
    const HOST_LOCAL: &str = r#"{"cniVersion":"1.0.0","ips":[{"address":"10.22.0.5/24","gateway":"10.22.0.1"},{"address":"fd00::5/64","gateway":"fd00::1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}"#;

    #[test]
    fn cidr() {
        let n = IpNet::parse("10.22.0.5/24").unwrap();
        assert_eq!(n.to_string(), "10.22.0.5/24");
        assert_eq!(n.network().to_string(), "10.22.0.0/24");
        assert_eq!(
            IpNet::parse("0.0.0.0/0").unwrap().network().to_string(),
            "0.0.0.0/0"
        );
        assert_eq!(
            IpNet::parse("fd00::5/64").unwrap().network().to_string(),
            "fd00::/64"
        );
        assert_eq!(
            IpNet::host("fd00::5".parse().unwrap()).to_string(),
            "fd00::5/128"
        );
        for bad in [
            "10.0.0.1",
            "10.0.0.1/33",
            "fd00::/129",
            "x/8",
            "10.0.0.1/",
            "10.0.0.1/+8",
        ] {
            assert_eq!(IpNet::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ipam_result_round_trip() {
        let v: Value = serde_json::from_str(HOST_LOCAL).unwrap();
        let r = CniResult::parse(&v).unwrap();
        assert!(r.interfaces.is_empty());
        assert_eq!(r.ips.len(), 2);
        assert_eq!(r.ips[1].gateway, Some("fd00::1".parse().unwrap()));
        assert_eq!(
            r.routes,
            vec![Route::new(IpNet::parse("0.0.0.0/0").unwrap(), None)]
        );
        assert_eq!(
            serde_json::to_string(&r.to_json("1.0.0")).unwrap(),
            HOST_LOCAL
        );
    }

    fn full() -> CniResult {
        let mut r = CniResult::parse(&serde_json::from_str(HOST_LOCAL).unwrap()).unwrap();
        r.interfaces = vec![
            Interface {
                name: "mcni0123456789a".into(),
                mtu: Some(1400),
                ..Default::default()
            },
            Interface {
                name: "eth0".into(),
                mac: Some("02:00:00:00:00:01".into()),
                mtu: Some(1400),
                sandbox: Some("/run/netns/pod".into()),
                ..Default::default()
            },
        ];
        for ip in &mut r.ips {
            ip.interface = Some(1);
        }
        r.routes[0].mtu = Some(1400);
        r
    }

    #[test]
    fn versions_of_the_output() {
        let r = full();
        let v10 = r.to_json("1.0.0");
        assert_eq!(v10["cniVersion"], "1.0.0");
        assert_eq!(v10["interfaces"][0], json!({"name": "mcni0123456789a"}));
        assert_eq!(
            v10["interfaces"][1],
            json!({"name": "eth0", "mac": "02:00:00:00:00:01", "sandbox": "/run/netns/pod"})
        );
        assert_eq!(
            v10["ips"][0],
            json!({"address": "10.22.0.5/24", "gateway": "10.22.0.1", "interface": 1})
        );
        assert_eq!(v10["routes"][0], json!({"dst": "0.0.0.0/0"}));
        let v11 = r.to_json("1.1.0");
        assert_eq!(
            v11["interfaces"][0],
            json!({"name": "mcni0123456789a", "mtu": 1400})
        );
        assert_eq!(v11["routes"][0], json!({"dst": "0.0.0.0/0", "mtu": 1400}));
        // and back
        assert_eq!(CniResult::parse(&v11).unwrap(), r);
        let keys: Vec<_> = v11.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["cniVersion", "interfaces", "ips", "routes", "dns"]);
    }

    #[test]
    fn lookups_and_merge() {
        let r = full();
        assert_eq!(r.interface_index("eth0", Some("/run/netns/pod")), Some(1));
        assert_eq!(r.interface_index("eth0", None), None);
        assert_eq!(r.interface_index("mcni0123456789a", None), Some(0));
        let mut prev = CniResult {
            interfaces: vec![Interface {
                name: "other".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        prev.merge(r);
        assert_eq!(prev.interfaces.len(), 3);
        assert!(prev.ips.iter().all(|ip| ip.interface == Some(2)));
    }

    #[test]
    fn bad_results() {
        for (bad, why) in [
            (json!([]), "a result is a JSON object"),
            (
                json!({"ips": [{"address": "10.0.0.1"}]}),
                "ips[0].address: not an address in CIDR notation: \"10.0.0.1\"",
            ),
            (json!({"ips": [{}]}), "ips[0]: no \"address\""),
            (
                json!({"ips": [{"address": "10.0.0.1/8", "interface": 0}]}),
                "ips[0].interface: 0 is not an index of interfaces",
            ),
            (
                json!({"interfaces": [{"mac": "x"}]}),
                "interfaces[0]: no \"name\"",
            ),
            (json!({"routes": {}}), "routes: expected a list, got {}"),
            (
                json!({"routes": [{"dst": "0.0.0.0/0", "gw": "nope"}]}),
                "routes[0].gw: not an IP address: \"nope\"",
            ),
            (
                json!({"routes": [{"dst": "0.0.0.0/0", "mtu": -1}]}),
                "routes[0].mtu: expected an unsigned integer, got -1",
            ),
        ] {
            assert_eq!(CniResult::parse(&bad).unwrap_err(), why);
        }
        // 0.x leftovers are ignored
        CniResult::parse(&json!({"ips": [{"version": "4", "address": "10.0.0.1/8"}]})).unwrap();
    }
}
