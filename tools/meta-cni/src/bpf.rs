// SPDX-License-Identifier: GPL-2.0

//! BPF: the programs of each end, attached through netkit's link API on the primary's
//! ifindex (`BPF_LINK_CREATE` with `BPF_NETKIT_PRIMARY` / `BPF_NETKIT_PEER`, giving
//! `BPF_LINK_TYPE_NETKIT` links), the links pinned in bpffs so that they outlive the plugin,
//! and the endpoint map of the host-routing example.
//!
//! The bpf(2) calls of netkit's attach API are metactl's (`metactl::bpf`, re-exported here):
//! `BPF_LINK_CREATE`, `BPF_OBJ_PIN`, `BPF_OBJ_GET`, a link's info and `BPF_PROG_QUERY`. Their
//! errors are errnos ([`metactl::bpf::Errno`]), which show and convert as an [`io::Error`] of
//! that errno.

use std::io;
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use libbpf_rs::libbpf_sys as sys;
use libbpf_rs::{MapCore, MapFlags, MapHandle, MapType, ObjectBuilder, ProgramType};
pub use metactl::bpf::{link_create, link_info, pin, query, Place};

use crate::config::{End, ProgSpec};
use crate::error::{CniError, Res, BPF, INVALID_CONFIG};

/// A loaded program, held by its fd until attached.
pub struct Prog {
    pub fd: OwnedFd,
}

/// What the kernel says of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgInfo {
    pub id: u32,
    pub ty: u32,
    /// The kernel's copy of the name: at most 15 bytes.
    pub name: String,
}

fn os_err(ret: libc::c_int) -> io::Error {
    // libbpf returns -errno and sets errno.
    if ret < 0 {
        io::Error::from_raw_os_error(-ret)
    } else {
        io::Error::last_os_error()
    }
}

pub fn prog_info(fd: BorrowedFd<'_>) -> io::Result<ProgInfo> {
    let mut info = sys::bpf_prog_info::default();
    let mut len = std::mem::size_of::<sys::bpf_prog_info>() as u32;
    // SAFETY: `info` is a zeroed bpf_prog_info of `len` bytes (no pointers set).
    let ret = unsafe { sys::bpf_prog_get_info_by_fd(fd.as_raw_fd(), &mut info, &mut len) };
    if ret != 0 {
        return Err(os_err(ret));
    }
    let name: Vec<u8> = info
        .name
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    Ok(ProgInfo {
        id: info.id,
        ty: info.type_,
        name: String::from_utf8_lossy(&name).into_owned(),
    })
}

/// The program of id `id`, as the kernel describes it.
pub fn prog_info_by_id(id: u32) -> io::Result<ProgInfo> {
    let fd = metactl::bpf::prog_fd_by_id(id)?;
    prog_info(fd.as_fd())
}

/// The object pinned at `path` (metactl's `BPF_OBJ_GET`). A path with a NUL byte (a path of
/// the configuration may hold one) is refused here as "NUL in path", not as metactl's EINVAL.
pub fn pinned(path: &Path) -> io::Result<OwnedFd> {
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"));
    }
    Ok(metactl::bpf::pinned(path)?)
}

/// The name the kernel keeps of a program named `name` (BPF_OBJ_NAME_LEN - 1 bytes).
pub fn kernel_name(name: &str) -> String {
    name.bytes().take(15).map(char::from).collect()
}

/// The program of `obj` in section or of name `section` (the first one when None), as its
/// name; `open` is the object opened, not loaded.
fn pick(open: &libbpf_rs::OpenObject, obj: &Path, section: Option<&str>) -> Res<String> {
    // (section, name) of each program; the section wins over a program of that name.
    let all: Vec<(String, String)> = open
        .progs()
        .map(|p| {
            (
                p.section().to_string_lossy().into_owned(),
                p.name().to_string_lossy().into_owned(),
            )
        })
        .collect();
    let rank = |(sec, name): &(String, String)| match section {
        None => Some(0),
        Some(s) if s == sec => Some(0),
        Some(s) if s == name => Some(1),
        Some(_) => None,
    };
    all.iter()
        .enumerate()
        .filter_map(|(i, p)| rank(p).map(|r| (r, i, p.1.clone())))
        .min()
        .map(|(_, _, name)| name)
        .ok_or_else(|| {
            CniError::new(
                INVALID_CONFIG,
                format!(
                    "{}: no BPF program {}",
                    obj.display(),
                    match section {
                        None => "in the object".to_owned(),
                        Some(s) => format!("in section or of name \"{s}\""),
                    }
                ),
                "",
            )
        })
}

fn open_object(obj: &Path) -> Res<libbpf_rs::OpenObject> {
    ObjectBuilder::default().open_file(obj).map_err(|e| {
        CniError::new(
            INVALID_CONFIG,
            format!("cannot open BPF object {}", obj.display()),
            format!("{e:#}"),
        )
    })
}

