// SPDX-License-Identifier: GPL-2.0

//! meta: a CNI plugin (specification 1.0.0 and 1.1.0) that connects a pod through a meta
//! pair: the peer created directly in `CNI_NETNS` as `CNI_IFNAME`, the primary on the host,
//! addresses from the delegated IPAM plugin, routes both ways, and BPF programs on either
//! end through netkit's link API. Documentation/cni.rst describes the options.
//!
//! Results go to stdout as the spec's JSON, and so do errors (exit status 1); stderr is
//! for the IPAM plugin's and libbpf's messages.

mod bpf;
mod cmd;
mod config;
mod error;
mod ipam;
mod netns;
mod result;
mod rtnl;
mod state;
mod version;

use std::io::{Read, Write};
use std::process::ExitCode;

use serde_json::Value;

use config::{Command, Env, NetConf};
use error::{CniError, Res, IO_FAILURE};

fn run(env: Res<Env>, stdin: Res<Vec<u8>>) -> Res<Option<Value>> {
    let env = env?;
    let stdin = stdin?;
    if env.command == Command::Version {
        return Ok(Some(version::answer(&stdin)));
    }
    let conf = NetConf::parse(&stdin, env.command)?;
    match env.command {
        Command::Add => cmd::add(&env, &conf).map(Some),
        Command::Del => cmd::del(&env, &conf).map(|()| None),
        Command::Check => cmd::check(&env, &conf).map(|()| None),
        Command::Status => cmd::status(&env, &conf).map(|()| None),
        Command::Gc => cmd::gc(&env, &conf).map(|()| None),
        Command::Version => unreachable!(),
    }
}

fn main() -> ExitCode {
    fn print(_: libbpf_rs::PrintLevel, msg: String) {
        eprint!("meta: libbpf: {msg}");
    }
    libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Warn, print)));
    let env = Env::from_vars(|n| std::env::var(n).ok());
    if env.is_err() && std::env::var_os("CNI_COMMAND").is_none() {
        eprintln!(
            "meta: the CNI plugin of meta devices; CNI protocol versions supported: {}",
            version::SUPPORTED.join(", ")
        );
    }
    let mut buf = Vec::new();
    let stdin = std::io::stdin()
        .read_to_end(&mut buf)
        .map(|_| buf)
        .map_err(|e| {
            CniError::new(
                IO_FAILURE,
                "error reading the network configuration from stdin",
                e.to_string(),
            )
        });
    let errors_version = stdin
        .as_deref()
        .map(config::version_of)
        .unwrap_or_else(|_| version::LATEST.into());
    let (out, code) = match run(env, stdin) {
        Ok(Some(v)) => (Some(v), ExitCode::SUCCESS),
        Ok(None) => (None, ExitCode::SUCCESS),
        Err(e) => (Some(e.to_json(&errors_version)), ExitCode::FAILURE),
    };
    if let Some(v) = out {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(
            o,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        );
    }
    code
}
