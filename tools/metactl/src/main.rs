// SPDX-License-Identifier: GPL-2.0

//! metactl: create, change, inspect and delete meta devices (BPF-programmable device pairs).

mod errno;
mod ethtool;

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use metactl::{bpf, nl, uapi};
use serde_json::{json, Value};

use nl::{Link, Msg, Socket};
use uapi::*;

/// Exit status 1: the kernel (a netlink request or a system call) refused, with an errno.
const EXIT_REFUSED: u8 = 1;
/// Exit status 2: a usage error (clap's own status for its errors).
const EXIT_USAGE: u8 = 2;
/// Exit status 3: any other failure.
const EXIT_FAILED: u8 = 3;

const AFTER_HELP: &str = "\
Exit status:
  0  success
  1  the kernel refused (a netlink request or a system call); stderr names the errno:
       metactl: EINVAL (errno 22, Invalid argument): <the kernel's extended ack message>
  2  usage error
  3  any other failure (an object file that libbpf cannot open, no such program in it,
     a pin that is not a program, several programs on an end and none named, ...)

With --json-errors a failure also prints one line on stdout:
  {\"error\":{\"errno\":22,\"name\":\"EINVAL\",\"message\":\"...\"}}
errno and name are null unless the exit status is 1 (name null for a number without one),
message is null for a refusal without a message.";

#[derive(Parser)]
#[command(
    name = "metactl",
    version,
    about = "Control meta devices (BPF-programmable device pairs)",
    after_help = AFTER_HELP
)]
struct Cli {
    /// On failure, also print the error as one line of JSON on stdout
    #[arg(long, global = true)]
    json_errors: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a meta pair
    Add(AddArgs),
    /// Delete a meta pair (either end)
    Del {
        /// Device name
        name: String,
    },
    /// Change the policies (through the primary)
    Set {
        /// Device name (the primary)
        name: String,
        /// Verdict of the primary when it has no program
        #[arg(long)]
        policy: Option<Policy>,
        /// Verdict of the peer when it has no program
        #[arg(long)]
        peer_policy: Option<Policy>,
    },
    /// Attach a SCHED_CLS program to one end, through the primary, with netkit's API
    /// (BPF_PROG_ATTACH, or BPF_LINK_CREATE with --link)
    Attach(AttachArgs),
    /// Detach a program from one end (through the primary), or a link
    Detach(DetachArgs),
    /// Show meta devices
    Show {
        /// Only this device
        name: Option<String>,
        /// JSON output
        #[arg(long)]
        json: bool,
    },
    /// Show a link: pinned at PIN, or with --id
    Link {
        /// Where the link is pinned
        #[arg(required_unless_present = "id", conflicts_with = "id")]
        pin: Option<PathBuf>,
        /// The link's id
        #[arg(long)]
        id: Option<u32>,
    },
    /// Send a raw RTM_NEWLINK of kind meta (for tests of bad input)
    Raw(RawArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    L3,
    L2,
}

#[derive(Clone, Copy, ValueEnum)]
enum Policy {
    Pass,
    Drop,
}

#[derive(Clone, Copy, ValueEnum)]
enum Scrub {
    Default,
    None,
}

impl Mode {
    fn value(self) -> u32 {
        match self {
            Mode::L2 => META_L2,
            Mode::L3 => META_L3,
        }
    }
}

impl Policy {
    fn value(self) -> u32 {
        match self {
            Policy::Pass => META_PASS as u32,
            Policy::Drop => META_DROP as u32,
        }
    }
}

impl Scrub {
    fn value(self) -> u32 {
        match self {
            Scrub::Default => META_SCRUB_DEFAULT,
            Scrub::None => META_SCRUB_NONE,
        }
    }
}

#[derive(Args)]
struct AddArgs {
    /// Name of the primary (default: chosen by the kernel)
    name: Option<String>,
    /// Name of the peer
    #[arg(long, value_name = "NAME")]
    peer_name: Option<String>,
    /// Network namespace of the peer (/run/netns/NSNAME)
    #[arg(long, value_name = "NSNAME")]
    peer_netns: Option<String>,
    #[arg(long)]
    mode: Option<Mode>,
    /// Verdict of the primary when it has no program
    #[arg(long)]
    policy: Option<Policy>,
    /// Verdict of the peer when it has no program
    #[arg(long)]
    peer_policy: Option<Policy>,
    #[arg(long)]
    scrub: Option<Scrub>,
    #[arg(long)]
    peer_scrub: Option<Scrub>,
    #[arg(long, value_name = "N")]
    headroom: Option<u16>,
    #[arg(long, value_name = "N")]
    tailroom: Option<u16>,
    /// Program of the primary: the first program of OBJ, or the one in section SEC
    #[arg(long, value_name = "OBJ[:SEC]", conflicts_with = "prog_pinned")]
    prog: Option<String>,
    /// Program of the primary: a pinned program
    #[arg(long, value_name = "PATH")]
    prog_pinned: Option<PathBuf>,
    /// Program of the peer: the first program of OBJ, or the one in section SEC
    #[arg(long, value_name = "OBJ[:SEC]", conflicts_with = "peer_prog_pinned")]
    peer_prog: Option<String>,
    /// Program of the peer: a pinned program
    #[arg(long, value_name = "PATH")]
    peer_prog_pinned: Option<PathBuf>,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct End {
    /// The primary's program
    #[arg(long)]
    primary: bool,
    /// The peer's program
    #[arg(long)]
    peer: bool,
}

impl End {
    fn end(&self) -> bpf::End {
        if self.peer {
            bpf::End::Peer
        } else {
            bpf::End::Primary
        }
    }
}

/// Where the program goes in the end's array; without any of these, it replaces the end's
/// only program attached without a link (or is appended if there is none).
#[derive(Args)]
#[group(multiple = false)]
struct PlaceArgs {
    /// Add at the end of the array, replacing nothing
    #[arg(long)]
    append: bool,
    /// Insert before the program with this id
    #[arg(long, value_name = "PROG_ID")]
    before: Option<u32>,
    /// Insert after the program with this id
    #[arg(long, value_name = "PROG_ID")]
    after: Option<u32>,
    /// Replace the program with this id, in one step
    #[arg(long, value_name = "PROG_ID")]
    replace: Option<u32>,
}

impl PlaceArgs {
    fn place(&self) -> Option<bpf::Place> {
        match (self.append, self.before, self.after, self.replace) {
            (true, ..) => Some(bpf::Place::Append),
            (_, Some(id), ..) => Some(bpf::Place::Before(id)),
            (_, _, Some(id), _) => Some(bpf::Place::After(id)),
            (.., Some(id)) => Some(bpf::Place::Replace(id)),
            _ => None,
        }
    }
}

#[derive(Args)]
struct DetachArgs {
    /// Device name (the primary); not with --link or --link-id
    #[arg(required_unless_present_any = ["link", "link_id"])]
    name: Option<String>,
    /// The end: with a device name
    #[arg(long, requires = "name", conflicts_with = "peer")]
    primary: bool,
    #[arg(long, requires = "name")]
    peer: bool,
    /// The program to detach (default: the end's only program attached without a link, if
    /// there is one; with none, there is nothing to do)
    #[arg(long, value_name = "PROG_ID", requires = "name")]
    id: Option<u32>,
    /// Detach the link pinned here (and remove the pin)
    #[arg(long, value_name = "PIN", conflicts_with_all = ["name", "link_id"])]
    link: Option<PathBuf>,
    /// Detach the link with this id
    #[arg(long, value_name = "LINK_ID", conflicts_with = "name")]
    link_id: Option<u32>,
}

#[derive(Args)]
struct AttachArgs {
    /// Device name (the primary)
    name: String,
    #[command(flatten)]
    end: End,
    /// BPF ELF object
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "pinned",
        conflicts_with = "pinned"
    )]
    obj: Option<PathBuf>,
    /// Section of the program in the object (default: the first program)
    #[arg(
        long,
        value_name = "SECTION",
        requires = "obj",
        conflicts_with = "pinned"
    )]
    sec: Option<String>,
    /// A pinned program; given more than once, the programs are attached in turn
    #[arg(long, value_name = "PATH")]
    pinned: Vec<PathBuf>,
    /// Attach the programs of --pinned in turn N times over, each replacing the one before
    /// in one step (one process for many replacements, e.g. under an emulator where a
    /// process start is slow)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        conflicts_with_all = ["obj", "link"],
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    repeat: u32,
    /// Attach through a link (BPF_LINK_CREATE) and pin it here; it stays attached until the
    /// pin is removed with "metactl detach --link" (or the device goes away)
    #[arg(long, value_name = "PIN", conflicts_with = "replace")]
    link: Option<PathBuf>,
    #[command(flatten)]
    place: PlaceArgs,
    /// Fail with ESTALE unless the end's array is at this revision (as "metactl show"
    /// prints it); by default metactl reads the revision and retries if it changes
    #[arg(long, value_name = "N")]
    revision: Option<u64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum RawOp {
    New,
    Change,
}

