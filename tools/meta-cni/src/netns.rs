// SPDX-License-Identifier: GPL-2.0

//! The pod's network namespace: opened from `CNI_NETNS`, handed to the kernel as the peer's
//! `IFLA_NET_NS_FD`, and entered only for as long as it takes to open a netlink socket there
//! (a socket stays in the namespace it was created in).

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::MetadataExt;

use metactl::nl::Socket;

/// `NS_GET_NSTYPE`, `_IO(0xb7, 0x3)`: the type of a namespace file.
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

pub struct NetNs {
    file: File,
}

fn setns(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain syscall on a descriptor we own.
    if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl NetNs {
    /// Opens `path` and checks that it is a network namespace (a file that is not a
    /// namespace gets `EINVAL`).
    pub fn open(path: &str) -> io::Result<NetNs> {
        let file = File::open(path)?;
        // SAFETY: an ioctl without argument on our descriptor.
        let ty = unsafe { libc::ioctl(file.as_raw_fd(), NS_GET_NSTYPE) };
        if ty < 0 || ty != libc::CLONE_NEWNET {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a network namespace file",
            ));
        }
        Ok(NetNs { file })
    }

    pub fn fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// Whether this is the namespace the plugin runs in (the runtime's mistake: the pod
    /// would be the host).
    pub fn is_current(&self) -> io::Result<bool> {
        let a = self.file.metadata()?;
        let b = std::fs::metadata("/proc/self/ns/net")?;
        Ok(a.dev() == b.dev() && a.ino() == b.ino())
    }

    /// A netlink socket in this namespace: the thread enters it, opens the socket and goes
    /// back. The plugin is single-threaded; if going back fails it cannot go on safely.
    pub fn socket(&self) -> io::Result<Socket> {
        let home = File::open("/proc/thread-self/ns/net")?;
        setns(self.fd())?;
        let sock = Socket::open();
        if let Err(e) = setns(home.as_raw_fd()) {
            eprintln!("meta: cannot return to the plugin's network namespace: {e}");
            std::process::abort();
        }
        sock
    }
}
