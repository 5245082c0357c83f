// SPDX-License-Identifier: GPL-2.0

//! netkit's BPF attach API, as meta's pairs take it: programs attach to a primary's ifindex
//! with `BPF_NETKIT_PRIMARY` (run when the primary transmits) or `BPF_NETKIT_PEER` (run
//! when the peer transmits), directly (`BPF_PROG_ATTACH`) or through links
//! (`BPF_LINK_CREATE`), in an ordered array per end.
//!
//! The raw bpf(2) calls of the `metactl` binary and of `tools/meta-cni`, through libbpf's
//! thin wrappers; an error is the errno, which converts into an [`std::io::Error`].

use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use libbpf_rs::libbpf_sys as sys;

/// A failed call: the positive errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl fmt::Display for Errno {
    /// As [`io::Error`] shows the errno, e.g. "File exists (os error 17)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&io::Error::from_raw_os_error(self.0), f)
    }
}

impl std::error::Error for Errno {}

impl From<Errno> for io::Error {
    fn from(e: Errno) -> io::Error {
        io::Error::from_raw_os_error(e.0)
    }
}

fn check(rc: i32) -> Result<i32, Errno> {
    if rc < 0 {
        // libbpf returns -errno and also sets errno.
        Err(Errno(-rc))
    } else {
        Ok(rc)
    }
}

fn owned(rc: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: a non-negative return of these calls is a new fd that nobody else owns.
    check(rc).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Which end's array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Primary,
    Peer,
}

impl End {
    pub const BOTH: [End; 2] = [End::Primary, End::Peer];

    pub fn attach_type(self) -> sys::bpf_attach_type {
        match self {
            End::Primary => sys::BPF_NETKIT_PRIMARY,
            End::Peer => sys::BPF_NETKIT_PEER,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            End::Primary => "primary",
            End::Peer => "peer",
        }
    }
}

/// Where a new program goes in the array, as bpf_mprog understands it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// At the end.
    Append,
    /// Before the program with this id (`BPF_F_BEFORE | BPF_F_ID`).
    Before(u32),
    /// After the program with this id (`BPF_F_AFTER | BPF_F_ID`).
    After(u32),
    /// Instead of the program with this id (`BPF_F_REPLACE`), in one step.
    Replace(u32),
}

impl Place {
    fn flags_and_id(self) -> (u32, u32) {
        match self {
            Place::Append => (0, 0),
            Place::Before(id) => (sys::BPF_F_BEFORE | sys::BPF_F_ID, id),
            Place::After(id) => (sys::BPF_F_AFTER | sys::BPF_F_ID, id),
            Place::Replace(_) => (sys::BPF_F_REPLACE, 0),
        }
    }
}

/// One entry of an end's array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub prog_id: u32,
    /// 0 for a program attached without a link.
    pub link_id: u32,
}

/// An end's array as `BPF_PROG_QUERY` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub revision: u64,
    pub entries: Vec<Entry>,
}

impl Query {
    /// The ids of the programs, in order.
    pub fn prog_ids(&self) -> Vec<u32> {
        self.entries.iter().map(|e| e.prog_id).collect()
    }

    /// The ids of the programs' links, in order (0 for a program attached without a link).
    pub fn link_ids(&self) -> Vec<u32> {
        self.entries.iter().map(|e| e.link_id).collect()
    }

    /// The ids of the programs attached without a link, in order.
    pub fn direct(&self) -> Vec<u32> {
        self.entries
            .iter()
            .filter(|e| e.link_id == 0)
            .map(|e| e.prog_id)
            .collect()
    }
}

/// bpf_mprog holds at most this many programs per array.
const MAX_PROGS: usize = 64;