#[derive(Args)]
struct RawArgs {
    op: RawOp,
    /// Device name (new: IFLA_IFNAME; change: the existing device)
    #[arg(long)]
    name: Option<String>,
    /// A top-level IFLA_* attribute: TYPE (number) = payload in hex (may be empty)
    #[arg(long, value_name = "TYPE=HEX", value_parser = parse_raw_attr)]
    link_attr: Vec<(u16, Vec<u8>)>,
    /// An attribute inside IFLA_INFO_DATA: TYPE (number) = payload in hex (may be empty)
    #[arg(long, value_name = "TYPE=HEX", value_parser = parse_raw_attr)]
    data: Vec<(u16, Vec<u8>)>,
    /// Omit IFLA_INFO_DATA
    #[arg(long, conflicts_with_all = ["data", "peer_info"])]
    no_data: bool,
    /// An IFLA_META_PEER_INFO attribute with this payload (hex)
    #[arg(long, value_name = "HEX", value_parser = parse_hex_arg)]
    peer_info: Option<Hex>,
    /// Raw bytes appended inside IFLA_INFO_DATA after its attributes (hex; for tests of
    /// trailing bytes)
    #[arg(long, value_name = "HEX", value_parser = parse_hex_arg, conflicts_with = "no_data")]
    data_tail: Option<Hex>,
    /// Another attribute inside IFLA_LINKINFO, after IFLA_INFO_KIND and IFLA_INFO_DATA:
    /// TYPE (number) = payload in hex (e.g. 5, IFLA_INFO_SLAVE_DATA)
    #[arg(long, value_name = "TYPE=HEX", value_parser = parse_raw_attr)]
    info_attr: Vec<(u16, Vec<u8>)>,
    /// Ask for the device up in the request's struct ifinfomsg (ifi_flags and ifi_change
    /// IFF_UP), as "ip link set DEV up type meta ..." does
    #[arg(long, conflicts_with = "down")]
    up: bool,
    /// Ask for the device down in the request's struct ifinfomsg
    #[arg(long)]
    down: bool,
}

/// Raw payload bytes given in hex.
#[derive(Clone)]
struct Hex(Vec<u8>);

fn parse_hex_arg(s: &str) -> Result<Hex, String> {
    parse_hex(s).map(Hex)
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    let digits: Vec<u8> = s
        .bytes()
        .filter(|c| !matches!(c, b' ' | b':' | b'_'))
        .collect();
    if digits.len() & 1 == 1 {
        return Err("odd number of hex digits".into());
    }
    digits
        .chunks(2)
        .map(|p| {
            let p = std::str::from_utf8(p).map_err(|e| e.to_string())?;
            u8::from_str_radix(p, 16).map_err(|_| format!("bad hex byte '{p}'"))
        })
        .collect()
}

fn parse_num_u16(s: &str) -> Result<u16, String> {
    let r = match s.strip_prefix("0x") {
        Some(h) => u16::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| format!("bad attribute type '{s}' (a number up to 65535)"))
}

fn parse_raw_attr(s: &str) -> Result<(u16, Vec<u8>), String> {
    let (t, h) = s.split_once('=').ok_or("expected TYPE=HEX")?;
    Ok((parse_num_u16(t)?, parse_hex(h)?))
}

/// Why metactl failed; each kind has its exit status.
#[derive(Debug, PartialEq)]
enum Failure {
    /// The kernel refused a netlink request or a system call: positive errno and the
    /// extended ack message, or metactl's words on what was refused (exit status 1).
    Errno(i32, Option<String>),
    /// A usage error that clap cannot see (exit status 2, as clap's own).
    Usage(String),
    /// Anything else (exit status 3).
    Other(String),
}

impl Failure {
    fn exit_status(&self) -> u8 {
        match self {
            Failure::Errno(..) => EXIT_REFUSED,
            Failure::Usage(_) => EXIT_USAGE,
            Failure::Other(_) => EXIT_FAILED,
        }
    }

    /// The line on stderr, after "metactl: ": `EINVAL (errno 22, Invalid argument): MSG`.
    fn text(&self) -> String {
        match self {
            Failure::Errno(n, msg) => {
                let head = format!(
                    "{} (errno {n}, {})",
                    errno::name_or_number(*n),
                    strerror(*n)
                );
                match msg {
                    Some(m) => format!("{head}: {m}"),
                    None => head,
                }
            }
            Failure::Usage(m) | Failure::Other(m) => m.clone(),
        }
    }

    /// The line on stdout with --json-errors.
    fn json(&self) -> Value {
        let (n, msg) = match self {
            Failure::Errno(n, msg) => (Some(*n), msg.as_deref()),
            Failure::Usage(m) | Failure::Other(m) => (None, Some(m.as_str())),
        };
        json!({"error": {"errno": n, "name": n.and_then(errno::name), "message": msg}})
    }
}

impl From<nl::Error> for Failure {
    fn from(e: nl::Error) -> Self {
        match e {
            nl::Error::Kernel(ack) => Failure::Errno(ack.errno, ack.msg),
            nl::Error::Io(e) => e.into(),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        match e.raw_os_error() {
            Some(n) => Failure::Errno(n, None),
            None => Failure::Other(e.to_string()),
        }
    }
}

fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a valid NUL-terminated string (we are single-threaded).
    let s = unsafe { std::ffi::CStr::from_ptr(libc::strerror(errno)) };
    s.to_string_lossy().into_owned()
}

/// libbpf's own error codes start here (`__LIBBPF_ERRNO__START` in libbpf.h): they are no
/// errno of the kernel's.
const LIBBPF_ERRNO_START: i32 = 4000;

/// The errno in a libbpf-rs error, if there is one: libbpf-rs keeps libbpf's negative
/// return as a `std::io::Error`, which only its text shows ("... (os error 13)").
fn libbpf_errno(e: &libbpf_rs::Error) -> Option<i32> {
    let text = format!("{e:#}");
    let (_, tail) = text.rsplit_once("(os error ")?;
    let n: i32 = tail.split_once(')')?.0.parse().ok()?;
    (n > 0).then_some(n)
}

/// libbpf's text for one of its own error codes (or an errno).
fn libbpf_strerror(err: i32) -> String {
    let mut buf = [0 as std::ffi::c_char; 128];
    // SAFETY: `buf` is valid for its length; libbpf NUL-terminates what it writes.
    unsafe { libbpf_rs::libbpf_sys::libbpf_strerror(err, buf.as_mut_ptr(), buf.len() as _) };
    // SAFETY: NUL-terminated within `buf` (zeroed, and libbpf writes at most its length).
    let s = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    s.to_string_lossy().into_owned()
}

