// SPDX-License-Identifier: GPL-2.0

//! CNI errors: the spec's error result (`cniVersion`, `code`, `msg`, `details`) printed on
//! stdout, with the spec's well-known codes and this plugin's own (100 and up).

use serde_json::{json, Value};

/// Well-known codes of the CNI specification (section 5, "Error").
pub const INCOMPATIBLE_VERSION: u32 = 1;
pub const UNSUPPORTED_FIELD: u32 = 2;
pub const UNKNOWN_CONTAINER: u32 = 3;
pub const INVALID_ENV: u32 = 4;
pub const IO_FAILURE: u32 = 5;
pub const DECODING_FAILURE: u32 = 6;
pub const INVALID_CONFIG: u32 = 7;
pub const NOT_AVAILABLE: u32 = 50;

/// The plugin's own codes (the spec leaves 100 and up to plugins).
/// The interface to create exists already (in the pod, or the host's end on the host).
pub const IFACE_EXISTS: u32 = 100;
/// The kernel refused a netlink request; details carry the errno and the kernel's message.
pub const NETLINK: u32 = 101;
/// Loading, attaching or pinning a BPF program, or the endpoint map, failed.
pub const BPF: u32 = 102;
/// CHECK found the attachment different from prevResult and the configuration.
pub const CHECK_FAILED: u32 = 103;
/// The delegated IPAM plugin failed without a CNI error of its own, or could not be run.
pub const IPAM_FAILED: u32 = 104;
/// Another I/O failure of the plugin's own state (bpffs, state directory).
pub const STATE: u32 = 105;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CniError {
    pub code: u32,
    pub msg: String,
    pub details: String,
}

pub type Res<T = ()> = Result<T, CniError>;

impl CniError {
    pub fn new(code: u32, msg: impl Into<String>, details: impl Into<String>) -> CniError {
        CniError {
            code,
            msg: msg.into(),
            details: details.into(),
        }
    }

    /// The error result of the spec; `details` is omitted when empty.
    pub fn to_json(&self, cni_version: &str) -> Value {
        let mut v = json!({
            "cniVersion": cni_version,
            "code": self.code,
            "msg": self.msg,
        });
        if !self.details.is_empty() {
            v["details"] = json!(self.details);
        }
        v
    }
}

/// The text of an errno, e.g. "File exists (os error 17)".
pub fn errno_text(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

/// An error of a netlink request: what was asked, the errno and the kernel's message.
pub fn netlink(what: &str, e: metactl::nl::Error) -> CniError {
    match e {
        metactl::nl::Error::Kernel(ack) => CniError::new(
            NETLINK,
            format!("{what}: {}", errno_text(ack.errno)),
            ack.msg.unwrap_or_default(),
        ),
        metactl::nl::Error::Io(e) => CniError::new(NETLINK, format!("{what}: {e}"), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_json_as_the_spec_shows_it() {
        let e = CniError::new(
            INVALID_CONFIG,
            "Invalid Configuration",
            "Network 192.168.0.0/31 too small to allocate from.",
        );
        assert_eq!(
            serde_json::to_string(&e.to_json("1.1.0")).unwrap(),
            r#"{"cniVersion":"1.1.0","code":7,"msg":"Invalid Configuration","details":"Network 192.168.0.0/31 too small to allocate from."}"#
        );
        let e = CniError::new(IO_FAILURE, "cannot read stdin", "");
        assert_eq!(
            e.to_json("1.0.0"),
            json!({"cniVersion": "1.0.0", "code": 5, "msg": "cannot read stdin"})
        );
    }

    #[test]
    fn netlink_errors_keep_errno_and_message() {
        let e = netlink(
            "create the pair",
            metactl::nl::Error::Kernel(metactl::nl::Ack {
                errno: libc::EEXIST,
                msg: Some("exists".into()),
                offset: None,
            }),
        );
        assert_eq!(e.code, NETLINK);
        assert_eq!(e.msg, "create the pair: File exists (os error 17)");
        assert_eq!(e.details, "exists");
    }
}
