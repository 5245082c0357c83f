// SPDX-License-Identifier: GPL-2.0

//! The netlink client and the UAPI constants of meta, shared by the `metactl` binary and the
//! other tools of the repository that talk to meta (`tools/meta-cni`).

pub mod nl;
pub mod uapi;