/// A failure of libbpf `doing` something with `what`. When libbpf-rs carries an errno of
/// the kernel's and the step is the `kernel`'s (a system call), it is a refusal with that
/// errno; otherwise a failure without errno that says why.
fn libbpf_failure(e: libbpf_rs::Error, what: &Path, doing: &str, kernel: bool) -> Failure {
    let head = format!("{}: {doing}", what.display());
    match libbpf_errno(&e) {
        Some(n) if n < LIBBPF_ERRNO_START && kernel => Failure::Errno(n, Some(head)),
        Some(n) if n < LIBBPF_ERRNO_START => Failure::Other(format!("{head}: {}", strerror(n))),
        Some(n) => Failure::Other(format!("{head}: libbpf: {}", libbpf_strerror(n))),
        None => Failure::Other(format!("{head}: {e:#}")),
    }
}

type Res<T = ()> = Result<T, Failure>;

/// A BPF program fd, with what keeps it alive.
struct ProgFd(OwnedFd);

/// Loads `OBJ[:SEC]`: `spec` is a path, or a path and a section after the last ':' when the
/// whole string is not an existing file.
fn load_prog_spec(spec: &str) -> Res<ProgFd> {
    if Path::new(spec).exists() {
        return load_prog(Path::new(spec), None);
    }
    match spec.rsplit_once(':') {
        Some((obj, sec)) if !obj.is_empty() => load_prog(Path::new(obj), Some(sec)),
        _ => load_prog(Path::new(spec), None),
    }
}

/// Loads the program in section `sec` of `obj` (the first program when `sec` is None) as
/// SCHED_CLS, and only that one.
fn load_prog(obj: &Path, sec: Option<&str>) -> Res<ProgFd> {
    use libbpf_rs::{ObjectBuilder, ProgramType};
    // Opening reads and parses the file: a failure is the file's (exit status 3), whatever
    // the errno.
    let mut open = ObjectBuilder::default()
        .open_file(obj)
        .map_err(|e| libbpf_failure(e, obj, "cannot open the object", false))?;
    let pick = {
        let progs: Vec<_> = open.progs().collect();
        let found = match sec {
            None => progs.first(),
            Some(s) => progs
                .iter()
                .find(|p| p.section() == s)
                .or_else(|| progs.iter().find(|p| p.name() == s)),
        };
        match found {
            Some(p) => p.name().to_owned(),
            None => {
                return Err(Failure::Other(match sec {
                    None => format!("{}: no BPF program in the object", obj.display()),
                    Some(s) => format!("{}: no BPF program in section '{s}'", obj.display()),
                }))
            }
        }
    };
    for mut p in open.progs_mut() {
        if p.name() == pick.as_os_str() {
            p.set_prog_type(ProgramType::SchedCls);
        } else {
            p.set_autoload(false);
        }
    }
    // The load creates the maps and programs: the kernel's answer (the verifier's log, if
    // any, is on stderr from libbpf).
    let loaded = open
        .load()
        .map_err(|e| libbpf_failure(e, obj, "cannot load the object", true))?;
    let prog = loaded
        .progs()
        .find(|p| p.name() == pick.as_os_str())
        .ok_or_else(|| Failure::Other(format!("{}: program vanished after load", obj.display())))?;
    // A duplicate outlives the object; the kernel takes its own reference on attach.
    let fd = prog.as_fd().try_clone_to_owned()?;
    Ok(ProgFd(fd))
}

/// The program pinned at `path`: BPF_OBJ_GET's errno, or a failure (exit status 3) when the
/// pin is not a program.
fn pinned_prog(path: &Path) -> Res<ProgFd> {
    libbpf_rs::Program::fd_from_pinned_path(path)
        .map(ProgFd)
        .map_err(|e| libbpf_failure(e, path, "cannot open the pinned program", true))
}

fn ifindex(name: &str) -> Res<i32> {
    let c = std::ffi::CString::new(name).map_err(|_| Failure::Errno(libc::ENODEV, None))?;
    // SAFETY: `c` is a valid NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if i == 0 {
        let e = std::io::Error::last_os_error();
        return Err(Failure::Errno(
            e.raw_os_error().unwrap_or(libc::ENODEV),
            None,
        ));
    }
    Ok(i as i32)
}

/// Sends a request that expects only an ack; prints a warning the kernel attached to it.
fn request(msg: &Msg) -> Res {
    let mut sock = Socket::open()?;
    let (_, ack) = sock.transact(msg)?;
    if let Some(w) = ack.msg {
        eprintln!("metactl: warning: {w}");
    }
    Ok(())
}

/// Opens `IFLA_LINKINFO` with kind "meta" and `IFLA_INFO_DATA`; returns both nests.
fn start_meta_data(m: &mut Msg) -> (nl::Nest, nl::Nest) {
    let li = m.nest_start(nl::IFLA_LINKINFO);
    m.attr_str(nl::IFLA_INFO_KIND, "meta");
    let data = m.nest_start(nl::IFLA_INFO_DATA);
    (li, data)
}

fn end_meta_data(m: &mut Msg, (li, data): (nl::Nest, nl::Nest)) {
    m.nest_end(data);
    m.nest_end(li);
}

/// The `IFLA_META_PEER_INFO` payload: an all-zero ifinfomsg, the name and the netns fd.
fn peer_info(name: Option<&str>, netns_fd: Option<i32>) -> Vec<u8> {
    let mut m = Msg::new(0, 0);
    m.put_raw(&nl::ifinfomsg(0));
    if let Some(n) = name {
        m.attr_str(nl::IFLA_IFNAME, n);
    }
    if let Some(fd) = netns_fd {
        m.attr_u32(nl::IFLA_NET_NS_FD, fd as u32);
    }
    m.finish(0)[nl::NLMSG_HDRLEN..].to_vec()
}

fn add_msg(a: &AddArgs, netns_fd: Option<i32>) -> Msg {
    let mut m = Msg::link(
        nl::RTM_NEWLINK,
        nl::NLM_F_REQUEST | nl::NLM_F_CREATE | nl::NLM_F_EXCL,
        0,
    );
    if let Some(n) = &a.name {
        m.attr_str(nl::IFLA_IFNAME, n);
    }
    let nests = start_meta_data(&mut m);
    if a.peer_name.is_some() || netns_fd.is_some() {
        m.attr(
            IFLA_META_PEER_INFO,
            &peer_info(a.peer_name.as_deref(), netns_fd),
        );
    }
    if let Some(v) = a.mode {
        m.attr_u32(IFLA_META_MODE, v.value());
    }
    if let Some(v) = a.policy {
        m.attr_u32(IFLA_META_POLICY, v.value());
    }
    if let Some(v) = a.peer_policy {
        m.attr_u32(IFLA_META_PEER_POLICY, v.value());
    }
    if let Some(v) = a.scrub {
        m.attr_u32(IFLA_META_SCRUB, v.value());
    }
    if let Some(v) = a.peer_scrub {
        m.attr_u32(IFLA_META_PEER_SCRUB, v.value());
    }
    if let Some(v) = a.headroom {
        m.attr_u16(IFLA_META_HEADROOM, v);
    }
    if let Some(v) = a.tailroom {
        m.attr_u16(IFLA_META_TAILROOM, v);
    }
    end_meta_data(&mut m, nests);
    m
}

fn cmd_add(a: &AddArgs) -> Res {
    let netns = match &a.peer_netns {
        Some(ns) => {
            let path = Path::new("/run/netns").join(ns);
            let f = File::open(&path).map_err(|e| match e.raw_os_error() {
                Some(n) => Failure::Errno(n, Some(path.display().to_string())),
                None => Failure::Other(format!("{}: {e}", path.display())),
            })?;
            Some(f)
        }
        None => None,
    };
    let prog = match (&a.prog, &a.prog_pinned) {
        (Some(s), _) => Some(load_prog_spec(s)?),
        (None, Some(p)) => Some(pinned_prog(p)?),
        _ => None,
    };
    let peer_prog = match (&a.peer_prog, &a.peer_prog_pinned) {
        (Some(s), _) => Some(load_prog_spec(s)?),
        (None, Some(p)) => Some(pinned_prog(p)?),
        _ => None,
    };
    if (prog.is_some() || peer_prog.is_some()) && a.name.is_none() {
        return Err(Failure::Usage(
            "add: programs at creation need the primary's name".into(),
        ));
    }
    request(&add_msg(a, netns.as_ref().map(|f| f.as_raw_fd())))?;
    // The pair exists; the programs attach through bpf(2) as on netkit. If that fails the
    // pair goes again, so that a failed "add" leaves nothing.
    let attached = (|| {
        let Some(name) = &a.name else { return Ok(()) };
        let idx = ifindex(name)?;
        for (p, end) in [(&prog, bpf::End::Primary), (&peer_prog, bpf::End::Peer)] {
            if let Some(p) = p {
                bpf::prog_attach(p.0.as_raw_fd(), idx, end, bpf::Place::Append, 0)
                    .map_err(|e| attach_failure(e, end))?;
            }
        }
        Ok(())
    })();
    if let (Err(_), Some(name)) = (&attached, &a.name) {
        let _ = cmd_del(name);
    }
    attached
}

