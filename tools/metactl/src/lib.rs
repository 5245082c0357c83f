// SPDX-License-Identifier: GPL-2.0

//! The netlink client, the UAPI constants of meta and the bpf(2) calls of netkit's attach API,
//! shared by the `metactl` binary and the other tools of the repository that talk to meta
//! (`tools/meta-cni`).

pub mod bpf;
pub mod nl;
pub mod uapi;
