// SPDX-License-Identifier: GPL-2.0

//! The netlink UAPI of meta, mirrored from `include/uapi/linux/if_meta.h` (the single source
//! of truth; `selftests/meta/uapi.sh` checks that both agree).

pub(crate) const IFLA_META_PEER_INFO: u16 = 1;
pub(crate) const IFLA_META_PRIMARY: u16 = 2;
pub(crate) const IFLA_META_POLICY: u16 = 3;
pub(crate) const IFLA_META_PEER_POLICY: u16 = 4;
pub(crate) const IFLA_META_MODE: u16 = 5;
pub(crate) const IFLA_META_SCRUB: u16 = 6;
pub(crate) const IFLA_META_PEER_SCRUB: u16 = 7;
pub(crate) const IFLA_META_HEADROOM: u16 = 8;
pub(crate) const IFLA_META_TAILROOM: u16 = 9;
pub(crate) const IFLA_META_PAIRING: u16 = 10;
pub(crate) const IFLA_META_BPF_FD: u16 = 11;
pub(crate) const IFLA_META_PEER_BPF_FD: u16 = 12;
pub(crate) const IFLA_META_BPF_ID: u16 = 13;
pub(crate) const IFLA_META_PEER_BPF_ID: u16 = 14;
pub(crate) const IFLA_META_MAX: u16 = 14;

pub(crate) const META_PASS: u32 = 0;
pub(crate) const META_DROP: u32 = 2;

pub(crate) const META_L2: u32 = 0;
pub(crate) const META_L3: u32 = 1;

pub(crate) const META_SCRUB_NONE: u32 = 0;
pub(crate) const META_SCRUB_DEFAULT: u32 = 1;
