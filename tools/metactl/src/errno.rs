// SPDX-License-Identifier: GPL-2.0

//! The names of the errnos that Linux returns to metactl's requests (rtnetlink, bpf(2), the
//! system calls around them), for its messages and its JSON errors.

/// `ENOTSUPP`: the kernel's own "operation is not supported" (include/linux/errno.h), which
/// leaks to user space from bpf(2) and some drivers; libc has no name for it.
pub const ENOTSUPP: i32 = 524;

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        &[$((libc::$name, stringify!($name))),*]
    };
}

/// Number and name of every errno of the kernel's asm-generic/errno-base.h and errno.h
/// (1 to 133), in order. No aliases: 41 and 58 have none of their own (`EWOULDBLOCK` is
/// `EAGAIN`, `EDEADLOCK` is `EDEADLK`), and `ENOTSUP` is `EOPNOTSUPP`.
const NAMES: &[(i32, &str)] = errnos![
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    ENOEXEC,
    EBADF,
    ECHILD,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    ENOTBLK,
    EBUSY,
    EEXIST,
    EXDEV,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    ETXTBSY,
    EFBIG,
    ENOSPC,
    ESPIPE,
    EROFS,
    EMLINK,
    EPIPE,
    EDOM,
    ERANGE,
    EDEADLK,
    ENAMETOOLONG,
    ENOLCK,
    ENOSYS,
    ENOTEMPTY,
    ELOOP,
    ENOMSG,
    EIDRM,
    ECHRNG,
    EL2NSYNC,
    EL3HLT,
    EL3RST,
    ELNRNG,
    EUNATCH,
    ENOCSI,
    EL2HLT,
    EBADE,
    EBADR,
    EXFULL,
    ENOANO,
    EBADRQC,
    EBADSLT,
    EBFONT,
    ENOSTR,
    ENODATA,
    ETIME,
    ENOSR,
    ENONET,
    ENOPKG,
    EREMOTE,
    ENOLINK,
    EADV,
    ESRMNT,
    ECOMM,
    EPROTO,
    EMULTIHOP,
    EDOTDOT,
    EBADMSG,
    EOVERFLOW,
    ENOTUNIQ,
    EBADFD,
    EREMCHG,
    ELIBACC,
    ELIBBAD,
    ELIBSCN,
    ELIBMAX,
    ELIBEXEC,
    EILSEQ,
    ERESTART,
    ESTRPIPE,
    EUSERS,
    ENOTSOCK,
    EDESTADDRREQ,
    EMSGSIZE,
    EPROTOTYPE,
    ENOPROTOOPT,
    EPROTONOSUPPORT,
    ESOCKTNOSUPPORT,
    EOPNOTSUPP,
    EPFNOSUPPORT,
    EAFNOSUPPORT,
    EADDRINUSE,
    EADDRNOTAVAIL,
    ENETDOWN,
    ENETUNREACH,
    ENETRESET,
    ECONNABORTED,
    ECONNRESET,
    ENOBUFS,
    EISCONN,
    ENOTCONN,
    ESHUTDOWN,
    ETOOMANYREFS,
    ETIMEDOUT,
    ECONNREFUSED,
    EHOSTDOWN,
    EHOSTUNREACH,
    EALREADY,
    EINPROGRESS,
    ESTALE,
    EUCLEAN,
    ENOTNAM,
    ENAVAIL,
    EISNAM,
    EREMOTEIO,
    EDQUOT,
    ENOMEDIUM,
    EMEDIUMTYPE,
    ECANCELED,
    ENOKEY,
    EKEYEXPIRED,
    EKEYREVOKED,
    EKEYREJECTED,
    EOWNERDEAD,
    ENOTRECOVERABLE,
    ERFKILL,
    EHWPOISON,
];

/// The name of a positive errno ("EINVAL"), or None for a number the table does not know.
pub fn name(errno: i32) -> Option<&'static str> {
    if errno == ENOTSUPP {
        return Some("ENOTSUPP");
    }
    NAMES.iter().find(|(n, _)| *n == errno).map(|(_, s)| *s)
}

/// The name, or "errno N" for a number without one.
pub fn name_or_number(errno: i32) -> String {
    match name(errno) {
        Some(s) => s.to_owned(),
        None => format!("errno {errno}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names() {
        for (n, s) in [
            (1, "EPERM"),
            (2, "ENOENT"),
            (3, "ESRCH"),
            (9, "EBADF"),
            (11, "EAGAIN"),
            (13, "EACCES"),
            (16, "EBUSY"),
            (17, "EEXIST"),
            (19, "ENODEV"),
            (22, "EINVAL"),
            (28, "ENOSPC"),
            (34, "ERANGE"),
            (61, "ENODATA"),
            (75, "EOVERFLOW"),
            (90, "EMSGSIZE"),
            (95, "EOPNOTSUPP"),
            (99, "EADDRNOTAVAIL"),
            (105, "ENOBUFS"),
            (114, "EALREADY"),
            (116, "ESTALE"),
            (133, "EHWPOISON"),
            (524, "ENOTSUPP"),
        ] {
            assert_eq!(name(n), Some(s), "errno {n}");
        }
        assert_eq!(name(libc::EWOULDBLOCK), Some("EAGAIN"));
        assert_eq!(name(libc::ENOTSUP), Some("EOPNOTSUPP"));
    }

    #[test]
    fn unknown_numbers() {
        for n in [0, -22, 134, 512, 4003] {
            assert_eq!(name(n), None, "errno {n}");
        }
        assert_eq!(name_or_number(600), "errno 600");
        assert_eq!(name_or_number(libc::EINVAL), "EINVAL");
    }

    #[test]
    fn one_name_per_number() {
        for w in NAMES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].1, w[1].1);
        }
        for (n, s) in NAMES {
            assert!(s.starts_with('E'), "{s}");
            assert_eq!(name(*n), Some(*s));
        }
        // Every number from EPERM to EHWPOISON but the two aliases has its name.
        for n in 1..=libc::EHWPOISON {
            assert_eq!(name(n).is_none(), n == 41 || n == 58, "errno {n}");
        }
    }
}