fn cmd_del(name: &str) -> Res {
    let mut m = Msg::link(nl::RTM_DELLINK, nl::NLM_F_REQUEST, 0);
    m.attr_str(nl::IFLA_IFNAME, name);
    request(&m)
}

/// A changelink of `ifindex` with the meta data attributes that `fill` adds.
fn change_msg(ifindex: i32, fill: impl FnOnce(&mut Msg)) -> Msg {
    let mut m = Msg::link(nl::RTM_NEWLINK, nl::NLM_F_REQUEST, ifindex);
    let nests = start_meta_data(&mut m);
    fill(&mut m);
    end_meta_data(&mut m, nests);
    m
}

fn cmd_set(name: &str, policy: Option<Policy>, peer_policy: Option<Policy>) -> Res {
    let m = change_msg(ifindex(name)?, |m| {
        if let Some(p) = policy {
            m.attr_u32(IFLA_META_POLICY, p.value());
        }
        if let Some(p) = peer_policy {
            m.attr_u32(IFLA_META_PEER_POLICY, p.value());
        }
    });
    request(&m)
}

/// The programs of an attach command: the one loaded from the object, or the pinned ones.
fn attach_progs(a: &AttachArgs) -> Res<Vec<ProgFd>> {
    match &a.obj {
        Some(obj) => Ok(vec![load_prog(obj, a.sec.as_deref())?]),
        None => a.pinned.iter().map(|p| pinned_prog(p)).collect(),
    }
}

/// What an errno of netkit's attach code means for a meta device, in its order of checks.
fn attach_failure(e: bpf::Errno, end: bpf::End) -> Failure {
    let why = match e.0 {
        libc::ENODEV if end == bpf::End::Peer => "no such device, or the primary has no peer",
        libc::ENODEV => "no such device",
        libc::ENXIO => "not a meta (or netkit) device",
        libc::EACCES => "programs attach through the primary, in its namespace",
        libc::EEXIST => "the program is attached to this end already",
        libc::ESTALE => "the end's programs changed meanwhile (revision mismatch)",
        libc::ENOENT => "no such program on this end",
        libc::ERANGE => "no such position, or the array is full",
        libc::EPERM => "not permitted (CAP_NET_ADMIN, CAP_BPF)",
        _ => return Failure::Errno(e.0, None),
    };
    Failure::Errno(e.0, Some(why.into()))
}

/// The id of the program behind `fd`.
fn prog_id(fd: &ProgFd) -> Res<u32> {
    let mut i = libbpf_rs::libbpf_sys::bpf_prog_info::default();
    let mut len = std::mem::size_of_val(&i) as u32;
    // SAFETY: `i` is valid for `len` bytes and the fd open.
    let rc = unsafe {
        libbpf_rs::libbpf_sys::bpf_prog_get_info_by_fd(fd.0.as_raw_fd(), &mut i, &mut len)
    };
    if rc < 0 {
        return Err(Failure::Errno(-rc, None));
    }
    Ok(i.id)
}

/// Where `prog` goes by default: instead of the end's only program without a link, or at the
/// end if there is none; `None` if it is that program already.
fn default_place(q: &bpf::Query, id: u32, end: bpf::End) -> Res<Option<bpf::Place>> {
    let direct = q.direct();
    match direct.as_slice() {
        [] => Ok(Some(bpf::Place::Append)),
        [old] if *old == id => Ok(None),
        [old] => Ok(Some(bpf::Place::Replace(*old))),
        _ => Err(Failure::Other(format!(
            "the {} has {} programs attached without a link: name one with --replace, or --append",
            end.name(),
            direct.len()
        ))),
    }
}

/// How often an attach or detach is retried when the array changed between the query and
/// the change (another loader at work).
const STALE_RETRIES: u32 = 100;

fn attach_one(a: &AttachArgs, idx: i32, prog: &ProgFd) -> Res {
    let end = a.end.end();
    let fd = prog.0.as_raw_fd();
    let fail = |e| attach_failure(e, end);
    if let Some(pin) = &a.link {
        let place = a.place.place().unwrap_or(bpf::Place::Append);
        let link = bpf::link_create(fd, idx, end, place, a.revision.unwrap_or(0)).map_err(fail)?;
        return bpf::pin(link.as_raw_fd(), pin).map_err(|e| {
            Failure::Errno(
                e.0,
                Some(format!("cannot pin the link at {}", pin.display())),
            )
        });
    }
    if let Some(r) = a.revision {
        let place = match a.place.place() {
            Some(p) => p,
            None => {
                let q = bpf::query(idx, end).map_err(fail)?;
                match default_place(&q, prog_id(prog)?, end)? {
                    Some(p) => p,
                    None => return Ok(()),
                }
            }
        };
        return bpf::prog_attach(fd, idx, end, place, r).map_err(fail);
    }
    let id = prog_id(prog)?;
    for _ in 0..STALE_RETRIES {
        let q = bpf::query(idx, end).map_err(fail)?;
        let place = match a.place.place() {
            Some(p) => p,
            None => match default_place(&q, id, end)? {
                Some(p) => p,
                None => return Ok(()),
            },
        };
        // As on netkit, the query of an empty array reports revision 1 while the array's
        // own counter goes on: expect a revision only of an array that has programs.
        let revision = if q.entries.is_empty() { 0 } else { q.revision };
        match bpf::prog_attach(fd, idx, end, place, revision) {
            Err(bpf::Errno(libc::ESTALE)) => continue,
            // Another loader attached the same program meanwhile: look again.
            Err(bpf::Errno(libc::EEXIST)) if a.place.place().is_none() => continue,
            r => return r.map_err(fail),
        }
    }
    Err(fail(bpf::Errno(libc::ESTALE)))
}

fn cmd_attach(a: &AttachArgs) -> Res {
    let idx = ifindex(&a.name)?;
    let progs = attach_progs(a)?;
    let [first, rest @ ..] = progs.as_slice() else {
        return Err(Failure::Usage("attach: no program".into()));
    };
    attach_one(a, idx, first)?;
    if rest.is_empty() && a.repeat == 1 {
        return Ok(());
    }
    // In turn, each replacing the one before in one step: the end is never without one.
    let end = a.end.end();
    let total = progs.len() as u64 * u64::from(a.repeat);
    let order = progs.iter().cycle().take(total as usize);
    for (n, (old, new)) in order.clone().zip(order.skip(1)).enumerate() {
        if let Err(e) = bpf::prog_replace_fd(new.0.as_raw_fd(), old.0.as_raw_fd(), idx, end) {
            eprintln!("metactl: attach {} of {total} failed", n + 2);
            return Err(attach_failure(e, end));
        }
    }
    Ok(())
}

