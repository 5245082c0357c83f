// SPDX-License-Identifier: GPL-2.0

//! The invocation: the `CNI_*` environment and the network configuration on stdin, parsed
//! and validated before anything is touched.

use std::path::{Path, PathBuf};

use metactl::uapi::{META_DROP, META_L2, META_L3, META_PASS, META_SCRUB_DEFAULT, META_SCRUB_NONE};
use serde_json::{Map, Value};

use crate::error::{
    CniError, Res, DECODING_FAILURE, INCOMPATIBLE_VERSION, INVALID_CONFIG, INVALID_ENV,
    UNKNOWN_CONTAINER, UNSUPPORTED_FIELD,
};
use crate::result::CniResult;
use crate::version;

/// The commands, as `CNI_COMMAND` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Add,
    Del,
    Check,
    Version,
    Status,
    Gc,
}

impl Command {
    fn parse(s: &str) -> Option<Command> {
        Some(match s {
            "ADD" => Command::Add,
            "DEL" => Command::Del,
            "CHECK" => Command::Check,
            "VERSION" => Command::Version,
            "STATUS" => Command::Status,
            "GC" => Command::Gc,
            _ => return None,
        })
    }

    /// Whether the command is about one attachment (needs a container id and an ifname).
    pub fn attachment(self) -> bool {
        matches!(self, Command::Add | Command::Del | Command::Check)
    }
}

/// The `CNI_*` variables of one invocation.
#[derive(Debug, Clone)]
pub struct Env {
    pub command: Command,
    pub container_id: String,
    /// Empty when not given (allowed for DEL).
    pub netns: String,
    pub ifname: String,
    pub path: String,
}

/// The spec's rule for container ids and network names: an alphanumeric character, then
/// alphanumerics, '_', '.' or '-'.
pub fn valid_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphanumeric())
        && c.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Linux's rule for interface names, as the spec states it.
pub fn check_ifname(var: &str, s: &str) -> Res {
    let bad = |why: &str| CniError::new(INVALID_ENV, format!("{var}: {why}"), s.to_owned());
    if s.is_empty() {
        return Err(bad("interface name is empty"));
    }
    if s.len() > 15 {
        return Err(bad("interface name is longer than 15 characters"));
    }
    if s == "." || s == ".." {
        return Err(bad("interface name is . or .."));
    }
    if s.chars().any(|c| c == '/' || c == ':' || c.is_whitespace()) {
        return Err(bad(
            "interface name contains / or : or whitespace characters",
        ));
    }
    Ok(())
}

impl Env {
    /// Reads and checks the variables through `get` (the process environment in `main`).
    /// Missing required variables are named together, as the reference implementation does.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Res<Env> {
        let var = |n: &str| get(n).unwrap_or_default();
        let cmd = var("CNI_COMMAND");
        if cmd.is_empty() {
            return Err(CniError::new(
                INVALID_ENV,
                "required env variables [CNI_COMMAND] missing",
                "",
            ));
        }
        let command = Command::parse(&cmd)
            .ok_or_else(|| CniError::new(INVALID_ENV, format!("unknown CNI_COMMAND: {cmd}"), ""))?;
        let env = Env {
            command,
            container_id: var("CNI_CONTAINERID"),
            netns: var("CNI_NETNS"),
            ifname: var("CNI_IFNAME"),
            path: var("CNI_PATH"),
        };
        let mut missing = Vec::new();
        if command.attachment() {
            if env.container_id.is_empty() {
                missing.push("CNI_CONTAINERID");
            }
            if env.netns.is_empty() && command != Command::Del {
                missing.push("CNI_NETNS");
            }
            if env.ifname.is_empty() {
                missing.push("CNI_IFNAME");
            }
        }
        if env.path.is_empty() && command != Command::Version {
            missing.push("CNI_PATH");
        }
        if !missing.is_empty() {
            return Err(CniError::new(
                INVALID_ENV,
                format!("required env variables [{}] missing", missing.join(",")),
                "",
            ));
        }
        if command.attachment() {
            if !valid_name(&env.container_id) {
                return Err(CniError::new(
                    INVALID_ENV,
                    "CNI_CONTAINERID: invalid characters in container id",
                    env.container_id.clone(),
                ));
            }
            check_ifname("CNI_IFNAME", &env.ifname)?;
        }
        Ok(env)
    }
}