/// Queries the array of `end` through the primary `ifindex`.
pub fn query(ifindex: i32, end: End) -> Result<Query, Errno> {
    let mut progs = [0u32; MAX_PROGS];
    let mut links = [0u32; MAX_PROGS];
    let mut opts = sys::bpf_prog_query_opts {
        sz: std::mem::size_of::<sys::bpf_prog_query_opts>() as _,
        prog_ids: progs.as_mut_ptr(),
        link_ids: links.as_mut_ptr(),
        ..Default::default()
    };
    opts.__bindgen_anon_1.count = MAX_PROGS as u32;
    // SAFETY: `opts` is sized and its buffers hold `count` entries, alive during the call.
    check(unsafe { sys::bpf_prog_query_opts(ifindex, end.attach_type(), &mut opts) })?;
    // SAFETY: the kernel wrote the count of entries it filled in.
    let n = (unsafe { opts.__bindgen_anon_1.count } as usize).min(MAX_PROGS);
    let entries = (0..n)
        .map(|i| Entry {
            prog_id: progs[i],
            link_id: links[i],
        })
        .collect();
    Ok(Query {
        revision: opts.revision,
        entries,
    })
}

/// The fd of program `id`.
pub fn prog_fd_by_id(id: u32) -> Result<OwnedFd, Errno> {
    // SAFETY: an FFI call with no pointer arguments.
    owned(unsafe { sys::bpf_prog_get_fd_by_id(id) })
}

/// Attaches `prog` without a link at `place`; `revision` (if not 0) must be the array's.
pub fn prog_attach(
    prog: RawFd,
    ifindex: i32,
    end: End,
    place: Place,
    revision: u64,
) -> Result<(), Errno> {
    let (flags, relative_id) = place.flags_and_id();
    let replaced = match place {
        Place::Replace(id) => Some(prog_fd_by_id(id)?),
        _ => None,
    };
    let mut opts = sys::bpf_prog_attach_opts {
        sz: std::mem::size_of::<sys::bpf_prog_attach_opts>() as _,
        flags,
        relative_id,
        expected_revision: revision,
        ..Default::default()
    };
    if let Some(r) = &replaced {
        opts.__bindgen_anon_1.replace_fd = r.as_raw_fd();
    }
    // SAFETY: `opts` is sized and valid; the fds are open during the call.
    check(unsafe { sys::bpf_prog_attach_opts(prog, ifindex, end.attach_type(), &opts) }).map(drop)
}

/// Replaces program `old` by `prog` in one step, both given by fd (one process doing many
/// replacements needs no lookups by id).
pub fn prog_replace_fd(prog: RawFd, old: RawFd, ifindex: i32, end: End) -> Result<(), Errno> {
    let mut opts = sys::bpf_prog_attach_opts {
        sz: std::mem::size_of::<sys::bpf_prog_attach_opts>() as _,
        flags: sys::BPF_F_REPLACE,
        ..Default::default()
    };
    opts.__bindgen_anon_1.replace_fd = old;
    // SAFETY: `opts` is sized and valid; the fds are open during the call.
    check(unsafe { sys::bpf_prog_attach_opts(prog, ifindex, end.attach_type(), &opts) }).map(drop)
}

/// Detaches program `id`, attached without a link, from `end`.
pub fn prog_detach(id: u32, ifindex: i32, end: End, revision: u64) -> Result<(), Errno> {
    let fd = prog_fd_by_id(id)?;
    let opts = sys::bpf_prog_detach_opts {
        sz: std::mem::size_of::<sys::bpf_prog_detach_opts>() as _,
        expected_revision: revision,
        ..Default::default()
    };
    // SAFETY: `opts` is sized and valid; `fd` is open during the call.
    check(unsafe { sys::bpf_prog_detach_opts(fd.as_raw_fd(), ifindex, end.attach_type(), &opts) })
        .map(drop)
}