/// Prints a link as JSON: its ids, type, device and end (ifindex 0: orphaned).
fn cmd_link(pin: Option<&Path>, id: Option<u32>) -> Res {
    let fd = match (pin, id) {
        (Some(p), _) => bpf::pinned(p)
            .map_err(|e| Failure::Errno(e.0, Some(format!("no link pinned at {}", p.display()))))?,
        (None, Some(id)) => bpf::link_fd_by_id(id)
            .map_err(|e| Failure::Errno(e.0, Some(format!("no link with id {id}"))))?,
        (None, None) => return Err(Failure::Usage("link: give a pin or --id".into())),
    };
    let i = bpf::link_info(fd.as_raw_fd()).map_err(|e| Failure::Errno(e.0, None))?;
    let netkit = i.link_type == libbpf_rs::libbpf_sys::BPF_LINK_TYPE_NETKIT;
    let end = match i.attach_type {
        t if t == bpf::End::Primary.attach_type() => Some("primary"),
        t if t == bpf::End::Peer.attach_type() => Some("peer"),
        _ => None,
    };
    // What the link's fdinfo says beyond the common lines (netkit: ifindex and attach type).
    let fdinfo = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd()))
        .unwrap_or_default();
    let fdinfo: serde_json::Map<String, Value> = fdinfo
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| matches!(*k, "ifindex" | "attach_type"))
        .map(|(k, v)| (k.to_string(), json!(v.trim())))
        .collect();
    let v = json!({
        "id": i.id,
        "prog_id": i.prog_id,
        "type": if netkit { json!("netkit") } else { json!(i.link_type) },
        "ifindex": if netkit { json!(i.ifindex) } else { Value::Null },
        "end": if netkit { json!(end) } else { Value::Null },
        "fdinfo": fdinfo,
    });
    println!("{v}");
    Ok(())
}

fn cmd_detach(d: &DetachArgs) -> Res {
    if let Some(pin) = &d.link {
        let link = bpf::pinned(pin).map_err(|e| {
            Failure::Errno(e.0, Some(format!("no link pinned at {}", pin.display())))
        })?;
        bpf::link_detach(link.as_raw_fd()).map_err(|e| Failure::Errno(e.0, None))?;
        return std::fs::remove_file(pin).map_err(Failure::from);
    }
    if let Some(id) = d.link_id {
        let link = bpf::link_fd_by_id(id)
            .map_err(|e| Failure::Errno(e.0, Some(format!("no link with id {id}"))))?;
        return bpf::link_detach(link.as_raw_fd()).map_err(|e| Failure::Errno(e.0, None));
    }
    let name = d.name.as_deref().unwrap_or_default();
    let end = if d.peer {
        bpf::End::Peer
    } else {
        bpf::End::Primary
    };
    if !d.primary && !d.peer {
        return Err(Failure::Usage("detach: say --primary or --peer".into()));
    }
    let idx = ifindex(name)?;
    let fail = |e| attach_failure(e, end);
    for _ in 0..STALE_RETRIES {
        let q = bpf::query(idx, end).map_err(fail)?;
        let id = match d.id {
            Some(id) => id,
            None => {
                let direct = q.direct();
                match direct.as_slice() {
                    [id] => *id,
                    // Nothing to detach: done (links stay; they detach with --link).
                    [] => return Ok(()),
                    _ => {
                        return Err(Failure::Other(format!(
                            "the {} has {} programs attached without a link: name one with --id",
                            end.name(),
                            direct.len()
                        )))
                    }
                }
            }
        };
        match bpf::prog_detach(id, idx, end, q.revision) {
            Err(bpf::Errno(libc::ESTALE)) => continue,
            // Detached meanwhile by another: look again.
            Err(bpf::Errno(libc::ENOENT)) if d.id.is_none() => continue,
            r => return r.map_err(fail),
        }
    }
    Err(fail(bpf::Errno(libc::ESTALE)))
}

fn raw_msg(r: &RawArgs, ifindex: i32) -> Msg {
    let flags = match r.op {
        RawOp::New => nl::NLM_F_REQUEST | nl::NLM_F_CREATE | nl::NLM_F_EXCL,
        RawOp::Change => nl::NLM_F_REQUEST,
    };
    let up = if r.up || r.down { nl::IFF_UP } else { 0 };
    let mut m = Msg::link_flags(nl::RTM_NEWLINK, flags, ifindex, up & !u32::from(r.down), up);
    if let (RawOp::New, Some(n)) = (r.op, &r.name) {
        m.attr_str(nl::IFLA_IFNAME, n);
    }
    for (t, p) in &r.link_attr {
        m.attr(*t, p);
    }
    let li = m.nest_start(nl::IFLA_LINKINFO);
    m.attr_str(nl::IFLA_INFO_KIND, "meta");
    if !r.no_data {
        let d = m.nest_start(nl::IFLA_INFO_DATA);
        if let Some(p) = &r.peer_info {
            m.attr(IFLA_META_PEER_INFO, &p.0);
        }
        for (t, p) in &r.data {
            m.attr(*t, p);
        }
        if let Some(t) = &r.data_tail {
            m.put_raw(&t.0);
        }
        m.nest_end(d);
    }
    for (t, p) in &r.info_attr {
        m.attr(*t, p);
    }
    m.nest_end(li);
    m
}

fn cmd_raw(r: &RawArgs) -> Res {
    let idx = match r.op {
        RawOp::New => 0,
        RawOp::Change => {
            let n = r
                .name
                .as_deref()
                .ok_or_else(|| Failure::Usage("raw change needs --name".into()))?;
            ifindex(n)?
        }
    };
    request(&raw_msg(r, idx))
}

/// One meta device as `show` presents it.
struct Shown {
    name: String,
    ifindex: i32,
    peer_ifindex: Option<u32>,
    primary: Option<bool>,
    mode: Option<u32>,
    policy: Option<u32>,
    peer_policy: Option<u32>,
    scrub: Option<u32>,
    peer_scrub: Option<u32>,
    headroom: Option<u16>,
    tailroom: Option<u16>,
    /// The arrays of both ends, from a query through the primary (None elsewhere).
    progs: Option<bpf::Query>,
    peer_progs: Option<bpf::Query>,
    counters: Option<Vec<(String, u64)>>,
}

impl Shown {
    fn from_link(l: &Link) -> Shown {
        let u32_of = |t| l.data_attr(t).and_then(nl::get_u32);
        Shown {
            name: l.name.clone(),
            ifindex: l.ifindex,
            peer_ifindex: l.link,
            primary: l
                .data_attr(IFLA_META_PRIMARY)
                .and_then(nl::get_u8)
                .map(|v| v != 0),
            mode: u32_of(IFLA_META_MODE),
            policy: u32_of(IFLA_META_POLICY),
            peer_policy: u32_of(IFLA_META_PEER_POLICY),
            scrub: u32_of(IFLA_META_SCRUB),
            peer_scrub: u32_of(IFLA_META_PEER_SCRUB),
            headroom: l.data_attr(IFLA_META_HEADROOM).and_then(nl::get_u16),
            tailroom: l.data_attr(IFLA_META_TAILROOM).and_then(nl::get_u16),
            progs: None,
            peer_progs: None,
            counters: None,
        }
    }