/// A BPF program to attach to one end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgSpec {
    /// A program pinned in bpffs (loaded and configured beforehand, e.g. by bpftool).
    Pinned(PathBuf),
    /// The program of an object file in section (or of name) `section`, or its first one.
    Object {
        path: PathBuf,
        section: Option<String>,
    },
}

impl ProgSpec {
    pub fn describe(&self) -> String {
        match self {
            ProgSpec::Pinned(p) => format!("pinned {}", p.display()),
            ProgSpec::Object { path, section } => match section {
                Some(s) => format!("object {} section {s}", path.display()),
                None => format!("object {}", path.display()),
            },
        }
    }
}

/// An end of the pair, whose programs the configuration lists: metactl's, which also knows
/// its netkit attach type.
pub use metactl::bpf::End;

/// The network configuration of the plugin, validated.
#[derive(Debug, Clone)]
pub struct NetConf {
    pub cni_version: String,
    pub name: String,
    /// `META_L3` (default) or `META_L2`.
    pub mode: u32,
    pub mtu: Option<u32>,
    pub policy: Option<u32>,
    pub peer_policy: Option<u32>,
    pub scrub: Option<u32>,
    pub peer_scrub: Option<u32>,
    pub headroom: Option<u16>,
    pub tailroom: Option<u16>,
    /// Programs of the primary (run when the host transmits to the pod), in order.
    pub primary_progs: Vec<ProgSpec>,
    /// Programs of the peer (run when the pod transmits), in order.
    pub peer_progs: Vec<ProgSpec>,
    /// A pinned BPF hash map the plugin keeps: pod address -> ifindex of the host's end.
    pub endpoint_map: Option<PathBuf>,
    /// Where the links of the programs are pinned: DIR/CONTAINERID/IFNAME/{primary,peer}-N.
    pub pin_dir: PathBuf,
    /// Where the plugin records its attachments (for DEL after a lost netns, and GC).
    pub state_dir: PathBuf,
    /// `ipam.type`; None only where the command does not need it.
    pub ipam_type: Option<String>,
    pub dns: Option<Value>,
    pub prev_result: Option<CniResult>,
    /// GC: `cni.dev/valid-attachments` as (container id, ifname).
    pub valid_attachments: Option<Vec<(String, String)>>,
    /// The whole configuration as received, handed to the IPAM plugin.
    pub raw: Value,
}

pub const DEFAULT_PIN_DIR: &str = "/sys/fs/bpf/meta-cni";
pub const DEFAULT_STATE_DIR: &str = "/var/lib/cni/meta";

/// Keys of the configuration besides the plugin's own options: the protocol's and the
/// well-known ones. Anything else is refused with code 2, so that a misspelt option does not
/// go unnoticed.
const PROTOCOL_KEYS: [&str; 13] = [
    "cniVersion",
    "cniVersions",
    "name",
    "type",
    "ipam",
    "dns",
    "prevResult",
    "runtimeConfig",
    "args",
    "capabilities",
    "ipMasq",
    "disableCheck",
    "disableGC",
];
const OPTION_KEYS: [&str; 12] = [
    "mode",
    "mtu",
    "policy",
    "peerPolicy",
    "scrub",
    "peerScrub",
    "headroom",
    "tailroom",
    "programs",
    "endpointMap",
    "pinDir",
    "stateDir",
];

fn invalid(msg: impl Into<String>, details: impl Into<String>) -> CniError {
    CniError::new(INVALID_CONFIG, msg, details)
}

