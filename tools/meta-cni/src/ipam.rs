// SPDX-License-Identifier: GPL-2.0

//! The delegated IPAM plugin (section 4 of the spec): found in `CNI_PATH`, run with the
//! same environment and the whole network configuration on stdin, its stderr passed on.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::config::NetConf;
use crate::error::{CniError, Res, INCOMPATIBLE_VERSION, INVALID_CONFIG, IPAM_FAILED};
use crate::result::CniResult;
use crate::version;

/// The executable `name` in the first directory of `cni_path` (':'-separated) that has it.
pub fn find(name: &str, cni_path: &str) -> Option<PathBuf> {
    cni_path
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// Variables to change for one run of the delegate: (name, Some(value)) sets, None removes.
pub type EnvChange<'a> = [(&'a str, Option<&'a str>)];

/// An IPAM plugin ready to be run for a configuration.
pub struct Ipam {
    pub name: String,
    path: PathBuf,
    /// The version it is handed: the configuration's, or its newest of the same major.
    pub version: String,
    raw: Value,
}

/// Runs `path` with `stdin`; returns its stdout on success, else its CNI error (named after
/// the plugin) or, when it printed none, one of this plugin's.
fn run(name: &str, path: &Path, env: &EnvChange, stdin: &[u8]) -> Res<Vec<u8>> {
    let mut cmd = Command::new(path);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let fail = |what: String| CniError::new(IPAM_FAILED, format!("ipam {name}: {what}"), "");
    let mut child = cmd
        .spawn()
        .map_err(|e| fail(format!("cannot run {}: {e}", path.display())))?;
    if let Some(mut i) = child.stdin.take() {
        // A plugin that exits without reading all of it is judged by its exit status.
        match i.write_all(stdin) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(fail(format!("cannot write its stdin: {e}")))
            }
            _ => {}
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("cannot wait for it: {e}")))?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match serde_json::from_slice::<Value>(&out.stdout) {
        Ok(v) if v.get("code").and_then(Value::as_u64).is_some() => Err(CniError::new(
            v["code"].as_u64().unwrap_or(0) as u32,
            format!(
                "ipam {name}: {}",
                v.get("msg").and_then(Value::as_str).unwrap_or("")
            ),
            v.get("details").and_then(Value::as_str).unwrap_or(""),
        )),
        _ => Err(CniError::new(
            IPAM_FAILED,
            format!("ipam {name}: failed ({})", out.status),
            text,
        )),
    }
}

/// The configuration handed to the delegate: ours, with `cniVersion` set to `version`;
/// `attachment_only` drops what only a GC carries (for a DEL that GC makes).
pub fn delegate_conf(raw: &Value, version: &str, attachment_only: bool) -> Value {
    let mut v = raw.clone();
    if let Some(o) = v.as_object_mut() {
        o.insert("cniVersion".into(), Value::String(version.into()));
        if attachment_only {
            o.retain(|k, _| !k.starts_with("cni.dev/") && k != "prevResult");
        }
    }
    v
}

impl Ipam {
    /// Finds the configured IPAM plugin and the version to speak with it. A configuration of
    /// 1.0.0 is handed on as it is; for a newer one the plugin is asked (VERSION) and gets its
    /// newest version of the same major when it lacks ours.
    pub fn new(conf: &NetConf, cni_path: &str) -> Res<Ipam> {
        let name = conf.ipam().to_owned();
        let path = find(&name, cni_path).ok_or_else(|| {
            CniError::new(
                INVALID_CONFIG,
                format!("ipam plugin \"{name}\" not found in CNI_PATH"),
                format!("CNI_PATH is {cni_path}"),
            )
        })?;
        let mut ipam = Ipam {
            name,
            path,
            version: conf.cni_version.clone(),
            raw: conf.raw.clone(),
        };
        if conf.cni_version != version::SUPPORTED[0] {
            let supported = ipam.versions()?;
            ipam.version =
                version::for_delegate(&conf.cni_version, &supported).ok_or_else(|| {
                    CniError::new(
                        INCOMPATIBLE_VERSION,
                        format!("ipam {}: incompatible CNI versions", ipam.name),
                        format!(
                            "config is \"{}\", the plugin supports [{}]",
                            conf.cni_version,
                            supported.join(" ")
                        ),
                    )
                })?;
        }
        Ok(ipam)
    }