    fn json(&self) -> Value {
        let named = |v: Option<u32>, f: fn(u32) -> Option<&'static str>| match v {
            None => Value::Null,
            Some(v) => f(v).map_or(json!(v), |s| json!(s)),
        };
        let counters = self
            .counters
            .as_ref()
            .map(|c| Value::Object(c.iter().map(|(k, v)| (k.clone(), json!(v))).collect()));
        json!({
            "name": self.name,
            "ifindex": self.ifindex,
            "peer_ifindex": self.peer_ifindex,
            "primary": self.primary,
            "mode": named(self.mode, mode_name),
            "policy": named(self.policy, policy_name),
            "peer_policy": named(self.peer_policy, policy_name),
            "scrub": named(self.scrub, scrub_name),
            "peer_scrub": named(self.peer_scrub, scrub_name),
            "headroom": self.headroom,
            "tailroom": self.tailroom,
            "progs": self.progs.as_ref().map(query_json),
            "peer_progs": self.peer_progs.as_ref().map(query_json),
            "counters": counters,
        })
    }

    fn text(&self) -> String {
        fn opt<T: ToString>(v: Option<T>) -> String {
            v.map_or_else(|| "-".into(), |v| v.to_string())
        }
        fn named(v: Option<u32>, f: fn(u32) -> Option<&'static str>) -> String {
            match v {
                None => "-".into(),
                Some(v) => f(v).map_or_else(|| v.to_string(), str::to_string),
            }
        }
        fn prog(q: Option<&bpf::Query>) -> String {
            let Some(q) = q else { return "-".into() };
            let ids: Vec<String> = q
                .entries
                .iter()
                .map(|e| match e.link_id {
                    0 => e.prog_id.to_string(),
                    l => format!("{}(link {l})", e.prog_id),
                })
                .collect();
            let ids = if ids.is_empty() {
                "none".into()
            } else {
                ids.join(",")
            };
            format!("{ids} rev {}", q.revision)
        }
        let role = match self.primary {
            Some(true) => "primary",
            Some(false) => "peer",
            None => "-",
        };
        let mut s = format!(
            "{}: ifindex {} peer-ifindex {} {}\n    mode {} policy {} peer-policy {} scrub {} peer-scrub {} headroom {} tailroom {}\n    prog {} peer-prog {}\n",
            self.name,
            self.ifindex,
            opt(self.peer_ifindex),
            role,
            named(self.mode, mode_name),
            named(self.policy, policy_name),
            named(self.peer_policy, policy_name),
            named(self.scrub, scrub_name),
            named(self.peer_scrub, scrub_name),
            opt(self.headroom),
            opt(self.tailroom),
            prog(self.progs.as_ref()),
            prog(self.peer_progs.as_ref()),
        );
        if let Some(c) = &self.counters {
            for (k, v) in c {
                s += &format!("    {k} {v}\n");
            }
        }
        s
    }
}

fn query_json(q: &bpf::Query) -> Value {
    json!({
        "revision": q.revision,
        "prog_ids": q.prog_ids(),
        "link_ids": q.link_ids(),
    })
}

fn mode_name(v: u32) -> Option<&'static str> {
    match v {
        META_L2 => Some("l2"),
        META_L3 => Some("l3"),
        _ => None,
    }
}

fn policy_name(v: u32) -> Option<&'static str> {
    match v as i32 {
        META_PASS => Some("pass"),
        META_DROP => Some("drop"),
        _ => None,
    }
}

fn scrub_name(v: u32) -> Option<&'static str> {
    match v {
        META_SCRUB_NONE => Some("none"),
        META_SCRUB_DEFAULT => Some("default"),
        _ => None,
    }
}

fn cmd_show(name: Option<&str>, json: bool) -> Res {
    let mut sock = Socket::open()?;
    let links: Vec<Link> = match name {
        Some(n) => {
            let mut m = Msg::link(nl::RTM_GETLINK, nl::NLM_F_REQUEST, 0);
            m.attr_str(nl::IFLA_IFNAME, n);
            let (replies, _) = sock.transact(&m)?;
            let links: Vec<Link> = replies
                .iter()
                .filter(|r| r.ty == nl::RTM_NEWLINK)
                .filter_map(|r| Link::parse(&r.payload))
                .collect();
            if let Some(l) = links.first() {
                if l.kind.as_deref() != Some("meta") {
                    return Err(Failure::Other(format!("{n} is not a meta device")));
                }
            }
            links
        }
        None => {
            let m = Msg::link(nl::RTM_GETLINK, nl::NLM_F_REQUEST | nl::NLM_F_DUMP, 0);
            let (replies, _) = sock.transact(&m)?;
            replies
                .iter()
                .filter(|r| r.ty == nl::RTM_NEWLINK)
                .filter_map(|r| Link::parse(&r.payload))
                .collect()
        }
    };
    let shown: Vec<Shown> = links
        .iter()
        .filter(|l| l.kind.as_deref() == Some("meta"))
        .map(|l| {
            let mut s = Shown::from_link(l);
            s.counters = ethtool::stats(&l.name).ok();
            if s.primary == Some(true) {
                s.progs = bpf::query(l.ifindex, bpf::End::Primary).ok();
                s.peer_progs = bpf::query(l.ifindex, bpf::End::Peer).ok();
            }
            s
        })
        .collect();
    if json {
        let v = Value::Array(shown.iter().map(Shown::json).collect());
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
    } else {
        for s in &shown {
            print!("{}", s.text());
        }
    }
    Ok(())
}

fn run(cli: &Cli) -> Res {
    fn print(_: libbpf_rs::PrintLevel, msg: String) {
        eprint!("{msg}");
    }
    libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Warn, print)));
    match &cli.cmd {
        Cmd::Add(a) => cmd_add(a),
        Cmd::Del { name } => cmd_del(name),
        Cmd::Set {
            name,
            policy,
            peer_policy,
        } => cmd_set(name, *policy, *peer_policy),
        Cmd::Attach(a) => cmd_attach(a),
        Cmd::Detach(d) => cmd_detach(d),
        Cmd::Show { name, json } => cmd_show(name.as_deref(), *json),
        Cmd::Link { pin, id } => cmd_link(pin.as_deref(), *id),
        Cmd::Raw(r) => cmd_raw(r),
    }
}

/// The message of a clap error: its text up to the usage, on one line, without "error: ".
fn clap_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let words: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let line = words.join(" ");
    line.strip_prefix("error: ").unwrap_or(&line).to_owned()
}