fn show(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn one_of(key: &str, v: &Value, choices: &[(&str, u32)]) -> Res<u32> {
    let names: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    v.as_str()
        .and_then(|s| choices.iter().find(|(n, _)| *n == s))
        .map(|(_, val)| *val)
        .ok_or_else(|| {
            invalid(
                format!("invalid \"{key}\": {}", show(v)),
                format!("expected one of {}", names.join(", ")),
            )
        })
}

fn number(key: &str, v: &Value, min: u64, max: u64) -> Res<u64> {
    v.as_u64()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            invalid(
                format!("invalid \"{key}\": {}", show(v)),
                format!("expected an integer from {min} to {max}"),
            )
        })
}

fn path(key: &str, v: &Value) -> Res<PathBuf> {
    match v.as_str() {
        Some(s) if Path::new(s).is_absolute() => Ok(PathBuf::from(s)),
        _ => Err(invalid(
            format!("invalid \"{key}\": {}", show(v)),
            "expected an absolute path",
        )),
    }
}

fn progs(key: &str, v: &Value) -> Res<Vec<ProgSpec>> {
    let list = v.as_array().ok_or_else(|| {
        invalid(
            format!("invalid \"{key}\": {}", show(v)),
            "expected a list of {\"pinned\": PATH} or {\"object\": PATH, \"section\": NAME}",
        )
    })?;
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let k = format!("{key}[{i}]");
            let o = p.as_object().ok_or_else(|| {
                invalid(
                    format!("invalid \"{k}\": {}", show(p)),
                    "expected an object",
                )
            })?;
            for f in o.keys() {
                if !matches!(f.as_str(), "pinned" | "object" | "section") {
                    return Err(CniError::new(
                        UNSUPPORTED_FIELD,
                        format!("unsupported field \"{k}.{f}\": {}", show(&o[f])),
                        "a program is {\"pinned\": PATH} or {\"object\": PATH, \"section\": NAME}",
                    ));
                }
            }
            match (o.get("pinned"), o.get("object")) {
                (Some(pin), None) if o.get("section").is_none() => {
                    Ok(ProgSpec::Pinned(path(&format!("{k}.pinned"), pin)?))
                }
                (None, Some(obj)) => Ok(ProgSpec::Object {
                    path: path(&format!("{k}.object"), obj)?,
                    section: match o.get("section") {
                        None => None,
                        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                        Some(s) => {
                            return Err(invalid(
                                format!("invalid \"{k}.section\": {}", show(s)),
                                "expected a section or program name",
                            ))
                        }
                    },
                }),
                _ => Err(invalid(
                    format!("invalid \"{k}\": {}", show(p)),
                    "expected exactly one of \"pinned\" (without \"section\") and \"object\"",
                )),
            }
        })
        .collect()
}