/// The name a program of an object file gets: what CHECK compares the attached one with.
pub fn object_prog_name(obj: &Path, section: Option<&str>) -> Res<String> {
    let open = open_object(obj)?;
    pick(&open, obj, section)
}

/// Loads the program of `spec` (a pinned one is opened, an object's is loaded as SCHED_CLS,
/// alone) and checks that it is a SCHED_CLS program.
pub fn load(spec: &ProgSpec) -> Res<Prog> {
    let fd = match spec {
        ProgSpec::Pinned(p) => libbpf_rs::Program::fd_from_pinned_path(p).map_err(|e| {
            CniError::new(
                INVALID_CONFIG,
                format!("cannot open the pinned program {}", p.display()),
                format!("{e:#}"),
            )
        })?,
        ProgSpec::Object { path, section } => {
            let mut open = open_object(path)?;
            let name = pick(&open, path, section.as_deref())?;
            for mut p in open.progs_mut() {
                if p.name().to_string_lossy() == name {
                    p.set_prog_type(ProgramType::SchedCls);
                } else {
                    p.set_autoload(false);
                }
            }
            let loaded = open.load().map_err(|e| {
                CniError::new(
                    BPF,
                    format!("cannot load {}", spec.describe()),
                    format!("{e:#}"),
                )
            })?;
            let prog = loaded
                .progs()
                .find(|p| p.name().to_string_lossy() == name)
                .ok_or_else(|| {
                    CniError::new(
                        BPF,
                        format!("{}: program {name} vanished", path.display()),
                        "",
                    )
                })?;
            // A duplicate outlives the object; the link takes its own reference.
            prog.as_fd()
                .try_clone_to_owned()
                .map_err(|e| CniError::new(BPF, "cannot duplicate a program fd", e.to_string()))?
        }
    };
    let info = prog_info(fd.as_fd()).map_err(|e| {
        CniError::new(
            BPF,
            format!("{}: no program info", spec.describe()),
            e.to_string(),
        )
    })?;
    if info.ty != sys::BPF_PROG_TYPE_SCHED_CLS {
        return Err(CniError::new(
            INVALID_CONFIG,
            format!(
                "{} is not a SCHED_CLS program (type {})",
                spec.describe(),
                info.ty
            ),
            "meta runs tc programs (SEC(\"tc\"))",
        ));
    }
    Ok(Prog { fd })
}

/// The directory of an attachment's link pins: PIN_DIR/CONTAINERID/IFNAME.
pub fn pin_dir(root: &Path, container_id: &str, ifname: &str) -> PathBuf {
    root.join(container_id).join(ifname)
}

/// The pin of the `n`th program of `end`: DIR/primary-0, DIR/peer-1, ...
pub fn pin_path(dir: &Path, end: End, n: usize) -> PathBuf {
    dir.join(format!("{}-{n}", end.name()))
}

/// Unpins an attachment's links (which releases them) and removes its directories; what is
/// missing already is fine. Returns the pins removed.
pub fn unpin_all(root: &Path, container_id: &str, ifname: &str) -> io::Result<usize> {
    let dir = pin_dir(root, container_id, ifname);
    let mut n = 0;
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for e in entries {
                std::fs::remove_file(e?.path())?;
                n += 1;
            }
            std::fs::remove_dir(&dir)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // The container's directory goes with its last attachment (the runtime runs no two
    // operations of one container at once, so nobody adds to it meanwhile).
    match std::fs::remove_dir(root.join(container_id)) {
        Err(e)
            if e.kind() != io::ErrorKind::NotFound && e.raw_os_error() != Some(libc::ENOTEMPTY) =>
        {
            Err(e)
        }
        _ => Ok(n),
    }
}

/// The endpoint map: a pinned hash map from a pod's address (IPv4 in 4 bytes or IPv6 in 16,
/// network order, as the map's key size says) to the ifindex of its primary (4 bytes, host
/// order), which the host-routing programs look up to redirect into the pod.
pub struct EndpointMap {
    map: MapHandle,
    pub path: PathBuf,
    key_size: u32,
}

impl EndpointMap {
    pub fn open(path: &Path) -> Res<EndpointMap> {
        let map = MapHandle::from_pinned_path(path).map_err(|e| {
            CniError::new(
                INVALID_CONFIG,
                format!("cannot open \"endpointMap\" {}", path.display()),
                format!("{e:#}"),
            )
        })?;
        let (ty, k, v) = (map.map_type(), map.key_size(), map.value_size());
        if !matches!(ty, MapType::Hash | MapType::LruHash) || !(k == 4 || k == 16) || v != 4 {
            return Err(CniError::new(
                INVALID_CONFIG,
                format!("\"endpointMap\" {} has the wrong shape", path.display()),
                format!(
                    "expected a hash map with 4-byte (IPv4) or 16-byte (IPv6) keys and 4-byte values, not {ty:?} with {k}-byte keys and {v}-byte values"
                ),
            ));
        }
        Ok(EndpointMap {
            map,
            path: path.to_owned(),
            key_size: k,
        })
    }