/// Reports a failure: its line on stderr, with --json-errors its JSON on stdout.
fn report(f: &Failure, json_errors: bool) -> ExitCode {
    eprintln!("metactl: {}", f.text());
    if json_errors {
        println!("{}", f.json());
    }
    ExitCode::from(f.exit_status())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's usage errors keep clap's text and status (2); --json-errors, if given,
            // adds the error (the text before the usage) as the JSON error.
            if e.use_stderr() && std::env::args_os().any(|a| a == "--json-errors") {
                println!("{}", Failure::Usage(clap_message(&e)).json());
            }
            e.exit()
        }
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => report(&f, cli.json_errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("metactl").chain(args.iter().copied())).unwrap()
    }

    fn data_of(m: &Msg) -> Link {
        Link::parse(&m.finish(1)[nl::NLMSG_HDRLEN..]).unwrap()
    }

    #[test]
    fn cli_shape() {
        Cli::try_parse_from(["metactl", "attach", "m0", "--obj", "x.o"])
            .err()
            .unwrap();
        Cli::try_parse_from([
            "metactl",
            "attach",
            "m0",
            "--primary",
            "--peer",
            "--obj",
            "x.o",
        ])
        .err()
        .unwrap();
        Cli::try_parse_from(["metactl", "attach", "m0", "--primary"])
            .err()
            .unwrap();
        Cli::try_parse_from([
            "metactl",
            "attach",
            "m0",
            "--primary",
            "--pinned",
            "p",
            "--obj",
            "x",
        ])
        .err()
        .unwrap();
        Cli::try_parse_from([
            "metactl",
            "attach",
            "m0",
            "--primary",
            "--pinned",
            "p",
            "--sec",
            "x",
        ])
        .err()
        .unwrap();
        Cli::try_parse_from(["metactl", "add", "--prog", "a.o", "--prog-pinned", "p"])
            .err()
            .unwrap();
        Cli::try_parse_from(["metactl", "add", "--headroom", "70000"])
            .err()
            .unwrap();
        Cli::try_parse_from(["metactl", "add", "--mode", "l4"])
            .err()
            .unwrap();
        Cli::try_parse_from(["metactl", "raw", "new", "--no-data", "--data", "3=00"])
            .err()
            .unwrap();
        cli(&["attach", "m0", "--peer", "--obj", "x.o", "--sec", "tc"]);
        let c = cli(&[
            "attach", "m0", "--peer", "--pinned", "a", "--pinned", "b", "--repeat", "500",
        ]);
        match c.cmd {
            Cmd::Attach(a) => assert_eq!((a.pinned.len(), a.repeat), (2, 500)),
            _ => panic!("not attach"),
        }
        for bad in [
            &["attach", "m0", "--peer", "--obj", "x.o", "--repeat", "2"][..],
            &["attach", "m0", "--peer", "--pinned", "a", "--repeat", "0"][..],
        ] {
            Cli::try_parse_from(std::iter::once("metactl").chain(bad.iter().copied()))
                .err()
                .unwrap();
        }
        cli(&["detach", "m0", "--primary"]);
        cli(&["detach", "m0", "--peer", "--id", "7"]);
        cli(&["detach", "--link", "/sys/fs/bpf/l"]);
        cli(&["detach", "--link-id", "3"]);
        cli(&[
            "attach",
            "m0",
            "--peer",
            "--pinned",
            "a",
            "--link",
            "/sys/fs/bpf/l",
            "--before",
            "4",
        ]);
        for bad in [
            &["detach", "m0", "--primary", "--peer"][..],
            &["detach", "m0", "--link", "x"][..],
            &["detach", "--id", "3"][..],
            &[
                "attach", "m0", "--peer", "--pinned", "a", "--before", "1", "--after", "2",
            ][..],
            &[
                "attach",
                "m0",
                "--peer",
                "--pinned",
                "a",
                "--link",
                "l",
                "--replace",
                "2",
            ][..],
            &[
                "attach", "m0", "--peer", "--pinned", "a", "--link", "l", "--repeat", "2",
            ][..],
        ] {
            Cli::try_parse_from(std::iter::once("metactl").chain(bad.iter().copied()))
                .err()
                .unwrap();
        }
        cli(&["show", "--json"]);
        cli(&[
            "raw",
            "change",
            "--name",
            "m0",
            "--link-attr",
            "3=",
            "--data",
            "0x8003=01000000",
        ]);
    }

    #[test]
    fn add_encoding() {
        let c = cli(&[
            "add",
            "m0",
            "--peer-name",
            "m1",
            "--mode",
            "l2",
            "--policy",
            "drop",
            "--peer-policy",
            "pass",
            "--scrub",
            "none",
            "--peer-scrub",
            "default",
            "--headroom",
            "32",
            "--tailroom",
            "16",
        ]);
        let Cmd::Add(a) = &c.cmd else { panic!() };
        let m = add_msg(a, Some(9));
        let b = m.finish(1);
        assert_eq!(u16::from_ne_bytes(b[6..8].try_into().unwrap()), 0x601);
        let l = data_of(&m);
        assert_eq!(l.name, "m0");
        assert_eq!(l.kind.as_deref(), Some("meta"));
        let u32a = |t| l.data_attr(t).and_then(nl::get_u32);
        assert_eq!(u32a(IFLA_META_MODE), Some(META_L2));
        assert_eq!(u32a(IFLA_META_POLICY), Some(2));
        assert_eq!(u32a(IFLA_META_PEER_POLICY), Some(0));
        assert_eq!(u32a(IFLA_META_SCRUB), Some(0));
        assert_eq!(u32a(IFLA_META_PEER_SCRUB), Some(1));
        assert_eq!(
            l.data_attr(IFLA_META_HEADROOM),
            Some(&32u16.to_ne_bytes()[..])
        );
        assert_eq!(
            l.data_attr(IFLA_META_TAILROOM),
            Some(&16u16.to_ne_bytes()[..])
        );
        // Programs attach through bpf(2), never in the netlink request.
        assert_eq!(l.data_attr(IFLA_META_BPF_FD), None);
        let pi = l.data_attr(IFLA_META_PEER_INFO).unwrap();
        assert_eq!(&pi[..16], &[0u8; 16]);
        let pattrs: Vec<_> = nl::attrs(&pi[16..]).collect();
        assert_eq!(
            pattrs,
            vec![
                (nl::IFLA_IFNAME, &b"m1\0"[..]),
                (nl::IFLA_NET_NS_FD, &9u32.to_ne_bytes()[..])
            ]
        );

        // nothing given: no name, no peer info, an empty data nest
        let c = cli(&["add"]);
        let Cmd::Add(a) = &c.cmd else { panic!() };
        let l = data_of(&add_msg(a, None));
        assert_eq!(l.name, "");
        assert_eq!(l.kind.as_deref(), Some("meta"));
        assert!(l.data.is_empty());
    }

    #[test]
    fn change_encoding() {
        let m = change_msg(7, |m| m.attr_u32(IFLA_META_PEER_POLICY, 2));
        let b = m.finish(1);
        assert_eq!(
            u16::from_ne_bytes(b[6..8].try_into().unwrap()),
            nl::NLM_F_REQUEST
        );
        let l = data_of(&m);
        assert_eq!(l.ifindex, 7);
        assert_eq!(
            l.data,
            vec![(IFLA_META_PEER_POLICY, 2u32.to_ne_bytes().to_vec())]
        );
    }

    #[test]
    fn raw_encoding() {
        let c = cli(&[
            "raw",
            "new",
            "--name",
            "r0",
            "--link-attr",
            "4=dc050000",
            "--data",
            "3=",
            "--data",
            "0x5=0500",
            "--peer-info",
            "00",
        ]);
        let Cmd::Raw(r) = &c.cmd else { panic!() };
        let l = data_of(&raw_msg(r, 0));
        assert_eq!(l.name, "r0");
        assert_eq!(
            l.data,
            vec![(IFLA_META_PEER_INFO, vec![0]), (3, vec![]), (5, vec![5, 0])]
        );
        let top: Vec<_> = nl::attrs(&raw_msg(r, 0).finish(1)[32..])
            .map(|(t, _)| t)
            .collect();
        assert_eq!(top, vec![nl::IFLA_IFNAME, 4, nl::IFLA_LINKINFO]);

        let c = cli(&["raw", "change", "--name", "r0", "--no-data"]);
        let Cmd::Raw(r) = &c.cmd else { panic!() };
        let m = raw_msg(r, 3);
        let l = data_of(&m);
        assert_eq!(l.ifindex, 3);
        assert_eq!(l.name, "");
        assert_eq!(l.kind.as_deref(), Some("meta"));
        let li = nl::attrs(&m.finish(1)[32..])
            .find(|(t, _)| *t == nl::IFLA_LINKINFO)
            .unwrap()
            .1
            .to_vec();
        assert_eq!(nl::attrs(&li).count(), 1);

        let c = cli(&[
            "raw",
            "change",
            "--name",
            "r0",
            "--data",
            "3=02000000",
            "--info-attr",
            "5=",
        ]);
        let Cmd::Raw(r) = &c.cmd else { panic!() };
        let m = raw_msg(r, 3);
        let li = nl::attrs(&m.finish(1)[32..])
            .find(|(t, _)| *t == nl::IFLA_LINKINFO)
            .unwrap()
            .1
            .to_vec();
        let types: Vec<_> = nl::attrs(&li).map(|(t, _)| t).collect();
        assert_eq!(types, vec![nl::IFLA_INFO_KIND, nl::IFLA_INFO_DATA, 5]);
        let hdr = |args: &[&str]| {
            let c = cli(args);
            let Cmd::Raw(r) = &c.cmd else { panic!() };
            let b = raw_msg(r, 3).finish(1);
            (
                u32::from_ne_bytes(b[24..28].try_into().unwrap()),
                u32::from_ne_bytes(b[28..32].try_into().unwrap()),
            )
        };
        assert_eq!(hdr(&["raw", "change", "--name", "r0"]), (0, 0));
        assert_eq!(
            hdr(&["raw", "change", "--name", "r0", "--up"]),
            (nl::IFF_UP, nl::IFF_UP)
        );
        assert_eq!(
            hdr(&["raw", "change", "--name", "r0", "--down"]),
            (0, nl::IFF_UP)
        );
        assert!(Cli::try_parse_from(["metactl", "raw", "change", "--up", "--down"]).is_err());
    }

    #[test]
    fn hex() {
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex("0x01ff").unwrap(), vec![1, 0xff]);
        assert!(parse_hex("1").is_err());
        assert!(parse_hex("zz").is_err());
        assert_eq!(parse_raw_attr("11=ffffffff").unwrap(), (11, vec![0xff; 4]));
        assert!(parse_raw_attr("70000=00").is_err());
    }

    #[test]
    fn show_json() {
        let mut m = Msg::link(nl::RTM_NEWLINK, 0, 4);
        m.attr_str(nl::IFLA_IFNAME, "m1");
        m.attr_u32(nl::IFLA_LINK, 5);
        let n = start_meta_data(&mut m);
        m.attr(IFLA_META_PRIMARY, &[0]);
        m.attr_u32(IFLA_META_POLICY, 2);
        m.attr_u32(IFLA_META_MODE, 1);
        m.attr_u32(IFLA_META_SCRUB, 1);
        m.attr_u16(IFLA_META_HEADROOM, 0);
        end_meta_data(&mut m, n);
        let mut s = Shown::from_link(&data_of(&m));
        s.progs = Some(bpf::Query {
            revision: 3,
            entries: vec![
                bpf::Entry {
                    prog_id: 7,
                    link_id: 0,
                },
                bpf::Entry {
                    prog_id: 9,
                    link_id: 2,
                },
            ],
        });
        s.counters = Some(vec![
            ("xmit_pass".into(), 3),
            ("xmit_drop_policy".into(), 1),
        ]);
        let v = s.json();
        assert_eq!(
            v,
            json!({
                "name": "m1", "ifindex": 4, "peer_ifindex": 5, "primary": false, "mode": "l3",
                "policy": "drop", "peer_policy": null, "scrub": "default", "peer_scrub": null,
                "headroom": 0, "tailroom": null,
                "progs": {"revision": 3, "prog_ids": [7, 9], "link_ids": [0, 2]},
                "peer_progs": null,
                "counters": {"xmit_pass": 3, "xmit_drop_policy": 1},
            })
        );
        // the driver's order of counters is kept
        let keys: Vec<_> = v["counters"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, vec!["xmit_pass", "xmit_drop_policy"]);
        assert!(s.text().starts_with("m1: ifindex 4 peer-ifindex 5 peer\n"));
        assert!(s
            .text()
            .contains("\n    prog 7,9(link 2) rev 3 peer-prog -\n"));
    }

    #[test]
    fn error_text() {
        assert_eq!(strerror(libc::EACCES), "Permission denied");
        let f = Failure::Errno(libc::EINVAL, Some("Unknown meta attribute".into()));
        assert_eq!(
            f.text(),
            "EINVAL (errno 22, Invalid argument): Unknown meta attribute"
        );
        assert_eq!(f.exit_status(), 1);
        assert_eq!(
            Failure::Errno(libc::EPERM, None).text(),
            "EPERM (errno 1, Operation not permitted)"
        );
        assert_eq!(
            Failure::Errno(errno::ENOTSUPP, None).text(),
            "ENOTSUPP (errno 524, Unknown error 524)"
        );
        assert_eq!(
            Failure::Errno(600, Some("m".into())).text(),
            "errno 600 (errno 600, Unknown error 600): m"
        );
        assert_eq!(Failure::Usage("u".into()).text(), "u");
        assert_eq!(Failure::Usage("u".into()).exit_status(), 2);
        assert_eq!(Failure::Other("o".into()).text(), "o");
        assert_eq!(Failure::Other("o".into()).exit_status(), 3);
    }

    #[test]
    fn error_json() {
        let one_line = |f: Failure| f.json().to_string();
        assert_eq!(
            one_line(Failure::Errno(22, Some("Unknown meta attribute".into()))),
            r#"{"error":{"errno":22,"name":"EINVAL","message":"Unknown meta attribute"}}"#
        );
        assert_eq!(
            one_line(Failure::Errno(17, None)),
            r#"{"error":{"errno":17,"name":"EEXIST","message":null}}"#
        );
        assert_eq!(
            one_line(Failure::Errno(600, None)),
            r#"{"error":{"errno":600,"name":null,"message":null}}"#
        );
        assert_eq!(
            one_line(Failure::Other("x.o: no BPF program in the object".into())),
            r#"{"error":{"errno":null,"name":null,"message":"x.o: no BPF program in the object"}}"#
        );
        assert_eq!(
            one_line(Failure::Usage("detach: say --primary or --peer".into())),
            r#"{"error":{"errno":null,"name":null,"message":"detach: say --primary or --peer"}}"#
        );
    }

    #[test]
    fn error_kinds() {
        // nl and io errors: an errno is a refusal, anything else a failure.
        let ack = nl::Ack {
            errno: libc::EEXIST,
            msg: Some("exists".into()),
            offset: None,
        };
        assert_eq!(
            Failure::from(nl::Error::Kernel(ack)),
            Failure::Errno(libc::EEXIST, Some("exists".into()))
        );
        assert_eq!(
            Failure::from(std::io::Error::from_raw_os_error(libc::ENOBUFS)),
            Failure::Errno(libc::ENOBUFS, None)
        );
        let bad = std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed netlink ack");
        assert_eq!(
            Failure::from(nl::Error::Io(bad)),
            Failure::Other("malformed netlink ack".into())
        );
        // libbpf-rs: the errno survives only in the text, also under a context.
        use libbpf_rs::ErrorExt;
        let e = libbpf_rs::Error::from_raw_os_error(libc::EPERM);
        assert_eq!(libbpf_errno(&e), Some(libc::EPERM));
        assert_eq!(
            libbpf_failure(e, Path::new("p.o"), "cannot load", true),
            Failure::Errno(libc::EPERM, Some("p.o: cannot load".into()))
        );
        let e = libbpf_rs::Error::from_raw_os_error(libc::ENOENT).context("failed to retrieve");
        assert_eq!(libbpf_errno(&e), Some(libc::ENOENT));
        assert_eq!(
            libbpf_failure(e, Path::new("p.o"), "cannot open", false),
            Failure::Other("p.o: cannot open: No such file or directory".into())
        );
        // libbpf's own codes (4001: not an ELF object) are no errno.
        let e = libbpf_rs::Error::from_raw_os_error(4001);
        assert_eq!(libbpf_errno(&e), Some(4001));
        assert_eq!(
            libbpf_failure(e, Path::new("p.o"), "cannot load", true),
            Failure::Other(format!(
                "p.o: cannot load: libbpf: {}",
                libbpf_strerror(4001)
            ))
        );
        assert!(!libbpf_strerror(4001).contains("Unknown"));
        let e = libbpf_rs::Error::from(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "retrieved BPF fd is not a program fd: Map",
        ));
        assert_eq!(libbpf_errno(&e), None);
        assert_eq!(
            libbpf_failure(e, Path::new("/sys/fs/bpf/m"), "cannot open", true),
            Failure::Other(
                "/sys/fs/bpf/m: cannot open: retrieved BPF fd is not a program fd: Map".into()
            )
        );
    }

    #[test]
    fn exit_statuses() {
        // clap's own usage errors exit 2, as metactl's.
        let e = Cli::try_parse_from(["metactl", "attach"]).err().unwrap();
        assert_eq!(e.exit_code(), i32::from(EXIT_USAGE));
        let e = Cli::try_parse_from(["metactl", "--help"]).err().unwrap();
        assert_eq!(e.exit_code(), 0);
        assert!(
            e.to_string().contains("Exit status:"),
            "the help shows the exit statuses"
        );
        assert_eq!((EXIT_REFUSED, EXIT_USAGE, EXIT_FAILED), (1, 2, 3));
        let e = Cli::try_parse_from(["metactl", "detach", "m0", "--id", "x"])
            .err()
            .unwrap();
        assert_eq!(
            clap_message(&e),
            "invalid value 'x' for '--id <PROG_ID>': invalid digit found in string"
        );
        // --json-errors goes anywhere on the line.
        assert!(cli(&["--json-errors", "show"]).json_errors);
        assert!(cli(&["show", "--json-errors", "--json"]).json_errors);
        assert!(!cli(&["show"]).json_errors);
    }
}