/// Creates a netkit link of `prog` at `place` (never `Replace`: links are updated instead).
pub fn link_create(
    prog: RawFd,
    ifindex: i32,
    end: End,
    place: Place,
    revision: u64,
) -> Result<OwnedFd, Errno> {
    let (flags, relative_id) = place.flags_and_id();
    let mut opts = sys::bpf_link_create_opts {
        sz: std::mem::size_of::<sys::bpf_link_create_opts>() as _,
        flags,
        ..Default::default()
    };
    opts.__bindgen_anon_1.netkit.relative_id = relative_id;
    opts.__bindgen_anon_1.netkit.expected_revision = revision;
    // SAFETY: `opts` is sized and valid; `prog` is open during the call.
    owned(unsafe { sys::bpf_link_create(prog, ifindex, end.attach_type(), &opts) })
}

fn cpath(path: &Path) -> Result<CString, Errno> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).map_err(|_| Errno(libc::EINVAL))
}

/// Pins `fd` (a link or a program) at `path` in bpffs.
pub fn pin(fd: RawFd, path: &Path) -> Result<(), Errno> {
    let c = cpath(path)?;
    // SAFETY: `c` is NUL-terminated and `fd` open during the call.
    check(unsafe { sys::bpf_obj_pin(fd, c.as_ptr()) }).map(drop)
}

/// Opens the object pinned at `path`.
pub fn pinned(path: &Path) -> Result<OwnedFd, Errno> {
    let c = cpath(path)?;
    // SAFETY: `c` is NUL-terminated.
    owned(unsafe { sys::bpf_obj_get(c.as_ptr()) })
}

/// The fd of link `id`.
pub fn link_fd_by_id(id: u32) -> Result<OwnedFd, Errno> {
    // SAFETY: an FFI call with no pointer arguments.
    owned(unsafe { sys::bpf_link_get_fd_by_id(id) })
}

/// Detaches a link from its device (`BPF_LINK_DETACH`); the link object stays until its last
/// fd and pin are gone.
pub fn link_detach(link: RawFd) -> Result<(), Errno> {
    // SAFETY: an FFI call on an fd.
    check(unsafe { sys::bpf_link_detach(link) }).map(drop)
}

/// What `BPF_OBJ_GET_INFO_BY_FD` says of a netkit link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub id: u32,
    pub prog_id: u32,
    pub link_type: u32,
    /// 0 once the device is gone (the link is orphaned).
    pub ifindex: u32,
    pub attach_type: u32,
}

pub fn link_info(link: RawFd) -> Result<LinkInfo, Errno> {
    let mut info = sys::bpf_link_info::default();
    let mut len = std::mem::size_of::<sys::bpf_link_info>() as u32;
    // SAFETY: `info` is valid for `len` bytes and `link` open during the call.
    check(unsafe { sys::bpf_link_get_info_by_fd(link, &mut info, &mut len) })?;
    // SAFETY: for a netkit link the kernel filled in the netkit member of the union; for
    // another type the values are whatever its member holds, and the type says so.
    let (ifindex, attach_type) = unsafe {
        (
            info.__bindgen_anon_1.netkit.ifindex,
            info.__bindgen_anon_1.netkit.attach_type,
        )
    };
    Ok(LinkInfo {
        id: info.id,
        prog_id: info.prog_id,
        link_type: info.type_,
        ifindex,
        attach_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_shows_and_converts_as_io_error() {
        let e = Errno(libc::EEXIST);
        assert_eq!(e.to_string(), "File exists (os error 17)");
        let io: io::Error = e.into();
        assert_eq!(io.raw_os_error(), Some(libc::EEXIST));
        assert_eq!(io.to_string(), e.to_string());
    }

    #[test]
    fn query_ids_in_order() {
        let q = Query {
            revision: 3,
            entries: vec![
                Entry {
                    prog_id: 7,
                    link_id: 0,
                },
                Entry {
                    prog_id: 8,
                    link_id: 21,
                },
            ],
        };
        assert_eq!(q.prog_ids(), [7, 8]);
        assert_eq!(q.link_ids(), [0, 21]);
        assert_eq!(q.direct(), [7]);
        assert_eq!(End::BOTH.map(End::attach_type), [54, 55]);
    }
}
