// SPDX-License-Identifier: GPL-2.0

//! CNI specification versions: what the plugin supports and the VERSION command.

use serde_json::{json, Value};

use crate::error::{CniError, Res, DECODING_FAILURE, INCOMPATIBLE_VERSION};

/// The versions of the spec this plugin implements, oldest first. 1.1.0 adds STATUS, GC and
/// the `mtu` of interfaces (and route attributes) in results.
pub const SUPPORTED: [&str; 2] = ["1.0.0", "1.1.0"];
/// The newest: the `cniVersion` of a VERSION answer or an error when the input names none.
pub const LATEST: &str = "1.1.0";

/// A semantic version `MAJOR.MINOR.PATCH`.
pub fn parse(v: &str) -> Option<(u32, u32, u32)> {
    let mut it = v.split('.').map(|p| {
        if p.is_empty() || (p.len() > 1 && p.starts_with('0')) {
            None
        } else {
            p.parse::<u32>().ok()
        }
    });
    let t = (it.next()??, it.next()??, it.next()??);
    if it.next().is_some() {
        return None;
    }
    Some(t)
}

/// Whether `v` is at least `min` (both valid versions).
pub fn at_least(v: &str, min: &str) -> bool {
    matches!((parse(v), parse(min)), (Some(a), Some(b)) if a >= b)
}

/// Checks the `cniVersion` of a configuration: code 6 when it is not a version, code 1 when
/// this plugin does not implement it.
pub fn check(v: &str) -> Res {
    if parse(v).is_none() {
        return Err(CniError::new(
            DECODING_FAILURE,
            format!("invalid \"cniVersion\": \"{v}\""),
            "a version is MAJOR.MINOR.PATCH",
        ));
    }
    if !SUPPORTED.contains(&v) {
        return Err(CniError::new(
            INCOMPATIBLE_VERSION,
            "incompatible CNI versions",
            format!(
                "config is \"{v}\", plugin supports [{}]",
                SUPPORTED.map(|s| format!("\"{s}\"")).join(" ")
            ),
        ));
    }
    Ok(())
}

/// The answer to VERSION: the `cniVersion` of the input (the newest when it has none).
pub fn answer(stdin: &[u8]) -> Value {
    let asked = serde_json::from_slice::<Value>(stdin)
        .ok()
        .and_then(|v| {
            v.get("cniVersion")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|v| parse(v).is_some())
        .unwrap_or_else(|| LATEST.to_owned());
    json!({ "cniVersion": asked, "supportedVersions": SUPPORTED })
}

/// For a delegated plugin: the version to hand it when the configuration's `cniVersion` is
/// `want` and the plugin reports `supported`. The spec keeps configurations compatible within
/// a major version, so a plugin that lacks `want` gets its newest version of the same major
/// that is not newer (host-local 1.1.1 implements up to 1.0.0).
pub fn for_delegate(want: &str, supported: &[String]) -> Option<String> {
    if supported.iter().any(|s| s == want) {
        return Some(want.to_owned());
    }
    let w = parse(want)?;
    supported
        .iter()
        .filter_map(|s| parse(s).map(|p| (p, s)))
        .filter(|(p, _)| p.0 == w.0 && *p <= w)
        .max()
        .map(|(_, s)| s.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_versions() {
        assert_eq!(parse("1.0.0"), Some((1, 0, 0)));
        assert_eq!(parse("0.4.0"), Some((0, 4, 0)));
        for bad in [
            "", "1", "1.0", "1.0.0.0", "a.b.c", "1.0.x", "01.0.0", "1..0", "-1.0.0",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(at_least("1.1.0", "1.1.0"));
        assert!(at_least("1.10.0", "1.2.0"));
        assert!(!at_least("1.0.0", "1.1.0"));
        assert!(!at_least("x", "1.1.0"));
    }

    #[test]
    fn check_versions() {
        check("1.0.0").unwrap();
        check("1.1.0").unwrap();
        let e = check("0.4.0").unwrap_err();
        assert_eq!(e.code, 1);
        assert_eq!(e.msg, "incompatible CNI versions");
        assert_eq!(
            e.details,
            r#"config is "0.4.0", plugin supports ["1.0.0" "1.1.0"]"#
        );
        assert_eq!(check("2.0.0").unwrap_err().code, 1);
        let e = check("one").unwrap_err();
        assert_eq!(e.code, 6);
        assert_eq!(e.msg, r#"invalid "cniVersion": "one""#);
    }

    #[test]
    fn version_command() {
        assert_eq!(
            answer(br#"{"cniVersion": "1.0.0"}"#),
            json!({"cniVersion": "1.0.0", "supportedVersions": ["1.0.0", "1.1.0"]})
        );
        // an older runtime asks with its own version: echoed, the list is the same
        assert_eq!(answer(br#"{"cniVersion":"0.4.0"}"#)["cniVersion"], "0.4.0");
        for empty in [&b""[..], b"{}", b"garbage", br#"{"cniVersion": 1}"#] {
            assert_eq!(answer(empty)["cniVersion"], LATEST);
        }
    }

    #[test]
    fn delegate_versions() {
        let hl: Vec<String> = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"]
            .map(String::from)
            .to_vec();
        assert_eq!(for_delegate("1.1.0", &hl).as_deref(), Some("1.0.0"));
        assert_eq!(for_delegate("1.0.0", &hl).as_deref(), Some("1.0.0"));
        let new: Vec<String> = ["1.0.0", "1.1.0"].map(String::from).to_vec();
        assert_eq!(for_delegate("1.1.0", &new).as_deref(), Some("1.1.0"));
        let old: Vec<String> = ["0.3.1", "0.4.0"].map(String::from).to_vec();
        assert_eq!(for_delegate("1.0.0", &old), None);
        assert_eq!(for_delegate("1.1.0", &["2.0.0".to_string()]), None);
    }
}