    /// `supportedVersions` of the plugin's VERSION answer.
    fn versions(&self) -> Res<Vec<String>> {
        let stdin = format!("{{\"cniVersion\":\"{}\"}}", version::LATEST);
        let out = run(
            &self.name,
            &self.path,
            &[("CNI_COMMAND", Some("VERSION"))],
            stdin.as_bytes(),
        )?;
        let v: Value = serde_json::from_slice(&out).map_err(|e| {
            CniError::new(
                IPAM_FAILED,
                format!("ipam {}: bad VERSION answer", self.name),
                e.to_string(),
            )
        })?;
        Ok(v.get("supportedVersions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Whether the plugin speaks 1.1.0 (knows STATUS and GC).
    pub fn has_v11(&self) -> bool {
        version::at_least(&self.version, "1.1.0")
    }

    fn call(&self, command: &str, extra: &EnvChange, attachment_only: bool) -> Res<Vec<u8>> {
        let conf = delegate_conf(&self.raw, &self.version, attachment_only);
        let mut env: Vec<(&str, Option<&str>)> = vec![("CNI_COMMAND", Some(command))];
        env.extend_from_slice(extra);
        run(&self.name, &self.path, &env, conf.to_string().as_bytes())
    }

    pub fn add(&self) -> Res<CniResult> {
        let out = self.call("ADD", &[], false)?;
        let v: Value = serde_json::from_slice(&out).map_err(|e| {
            CniError::new(
                IPAM_FAILED,
                format!("ipam {}: its result is not JSON", self.name),
                e.to_string(),
            )
        })?;
        let r = CniResult::parse(&v).map_err(|e| {
            CniError::new(IPAM_FAILED, format!("ipam {}: bad result", self.name), e)
        })?;
        if r.ips.is_empty() {
            return Err(CniError::new(
                IPAM_FAILED,
                format!("ipam {}: no address in its result", self.name),
                v.to_string(),
            ));
        }
        Ok(r)
    }

    /// DEL for the invocation's attachment, or for another one (GC) with `extra`.
    pub fn del(&self, extra: &EnvChange) -> Res {
        self.call("DEL", extra, !extra.is_empty()).map(drop)
    }

    pub fn check(&self) -> Res {
        self.call("CHECK", &[], false).map(drop)
    }

    pub fn gc(&self) -> Res {
        self.call("GC", &[], false).map(drop)
    }

    pub fn status(&self) -> Res {
        self.call("STATUS", &[], false).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn delegate_configuration() {
        let raw = json!({"cniVersion": "1.1.0", "name": "n", "type": "meta",
            "ipam": {"type": "host-local"}, "prevResult": {}, "cni.dev/valid-attachments": []});
        let v = delegate_conf(&raw, "1.0.0", false);
        assert_eq!(v["cniVersion"], "1.0.0");
        assert_eq!(v["ipam"]["type"], "host-local");
        assert!(v.get("prevResult").is_some() && v.get("cni.dev/valid-attachments").is_some());
        let v = delegate_conf(&raw, "1.0.0", true);
        assert!(v.get("prevResult").is_none() && v.get("cni.dev/valid-attachments").is_none());
    }

    #[test]
    fn find_in_path() {
        let dir = std::env::temp_dir().join(format!("meta-cni-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("fake-ipam");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o644)).unwrap();
        let path = format!("/nonexistent::{}", dir.display());
        assert_eq!(find("fake-ipam", &path), None, "not executable");
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find("fake-ipam", &path), Some(exe));
        assert_eq!(find("fake-ipam", "/nonexistent"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A delegate that fails with a CNI error: its code is kept, its message named.
    #[test]
    fn delegate_errors() {
        let dir = std::env::temp_dir().join(format!("meta-cni-err-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("ipam");
        std::fs::write(
            &exe,
            "#!/bin/sh\ncat >/dev/null\necho '{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"busy\",\"details\":\"try later\"}'\nexit 1\n",
        )
        .unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = run("ipam", &exe, &[], b"{}").unwrap_err();
        assert_eq!(e, CniError::new(11, "ipam ipam: busy", "try later"));
        std::fs::write(&exe, "#!/bin/sh\necho oops\nexit 3\n").unwrap();
        let e = run("ipam", &exe, &[], b"{}").unwrap_err();
        assert_eq!((e.code, e.details.as_str()), (IPAM_FAILED, "oops"));
        std::fs::write(&exe, "#!/bin/sh\necho \"$CNI_COMMAND $CNI_IFNAME\"\n").unwrap();
        let out = run(
            "ipam",
            &exe,
            &[("CNI_COMMAND", Some("DEL")), ("CNI_IFNAME", Some("e1"))],
            b"",
        )
        .unwrap();
        assert_eq!(out, b"DEL e1\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