/// What the configuration's `cniVersion` is, for an error result: the one given when it is
/// a version, else the newest.
pub fn version_of(stdin: &[u8]) -> String {
    serde_json::from_slice::<Value>(stdin)
        .ok()
        .and_then(|v| {
            v.get("cniVersion")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|v| version::parse(v).is_some())
        .unwrap_or_else(|| version::LATEST.to_owned())
}

impl NetConf {
    /// Parses and validates the configuration for `command`. In the order of the reference
    /// implementation: decoding (6), the network name (7), the version (1), then the
    /// plugin's fields (7, or 2 for unknown fields).
    pub fn parse(stdin: &[u8], command: Command) -> Res<NetConf> {
        let raw: Value = serde_json::from_slice(stdin).map_err(|e| {
            CniError::new(
                DECODING_FAILURE,
                "error decoding the network configuration",
                e.to_string(),
            )
        })?;
        let o: &Map<String, Value> = raw.as_object().ok_or_else(|| {
            CniError::new(
                DECODING_FAILURE,
                "error decoding the network configuration",
                "not a JSON object",
            )
        })?;
        let name = match o.get("name") {
            None => return Err(invalid("missing network name", "")),
            Some(Value::String(n)) if valid_name(n) => n.clone(),
            Some(n) => {
                return Err(invalid(
                    "invalid characters found in network name",
                    n.as_str().map_or_else(|| show(n), str::to_owned),
                ))
            }
        };
        let cni_version = match o.get("cniVersion") {
            None => {
                return Err(CniError::new(
                    INCOMPATIBLE_VERSION,
                    "incompatible CNI versions",
                    "the configuration has no \"cniVersion\"",
                ))
            }
            Some(Value::String(v)) => v.clone(),
            Some(v) => {
                return Err(CniError::new(
                    DECODING_FAILURE,
                    format!("invalid \"cniVersion\": {}", show(v)),
                    "expected a string",
                ))
            }
        };
        version::check(&cni_version)?;
        if matches!(command, Command::Status | Command::Gc)
            && !version::at_least(&cni_version, "1.1.0")
        {
            let what = if command == Command::Gc {
                "GC"
            } else {
                "STATUS"
            };
            return Err(CniError::new(
                INCOMPATIBLE_VERSION,
                format!("config version does not allow {what}"),
                format!("{what} needs cniVersion 1.1.0, the configuration has {cni_version}"),
            ));
        }

        for (k, v) in o {
            if !(PROTOCOL_KEYS.contains(&k.as_str())
                || OPTION_KEYS.contains(&k.as_str())
                || k.starts_with("cni.dev/"))
            {
                return Err(CniError::new(
                    UNSUPPORTED_FIELD,
                    format!("unsupported field \"{k}\": {}", show(v)),
                    format!("the meta plugin knows {}", OPTION_KEYS.join(", ")),
                ));
            }
        }
        if let Some(m) = o.get("ipMasq") {
            if m != &Value::Bool(false) {
                return Err(CniError::new(
                    UNSUPPORTED_FIELD,
                    format!("unsupported field \"ipMasq\": {}", show(m)),
                    "the meta plugin sets up no masquerading",
                ));
            }
        }

        let policies = [
            ("forward", META_PASS as u32),
            ("blackhole", META_DROP as u32),
        ];
        let scrubs = [("default", META_SCRUB_DEFAULT), ("none", META_SCRUB_NONE)];
        let get_with = |k: &str, f: &dyn Fn(&str, &Value) -> Res<u32>| -> Res<Option<u32>> {
            o.get(k).map(|v| f(k, v)).transpose()
        };
        let mode = get_with("mode", &|k, v| {
            one_of(k, v, &[("l3", META_L3), ("l2", META_L2)])
        })?
        .unwrap_or(META_L3);
        let policy = get_with("policy", &|k, v| one_of(k, v, &policies))?;
        let peer_policy = get_with("peerPolicy", &|k, v| one_of(k, v, &policies))?;
        let scrub = get_with("scrub", &|k, v| one_of(k, v, &scrubs))?;
        let peer_scrub = get_with("peerScrub", &|k, v| one_of(k, v, &scrubs))?;
        let mtu = get_with("mtu", &|k, v| Ok(number(k, v, 68, 65535)? as u32))?;
        let room = |k: &str| -> Res<Option<u16>> {
            o.get(k)
                .map(|v| number(k, v, 0, 65535).map(|n| n as u16))
                .transpose()
        };
        let (headroom, tailroom) = (room("headroom")?, room("tailroom")?);

        let (mut primary_progs, mut peer_progs) = (Vec::new(), Vec::new());
        if let Some(p) = o.get("programs") {
            let po = p.as_object().ok_or_else(|| {
                invalid(
                    format!("invalid \"programs\": {}", show(p)),
                    "expected {\"primary\": [...], \"peer\": [...]}",
                )
            })?;
            for (k, v) in po {
                match k.as_str() {
                    "primary" => primary_progs = progs("programs.primary", v)?,
                    "peer" => peer_progs = progs("programs.peer", v)?,
                    _ => {
                        return Err(CniError::new(
                            UNSUPPORTED_FIELD,
                            format!("unsupported field \"programs.{k}\": {}", show(v)),
                            "the ends are \"primary\" and \"peer\"",
                        ))
                    }
                }
            }
        }
        let opt_path = |k: &str| o.get(k).map(|v| path(k, v)).transpose();
        let endpoint_map = opt_path("endpointMap")?;
        let pin_dir = opt_path("pinDir")?.unwrap_or_else(|| DEFAULT_PIN_DIR.into());
        let state_dir = opt_path("stateDir")?.unwrap_or_else(|| DEFAULT_STATE_DIR.into());

        let ipam_type = match o.get("ipam") {
            None => None,
            Some(i) => match i.get("type") {
                Some(Value::String(t))
                    if !t.is_empty() && !t.contains('/') && t != "." && t != ".." =>
                {
                    Some(t.clone())
                }
                Some(t) => {
                    return Err(invalid(
                        format!("invalid \"ipam.type\": {}", show(t)),
                        "expected the name of an IPAM plugin in CNI_PATH",
                    ))
                }
                None => {
                    return Err(invalid(
                        "\"ipam\" has no \"type\"",
                        "name the IPAM plugin, e.g. \"ipam\": {\"type\": \"host-local\", ...}",
                    ))
                }
            },
        };
        if ipam_type.is_none() && command != Command::Version {
            return Err(invalid(
                "missing \"ipam\"",
                "the meta plugin delegates addresses to an IPAM plugin, e.g. \"ipam\": {\"type\": \"host-local\", ...}",
            ));
        }
        let dns = match o.get("dns") {
            None => None,
            Some(d) if d.is_object() => Some(d.clone()),
            Some(d) => {
                return Err(invalid(
                    format!("invalid \"dns\": {}", show(d)),
                    "expected an object",
                ))
            }
        };
        let prev_result = match o.get("prevResult") {
            None | Some(Value::Null) => None,
            Some(p) => Some(CniResult::parse(p).map_err(|e| {
                CniError::new(DECODING_FAILURE, "error decoding \"prevResult\"", e)
            })?),
        };
        let valid_attachments = match o.get("cni.dev/valid-attachments") {
            None => None,
            Some(v) => Some(attachments(v)?),
        };
        if command == Command::Gc && valid_attachments.is_none() {
            return Err(invalid(
                "GC without \"cni.dev/valid-attachments\"",
                "the runtime lists the attachments to keep",
            ));
        }
        Ok(NetConf {
            cni_version,
            name,
            mode,
            mtu,
            policy,
            peer_policy,
            scrub,
            peer_scrub,
            headroom,
            tailroom,
            primary_progs,
            peer_progs,
            endpoint_map,
            pin_dir,
            state_dir,
            ipam_type,
            dns,
            prev_result,
            valid_attachments,
            raw,
        })
    }

    pub fn progs(&self, end: End) -> &[ProgSpec] {
        match end {
            End::Primary => &self.primary_progs,
            End::Peer => &self.peer_progs,
        }
    }

    pub fn l2(&self) -> bool {
        self.mode == META_L2
    }

    pub fn ipam(&self) -> &str {
        self.ipam_type.as_deref().unwrap_or_default()
    }
}

fn attachments(v: &Value) -> Res<Vec<(String, String)>> {
    let bad = || {
        invalid(
            format!("invalid \"cni.dev/valid-attachments\": {}", show(v)),
            "expected a list of {\"containerID\": ID, \"ifname\": NAME}",
        )
    };
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|a| {
            match (
                a.get("containerID").and_then(Value::as_str),
                a.get("ifname").and_then(Value::as_str),
            ) {
                (Some(c), Some(i)) => Ok((c.to_owned(), i.to_owned())),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// The error for a netns that cannot be opened: code 3 when it does not exist (the
/// container is gone), else 4 naming the variable.
pub fn netns_error(netns: &str, e: &std::io::Error) -> CniError {
    if e.kind() == std::io::ErrorKind::NotFound {
        CniError::new(
            UNKNOWN_CONTAINER,
            format!("CNI_NETNS {netns} does not exist"),
            "the container's network namespace is gone",
        )
    } else {
        CniError::new(
            INVALID_ENV,
            format!("CNI_NETNS {netns} is not a network namespace"),
            e.to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(vars: &[(&str, &str)]) -> Res<Env> {
        Env::from_vars(|n| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        })
    }

    const ADD: [(&str, &str); 5] = [
        ("CNI_COMMAND", "ADD"),
        ("CNI_CONTAINERID", "c0ffee"),
        ("CNI_NETNS", "/run/netns/pod"),
        ("CNI_IFNAME", "eth0"),
        ("CNI_PATH", "/opt/cni/bin"),
    ];

    fn with(over: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<_> = ADD
            .iter()
            .filter(|(k, _)| !over.iter().any(|(o, _)| o == k))
            .copied()
            .collect();
        v.extend(over.iter().filter(|(_, val)| !val.is_empty()));
        v
    }

    #[test]
    fn environment() {
        let e = env(&ADD).unwrap();
        assert_eq!(e.command, Command::Add);
        assert_eq!(
            (e.ifname.as_str(), e.netns.as_str()),
            ("eth0", "/run/netns/pod")
        );
        let err = env(&[]).unwrap_err();
        assert_eq!(
            (err.code, err.msg.as_str()),
            (4, "required env variables [CNI_COMMAND] missing")
        );
        let err = env(&with(&[("CNI_COMMAND", "FROB")])).unwrap_err();
        assert_eq!(
            (err.code, err.msg.as_str()),
            (4, "unknown CNI_COMMAND: FROB")
        );
        let err = env(&with(&[("CNI_NETNS", ""), ("CNI_IFNAME", "")])).unwrap_err();
        assert_eq!(
            err.msg,
            "required env variables [CNI_NETNS,CNI_IFNAME] missing"
        );
        // DEL needs no netns; VERSION nothing but the command
        env(&with(&[("CNI_COMMAND", "DEL"), ("CNI_NETNS", "")])).unwrap();
        env(&[("CNI_COMMAND", "VERSION")]).unwrap();
        let err = env(&[("CNI_COMMAND", "STATUS")]).unwrap_err();
        assert_eq!(err.msg, "required env variables [CNI_PATH] missing");
        let err = env(&with(&[("CNI_CONTAINERID", "-bad")])).unwrap_err();
        assert_eq!(err.code, 4);
        assert!(err.msg.contains("CNI_CONTAINERID"));
        for (bad, why) in [
            ("eth0eth0eth0eth0", "longer than 15"),
            ("..", ". or .."),
            ("a:b", "whitespace"),
            ("a b", "whitespace"),
        ] {
            let err = env(&with(&[("CNI_IFNAME", bad)])).unwrap_err();
            assert_eq!(err.code, 4, "{bad}");
            assert!(
                err.msg.starts_with("CNI_IFNAME: ") && err.msg.contains(why),
                "{err:?}"
            );
        }
    }

    fn conf(v: Value) -> Res<NetConf> {
        NetConf::parse(v.to_string().as_bytes(), Command::Add)
    }

    fn base() -> Value {
        json!({
            "cniVersion": "1.0.0", "name": "podnet", "type": "meta",
            "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.22.0.0/24"}]]}
        })
    }

    fn set(k: &str, v: Value) -> Value {
        let mut b = base();
        b[k] = v;
        b
    }

    #[test]
    fn defaults() {
        let c = conf(base()).unwrap();
        assert_eq!(c.mode, META_L3);
        assert_eq!(
            (c.mtu, c.policy, c.scrub, c.headroom),
            (None, None, None, None)
        );
        assert_eq!(c.pin_dir, Path::new(DEFAULT_PIN_DIR));
        assert_eq!(c.state_dir, Path::new(DEFAULT_STATE_DIR));
        assert_eq!(c.ipam(), "host-local");
        assert!(c.primary_progs.is_empty() && c.peer_progs.is_empty());
        assert!(c.prev_result.is_none());
    }

    #[test]
    fn every_option() {
        let mut v = base();
        for (k, val) in [
            ("mode", json!("l2")),
            ("mtu", json!(9000)),
            ("policy", json!("blackhole")),
            ("peerPolicy", json!("forward")),
            ("scrub", json!("none")),
            ("peerScrub", json!("default")),
            ("headroom", json!(64)),
            ("tailroom", json!(0)),
            ("endpointMap", json!("/sys/fs/bpf/hr/endpoints")),
            ("pinDir", json!("/sys/fs/bpf/x")),
            ("stateDir", json!("/tmp/s")),
            ("dns", json!({"nameservers": ["10.0.0.10"]})),
            ("runtimeConfig", json!({})),
            ("cni.dev/anything", json!(1)),
            (
                "programs",
                json!({
                    "primary": [{"object": "/o/count.bpf.o"}],
                    "peer": [{"pinned": "/sys/fs/bpf/hr/egress"},
                             {"object": "/o/x.bpf.o", "section": "tc"}]
                }),
            ),
        ] {
            v[k] = val;
        }
        let c = conf(v).unwrap();
        assert!(c.l2());
        assert_eq!(c.mtu, Some(9000));
        assert_eq!(c.policy, Some(META_DROP as u32));
        assert_eq!(c.peer_policy, Some(META_PASS as u32));
        assert_eq!(
            (c.scrub, c.peer_scrub),
            (Some(META_SCRUB_NONE), Some(META_SCRUB_DEFAULT))
        );
        assert_eq!((c.headroom, c.tailroom), (Some(64), Some(0)));
        assert_eq!(
            c.primary_progs,
            vec![ProgSpec::Object {
                path: "/o/count.bpf.o".into(),
                section: None
            }]
        );
        assert_eq!(
            c.progs(End::Peer),
            &[
                ProgSpec::Pinned("/sys/fs/bpf/hr/egress".into()),
                ProgSpec::Object {
                    path: "/o/x.bpf.o".into(),
                    section: Some("tc".into())
                }
            ]
        );
        assert_eq!(
            c.endpoint_map.as_deref(),
            Some(Path::new("/sys/fs/bpf/hr/endpoints"))
        );
    }

    fn err_of(v: Value) -> (u32, String, String) {
        let e = conf(v).unwrap_err();
        (e.code, e.msg, e.details)
    }

    #[test]
    fn bad_configurations() {
        let (c, m, d) = err_of(set("mode", json!("l4")));
        assert_eq!((c, m.as_str()), (7, r#"invalid "mode": "l4""#));
        assert_eq!(d, r#"expected one of "l3", "l2""#);
        let mut v = base();
        v.as_object_mut().unwrap().remove("ipam");
        let (c, m, _) = err_of(v);
        assert_eq!((c, m.as_str()), (7, r#"missing "ipam""#));
        assert_eq!(err_of(set("ipam", json!({}))).1, r#""ipam" has no "type""#);
        assert_eq!(err_of(set("ipam", json!({"type": "../x"}))).0, 7);
        let (c, m, d) = err_of(set("cniVersion", json!("0.4.0")));
        assert_eq!((c, m.as_str()), (1, "incompatible CNI versions"));
        assert!(d.contains(r#"config is "0.4.0""#));
        assert_eq!(err_of(set("cniVersion", json!("9"))).0, 6);
        let mut v = base();
        v.as_object_mut().unwrap().remove("cniVersion");
        assert_eq!(err_of(v).0, 1);
        let (c, m, _) = err_of(set("headrom", json!(4)));
        assert_eq!((c, m.as_str()), (2, r#"unsupported field "headrom": 4"#));
        assert_eq!(
            err_of(set("ipMasq", json!(true))).1,
            r#"unsupported field "ipMasq": true"#
        );
        conf(set("ipMasq", json!(false))).unwrap();
        assert_eq!(err_of(set("mtu", json!(67))).1, r#"invalid "mtu": 67"#);
        assert_eq!(err_of(set("mtu", json!("1500"))).0, 7);
        assert_eq!(err_of(set("headroom", json!(65536))).0, 7);
        assert_eq!(err_of(set("policy", json!("pass"))).0, 7);
        assert_eq!(err_of(set("pinDir", json!("relative"))).0, 7);
        assert_eq!(err_of(set("programs", json!([]))).0, 7);
        let (c, m, _) = err_of(set("programs", json!({"host": []})));
        assert_eq!(
            (c, m.as_str()),
            (2, r#"unsupported field "programs.host": []"#)
        );
        let (c, m, _) = err_of(set(
            "programs",
            json!({"peer": [{"pinned": "/a", "object": "/b"}]}),
        ));
        assert_eq!(
            (c, m.as_str()),
            (
                7,
                r#"invalid "programs.peer[0]": {"pinned":"/a","object":"/b"}"#
            )
        );
        assert_eq!(
            err_of(set(
                "programs",
                json!({"peer": [{"pinned": "/a", "section": "tc"}]})
            ))
            .0,
            7
        );
        let (c, m, _) = err_of(set("programs", json!({"peer": [{"obj": "/b"}]})));
        assert_eq!(
            (c, m.as_str()),
            (2, r#"unsupported field "programs.peer[0].obj": "/b""#)
        );
        assert_eq!(err_of(set("dns", json!([]))).0, 7);
        let (c, m, _) = err_of(set("name", json!("-x")));
        assert_eq!(
            (c, m.as_str()),
            (7, "invalid characters found in network name")
        );
        let mut v = base();
        v.as_object_mut().unwrap().remove("name");
        assert_eq!(err_of(v).1, "missing network name");
        let e = NetConf::parse(b"{not json", Command::Add).unwrap_err();
        assert_eq!(
            (e.code, e.msg.as_str()),
            (6, "error decoding the network configuration")
        );
        assert_eq!(NetConf::parse(b"[1]", Command::Add).unwrap_err().code, 6);
        let e = conf(set(
            "prevResult",
            json!({"cniVersion": "1.0.0", "ips": [{"address": "x"}]}),
        ))
        .unwrap_err();
        assert_eq!(
            (e.code, e.msg.as_str()),
            (6, r#"error decoding "prevResult""#)
        );
    }

    #[test]
    fn version_gates_of_gc_and_status() {
        let mut v = base();
        v["cni.dev/valid-attachments"] = json!([{"containerID": "a", "ifname": "eth0"}]);
        let e = NetConf::parse(v.to_string().as_bytes(), Command::Gc).unwrap_err();
        assert_eq!(
            (e.code, e.msg.as_str()),
            (1, "config version does not allow GC")
        );
        let e = NetConf::parse(v.to_string().as_bytes(), Command::Status).unwrap_err();
        assert_eq!(
            (e.code, e.msg.as_str()),
            (1, "config version does not allow STATUS")
        );
        v["cniVersion"] = json!("1.1.0");
        let c = NetConf::parse(v.to_string().as_bytes(), Command::Gc).unwrap();
        assert_eq!(c.valid_attachments, Some(vec![("a".into(), "eth0".into())]));
        NetConf::parse(v.to_string().as_bytes(), Command::Status).unwrap();
        v["cni.dev/valid-attachments"] = json!([{"containerID": "a"}]);
        assert_eq!(
            NetConf::parse(v.to_string().as_bytes(), Command::Gc)
                .unwrap_err()
                .code,
            7
        );
    }

    #[test]
    fn error_version() {
        assert_eq!(version_of(br#"{"cniVersion": "1.0.0"}"#), "1.0.0");
        assert_eq!(version_of(br#"{"cniVersion": "0.4.0"}"#), "0.4.0");
        assert_eq!(version_of(b"nope"), version::LATEST);
    }

    #[test]
    fn netns_errors() {
        let e = netns_error(
            "/run/netns/x",
            &std::io::Error::from_raw_os_error(libc::ENOENT),
        );
        assert_eq!(
            (e.code, e.msg.as_str()),
            (3, "CNI_NETNS /run/netns/x does not exist")
        );
        let e = netns_error(
            "/etc/passwd",
            &std::io::Error::from_raw_os_error(libc::EINVAL),
        );
        assert_eq!(e.code, 4);
    }
}
