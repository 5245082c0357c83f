// SPDX-License-Identifier: GPL-2.0

//! The ethtool statistics of a device (`ethtool -S`), through the `SIOCETHTOOL` ioctl.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GSTRINGS: u32 = 0x1b;
const ETHTOOL_GSTATS: u32 = 0x1d;
const ETHTOOL_GSSET_INFO: u32 = 0x37;
const ETH_SS_STATS: u32 = 1;
const ETH_GSTRING_LEN: usize = 32;

/// `struct ifreq` with `ifr_data`.
#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

struct Ethtool {
    sock: OwnedFd,
    name: [u8; libc::IFNAMSIZ],
}

impl Ethtool {
    fn new(ifname: &str) -> io::Result<Self> {
        let b = ifname.as_bytes();
        if b.is_empty() || b.len() >= libc::IFNAMSIZ {
            return Err(io::Error::from_raw_os_error(libc::ENODEV));
        }
        let mut name = [0u8; libc::IFNAMSIZ];
        name[..b.len()].copy_from_slice(b);
        // SAFETY: plain syscall; the fd is owned below.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor nobody else owns.
        let sock = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Ethtool { sock, name })
    }

    /// Runs one ethtool command; `buf` starts with the command word, 8-byte aligned.
    fn ioctl(&self, buf: &mut [u64]) -> io::Result<()> {
        let mut ifr = IfReq {
            name: self.name,
            data: buf.as_mut_ptr() as *mut libc::c_void,
            _pad: [0; 16],
        };
        // SAFETY: `ifr` points to `buf`, which is large enough for the command it holds.
        let r = unsafe {
            libc::ioctl(
                self.sock.as_raw_fd(),
                SIOCETHTOOL as _,
                &mut ifr as *mut IfReq,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

fn set_u32(buf: &mut [u64], idx: usize, v: u32) {
    let w = &mut buf[idx / 2];
    let mut b = w.to_ne_bytes();
    b[(idx % 2) * 4..(idx % 2) * 4 + 4].copy_from_slice(&v.to_ne_bytes());
    *w = u64::from_ne_bytes(b);
}

fn get_u32(buf: &[u64], idx: usize) -> u32 {
    let b = buf[idx / 2].to_ne_bytes();
    u32::from_ne_bytes(b[(idx % 2) * 4..(idx % 2) * 4 + 4].try_into().unwrap())
}

fn as_bytes(buf: &[u64]) -> Vec<u8> {
    buf.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// The statistics of `ifname` (in this network namespace), in the driver's order.
pub fn stats(ifname: &str) -> io::Result<Vec<(String, u64)>> {
    let et = Ethtool::new(ifname)?;

    // struct ethtool_sset_info { u32 cmd; u32 reserved; u64 sset_mask; u32 data[1]; }
    let mut info = [0u64; 3];
    set_u32(&mut info, 0, ETHTOOL_GSSET_INFO);
    info[1] = 1 << ETH_SS_STATS;
    et.ioctl(&mut info)?;
    if info[1] & (1 << ETH_SS_STATS) == 0 {
        return Ok(Vec::new());
    }
    let n = get_u32(&info, 4) as usize;
    if n == 0 {
        return Ok(Vec::new());
    }

    // struct ethtool_gstrings { u32 cmd; u32 string_set; u32 len; u8 data[]; }
    let mut strings = vec![0u64; (12 + n * ETH_GSTRING_LEN).div_ceil(8)];
    set_u32(&mut strings, 0, ETHTOOL_GSTRINGS);
    set_u32(&mut strings, 1, ETH_SS_STATS);
    set_u32(&mut strings, 2, n as u32);
    et.ioctl(&mut strings)?;
    let n_strings = (get_u32(&strings, 2) as usize).min(n);
    let sbytes = as_bytes(&strings);

    // struct ethtool_stats { u32 cmd; u32 n_stats; u64 data[]; }
    let mut st = vec![0u64; 1 + n];
    set_u32(&mut st, 0, ETHTOOL_GSTATS);
    set_u32(&mut st, 1, n as u32);
    et.ioctl(&mut st)?;
    let n_stats = (get_u32(&st, 1) as usize).min(n);

    Ok((0..n_strings.min(n_stats))
        .map(|i| {
            let s = &sbytes[12 + i * ETH_GSTRING_LEN..12 + (i + 1) * ETH_GSTRING_LEN];
            (crate::nl::get_str(s), st[1 + i])
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u32_words() {
        let mut b = [0u64; 2];
        set_u32(&mut b, 0, 1);
        set_u32(&mut b, 1, 2);
        set_u32(&mut b, 2, 3);
        assert_eq!(get_u32(&b, 0), 1);
        assert_eq!(get_u32(&b, 1), 2);
        assert_eq!(get_u32(&b, 2), 3);
        assert_eq!(
            &as_bytes(&b)[0..12],
            &[1u32.to_ne_bytes(), 2u32.to_ne_bytes(), 3u32.to_ne_bytes()].concat()[..]
        );
    }

    #[test]
    fn loopback_has_no_stats() {
        // lo has no ethtool statistics: either an empty list or EOPNOTSUPP.
        match stats("lo") {
            Ok(v) => assert!(v.is_empty()),
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EOPNOTSUPP)),
        }
    }
}
