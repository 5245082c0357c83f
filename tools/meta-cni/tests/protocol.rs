// SPDX-License-Identifier: GPL-2.0

//! The plugin binary as a runtime runs it: environment, stdin, the JSON on stdout and the
//! exit status, for VERSION and for the refusals that come before anything is touched (no
//! kernel, no IPAM plugin needed).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

/// Runs the plugin with `vars` (nothing else of the environment but PATH) and `stdin`;
/// returns the exit code and stdout as JSON (Null when empty).
fn plugin(vars: &[(&str, &str)], stdin: &str) -> (i32, Value) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_meta"));
    c.env_clear().env("PATH", "/usr/bin:/bin");
    for (k, v) in vars {
        c.env(k, v);
    }
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v = if out.stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&out.stdout).expect("stdout is JSON")
    };
    (out.status.code().unwrap(), v)
}

fn add(conf: &Value, netns: &str) -> (i32, Value) {
    plugin(
        &[
            ("CNI_COMMAND", "ADD"),
            ("CNI_CONTAINERID", "c0ffee"),
            ("CNI_NETNS", netns),
            ("CNI_IFNAME", "eth0"),
            ("CNI_PATH", "/nonexistent"),
        ],
        &conf.to_string(),
    )
}

fn conf() -> Value {
    json!({"cniVersion": "1.0.0", "name": "podnet", "type": "meta",
           "ipam": {"type": "host-local", "subnet": "10.99.0.0/24"}})
}

#[test]
fn version() {
    let (rc, v) = plugin(&[("CNI_COMMAND", "VERSION")], r#"{"cniVersion":"1.0.0"}"#);
    assert_eq!(rc, 0);
    assert_eq!(
        v,
        json!({"cniVersion": "1.0.0", "supportedVersions": ["1.0.0", "1.1.0"]})
    );
    let (rc, v) = plugin(&[("CNI_COMMAND", "VERSION")], "");
    assert_eq!((rc, v["cniVersion"].as_str()), (0, Some("1.1.0")));
}

#[test]
fn environment_errors() {
    let (rc, v) = plugin(&[], "{}");
    assert_eq!(rc, 1);
    assert_eq!(
        v,
        json!({"cniVersion": "1.1.0", "code": 4, "msg": "required env variables [CNI_COMMAND] missing"})
    );
    let (_, v) = plugin(&[("CNI_COMMAND", "ADD")], &conf().to_string());
    assert_eq!(v["code"], 4);
    assert_eq!(
        v["msg"],
        "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"
    );
    // the error speaks the configuration's version
    assert_eq!(v["cniVersion"], "1.0.0");
}

#[test]
fn configuration_errors_before_anything_is_touched() {
    let mut c = conf();
    c["mode"] = json!("l4");
    let (rc, v) = add(&c, "/proc/self/ns/net");
    assert_eq!(
        (rc, &v["code"], &v["msg"]),
        (1, &json!(7), &json!("invalid \"mode\": \"l4\""))
    );
    let mut c = conf();
    c.as_object_mut().unwrap().remove("ipam");
    assert_eq!(add(&c, "/proc/self/ns/net").1["msg"], "missing \"ipam\"");
    let mut c = conf();
    c["cniVersion"] = json!("0.4.0");
    let (_, v) = add(&c, "/proc/self/ns/net");
    assert_eq!((&v["code"], &v["cniVersion"]), (&json!(1), &json!("0.4.0")));
    let (_, v) = add(&conf(), "/nonexistent/netns");
    assert_eq!(
        (&v["code"], &v["msg"]),
        (
            &json!(3),
            &json!("CNI_NETNS /nonexistent/netns does not exist")
        )
    );
    let (_, v) = add(&conf(), "/etc/hostname");
    assert_eq!(v["code"], 4);
    let (_, v) = add(&conf(), "/proc/self/ns/net");
    assert_eq!(
        v["msg"],
        "CNI_NETNS /proc/self/ns/net is the plugin's own network namespace"
    );
    let (_, v) = plugin(
        &[
            ("CNI_COMMAND", "ADD"),
            ("CNI_CONTAINERID", "c"),
            ("CNI_NETNS", "/x"),
            ("CNI_IFNAME", "eth0"),
            ("CNI_PATH", "/x"),
        ],
        "{",
    );
    assert_eq!(
        (&v["code"], &v["msg"]),
        (
            &json!(6),
            &json!("error decoding the network configuration")
        )
    );
}

#[test]
fn gc_and_status_need_1_1_0() {
    let vars = [("CNI_COMMAND", "STATUS"), ("CNI_PATH", "/nonexistent")];
    let (rc, v) = plugin(&vars, &conf().to_string());
    assert_eq!(
        (rc, &v["code"], &v["msg"]),
        (1, &json!(1), &json!("config version does not allow STATUS"))
    );
    let mut c = conf();
    c["cniVersion"] = json!("1.1.0");
    // 1.1.0, but the IPAM plugin is nowhere: not available
    let (rc, v) = plugin(&vars, &c.to_string());
    assert_eq!((rc, &v["code"]), (1, &json!(50)));
    assert_eq!(v["msg"], "ipam plugin \"host-local\" not found in CNI_PATH");
    let (_, v) = plugin(
        &[("CNI_COMMAND", "GC"), ("CNI_PATH", "/nonexistent")],
        &c.to_string(),
    );
    assert_eq!(
        (&v["code"], &v["msg"]),
        (
            &json!(7),
            &json!("GC without \"cni.dev/valid-attachments\"")
        )
    );
}

#[test]
fn del_without_ipam_plugin_fails_but_names_it() {
    let (rc, v) = plugin(
        &[
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "c"),
            ("CNI_IFNAME", "eth0"),
            ("CNI_PATH", "/nonexistent"),
        ],
        &conf().to_string(),
    );
    assert_eq!((rc, &v["code"]), (1, &json!(7)));
    assert_eq!(v["details"], "CNI_PATH is /nonexistent");
}
