// SPDX-License-Identifier: GPL-2.0

//! The plugin's record of each attachment, one small JSON file per attachment under
//! STATE_DIR/NETWORK/: written before ADD allocates anything and removed by the DEL that
//! released everything, so that a DEL after the pod's namespace is gone, and GC, know what
//! to release (the pod's addresses for the endpoint map, the host's end).

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// The host's end of an attachment: "mcni" and 11 hex digits of a hash of (network,
/// container id, ifname), 15 characters, the longest name Linux allows.
pub fn host_ifname(network: &str, container_id: &str, ifname: &str) -> String {
    // FNV-1a, 64 bits, over the three names with NUL separators.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in [network, container_id, ifname].join("\0").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("mcni{:011x}", h >> 20)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub container_id: String,
    pub ifname: String,
    pub host: String,
    /// The host end's ifindex once created.
    pub host_ifindex: Option<i32>,
    pub ips: Vec<IpAddr>,
}

impl Record {
    fn to_json(&self) -> Value {
        json!({
            "containerID": self.container_id,
            "ifname": self.ifname,
            "host": self.host,
            "hostIfindex": self.host_ifindex,
            "ips": self.ips.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        })
    }

    fn from_json(v: &Value) -> Option<Record> {
        Some(Record {
            container_id: v.get("containerID")?.as_str()?.to_owned(),
            ifname: v.get("ifname")?.as_str()?.to_owned(),
            host: v.get("host")?.as_str()?.to_owned(),
            host_ifindex: v
                .get("hostIfindex")
                .and_then(Value::as_i64)
                .map(|i| i as i32),
            ips: v
                .get("ips")?
                .as_array()?
                .iter()
                .filter_map(|s| s.as_str()?.parse().ok())
                .collect(),
        })
    }
}

/// The directory of a network's records.
pub fn dir(state_dir: &Path, network: &str) -> PathBuf {
    state_dir.join(network)
}

fn file(state_dir: &Path, network: &str, host: &str) -> PathBuf {
    dir(state_dir, network).join(format!("{host}.json"))
}

/// Writes (or rewrites) a record, atomically: a reader sees the old or the new one.
pub fn write(state_dir: &Path, network: &str, r: &Record) -> io::Result<()> {
    std::fs::create_dir_all(dir(state_dir, network))?;
    let f = file(state_dir, network, &r.host);
    let tmp = f.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, r.to_json().to_string())?;
    std::fs::rename(&tmp, &f)
}

pub fn read(state_dir: &Path, network: &str, host: &str) -> Option<Record> {
    let s = std::fs::read(file(state_dir, network, host)).ok()?;
    Record::from_json(&serde_json::from_slice(&s).ok()?)
}

pub fn remove(state_dir: &Path, network: &str, host: &str) -> io::Result<()> {
    match std::fs::remove_file(file(state_dir, network, host)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Every record of a network.
pub fn list(state_dir: &Path, network: &str) -> io::Result<Vec<Record>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir(state_dir, network)) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for e in entries {
        let p = e?.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        if let Some(r) = std::fs::read(&p)
            .ok()
            .and_then(|s| serde_json::from_slice::<Value>(&s).ok())
            .and_then(|v| Record::from_json(&v))
        {
            out.push(r);
        }
    }
    out.sort_by(|a, b| a.host.cmp(&b.host));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        let a = host_ifname("podnet", "c0ffee", "eth0");
        assert_eq!(a.len(), 15);
        assert!(a.starts_with("mcni") && a[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, host_ifname("podnet", "c0ffee", "eth0"), "stable");
        assert_ne!(a, host_ifname("podnet", "c0ffee", "eth1"));
        assert_ne!(a, host_ifname("podnet2", "c0ffee", "eth0"));
        // the separator keeps ("ab", "c") and ("a", "bc") apart
        assert_ne!(host_ifname("n", "ab", "c"), host_ifname("n", "a", "bc"));
        // 32 pods of one test get 32 names
        let names: std::collections::HashSet<_> = (0..32)
            .map(|i| host_ifname("podnet", &format!("pod{i}"), "eth0"))
            .collect();
        assert_eq!(names.len(), 32);
    }

    #[test]
    fn records() {
        let root = std::env::temp_dir().join(format!("meta-cni-state-{}", std::process::id()));
        let mut r = Record {
            container_id: "c1".into(),
            ifname: "eth0".into(),
            host: host_ifname("n", "c1", "eth0"),
            host_ifindex: None,
            ips: vec![],
        };
        write(&root, "n", &r).unwrap();
        assert_eq!(read(&root, "n", &r.host).as_ref(), Some(&r));
        r.host_ifindex = Some(12);
        r.ips = vec!["10.0.0.2".parse().unwrap(), "fd00::2".parse().unwrap()];
        write(&root, "n", &r).unwrap();
        assert_eq!(list(&root, "n").unwrap(), vec![r.clone()]);
        assert!(list(&root, "other").unwrap().is_empty());
        remove(&root, "n", &r.host).unwrap();
        remove(&root, "n", &r.host).unwrap();
        assert_eq!(read(&root, "n", &r.host), None);
        assert!(list(&root, "n").unwrap().is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