    /// The key of `ip`, when the map is of its family.
    fn key(&self, ip: &IpAddr) -> Option<Vec<u8>> {
        match (ip, self.key_size) {
            (IpAddr::V4(a), 4) => Some(a.octets().to_vec()),
            (IpAddr::V6(a), 16) => Some(a.octets().to_vec()),
            _ => None,
        }
    }

    pub fn covers(&self, ip: &IpAddr) -> bool {
        self.key(ip).is_some()
    }

    pub fn set(&self, ip: &IpAddr, ifindex: i32) -> Res {
        let Some(k) = self.key(ip) else { return Ok(()) };
        self.map
            .update(&k, &(ifindex as u32).to_ne_bytes(), MapFlags::ANY)
            .map_err(|e| {
                CniError::new(
                    BPF,
                    format!("cannot add {ip} to {}", self.path.display()),
                    format!("{e:#}"),
                )
            })
    }

    pub fn get(&self, ip: &IpAddr) -> Option<u32> {
        let k = self.key(ip)?;
        let v = self.map.lookup(&k, MapFlags::ANY).ok()??;
        Some(u32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
    }

    /// Removes the entry of `ip` if it still leads to `ifindex` (an entry of a newer pod
    /// with the same address stays).
    pub fn remove(&self, ip: &IpAddr, ifindex: Option<i32>) -> Res {
        let Some(k) = self.key(ip) else { return Ok(()) };
        match (self.get(ip), ifindex) {
            (None, _) => Ok(()),
            (Some(v), Some(i)) if v != i as u32 => Ok(()),
            _ => match self.map.delete(&k) {
                Err(e) if e.kind() != libbpf_rs::ErrorKind::NotFound => Err(CniError::new(
                    BPF,
                    format!("cannot remove {ip} from {}", self.path.display()),
                    format!("{e:#}"),
                )),
                _ => Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_and_names() {
        let d = pin_dir(Path::new("/sys/fs/bpf/meta-cni"), "c0ffee", "eth0");
        assert_eq!(d, Path::new("/sys/fs/bpf/meta-cni/c0ffee/eth0"));
        assert_eq!(
            pin_path(&d, End::Peer, 1),
            Path::new("/sys/fs/bpf/meta-cni/c0ffee/eth0/peer-1")
        );
        assert_eq!(
            pin_path(&d, End::Primary, 0).file_name().unwrap(),
            "primary-0"
        );
        assert_eq!(kernel_name("meta_redirect_neigh"), "meta_redirect_n");
        assert_eq!(kernel_name("meta_count"), "meta_count");
        assert_eq!(End::Primary.attach_type(), 54);
        assert_eq!(End::Peer.attach_type(), 55);
    }

    #[test]
    fn pinned_refuses_a_nul() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"/sys/fs/bpf/a\0b"));
        let e = pinned(p).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(e.to_string(), "NUL in path");
    }

    #[test]
    fn unpin_of_plain_directories() {
        // bpffs is not needed to test the walk: plain files stand in for pins.
        let root = std::env::temp_dir().join(format!("meta-cni-pins-{}", std::process::id()));
        let d = pin_dir(&root, "c1", "eth0");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::create_dir_all(pin_dir(&root, "c1", "eth1")).unwrap();
        for n in ["primary-0", "peer-0", "peer-1"] {
            std::fs::write(d.join(n), "").unwrap();
        }
        assert_eq!(unpin_all(&root, "c1", "eth0").unwrap(), 3);
        assert!(!d.exists());
        assert!(root.join("c1").exists(), "eth1 is still there");
        assert_eq!(unpin_all(&root, "c1", "eth1").unwrap(), 0);
        assert!(!root.join("c1").exists());
        // a second time, and for what never was
        assert_eq!(unpin_all(&root, "c1", "eth0").unwrap(), 0);
        assert_eq!(unpin_all(&root, "c9", "eth0").unwrap(), 0);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn object_programs() {
        let obj = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/bpf/count.bpf.o");
        if !obj.exists() {
            // built by "make samples"; scripts/check.sh builds them before the tests
            eprintln!("skipping: no {}", obj.display());
            return;
        }
        assert_eq!(object_prog_name(&obj, None).unwrap(), "meta_count");
        assert_eq!(object_prog_name(&obj, Some("tc")).unwrap(), "meta_count");
        assert_eq!(
            object_prog_name(&obj, Some("meta_count")).unwrap(),
            "meta_count"
        );
        let e = object_prog_name(&obj, Some("xdp")).unwrap_err();
        assert_eq!(e.code, INVALID_CONFIG);
        assert!(
            e.msg
                .ends_with("no BPF program in section or of name \"xdp\""),
            "{}",
            e.msg
        );
        let e = object_prog_name(Path::new("/nonexistent.bpf.o"), None).unwrap_err();
        assert_eq!(e.msg, "cannot open BPF object /nonexistent.bpf.o");
    }
}
