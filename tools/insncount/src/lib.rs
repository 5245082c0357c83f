// SPDX-License-Identifier: GPL-2.0
//! insncount: a QEMU TCG plugin that counts the instructions the guest
//! executes, for a measure of cost that does not depend on the host's load.
//!
//! Every translated block adds its number of instructions to one counter
//! when it executes (an inline add, no callback). The guest marks points
//! of interest by executing `xchg %bx,%bx` (`66 87 db`, a no-op that
//! nothing else executes; the `insnmark` binary of this crate does it):
//! at each, the plugin appends a line with the marker's ordinal and the
//! counter to the output file. The difference between two marks is the
//! number of guest instructions executed in between, by every process and
//! the kernel alike.
//!
//! The inline add is not atomic: with more than one vCPU the count is
//! inexact (a warning is printed). Use `-smp 1`.
//!
//! ```text
//! qemu-system-x86_64 ... -plugin libinsncount.so,out=/tmp/marks.txt
//! ```

use qemu_plugin_sys::{
    qemu_info_t, qemu_plugin_cb_flags, qemu_plugin_id_t, qemu_plugin_insn_data,
    qemu_plugin_insn_size, qemu_plugin_op, qemu_plugin_register_vcpu_insn_exec_cb,
    qemu_plugin_register_vcpu_tb_exec_inline, qemu_plugin_register_vcpu_tb_trans_cb,
    qemu_plugin_tb, qemu_plugin_tb_get_insn, qemu_plugin_tb_n_insns, QEMU_PLUGIN_VERSION,
};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

/// The plugin API version this plugin was built for; QEMU refuses others.
#[no_mangle]
pub static qemu_plugin_version: c_int = QEMU_PLUGIN_VERSION as c_int;

/// The instruction that marks a point: `xchg %bx,%bx`.
const MARKER: [u8; 3] = [0x66, 0x87, 0xdb];

/// The instruction counter, written by the code QEMU generates (inline
/// adds), read by the marker callback on the same vCPU thread.
static mut COUNT: u64 = 0;

struct Output {
    file: File,
    marks: u64,
}

static OUT: Mutex<Option<Output>> = Mutex::new(None);

unsafe extern "C" fn on_mark(_vcpu: c_uint, _udata: *mut c_void) {
    // SAFETY: COUNT is only ever accessed through raw pointers; the value
    // may be torn only with several vCPUs, which the plugin warns about.
    let count = unsafe { std::ptr::read_volatile(&raw const COUNT) };
    let mut out = OUT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(o) = out.as_mut() {
        o.marks += 1;
        let _ = writeln!(o.file, "mark {} {}", o.marks, count);
        let _ = o.file.flush();
    }
}

unsafe extern "C" fn on_translate(_id: qemu_plugin_id_t, tb: *mut qemu_plugin_tb) {
    // SAFETY: tb is the block QEMU is translating, valid during this
    // callback; the pointers it returns are valid for the callback too.
    unsafe {
        let n = qemu_plugin_tb_n_insns(tb);
        qemu_plugin_register_vcpu_tb_exec_inline(
            tb,
            qemu_plugin_op::QEMU_PLUGIN_INLINE_ADD_U64,
            (&raw mut COUNT).cast(),
            n as u64,
        );
        for i in 0..n {
            let insn = qemu_plugin_tb_get_insn(tb, i);
            if qemu_plugin_insn_size(insn) != MARKER.len() {
                continue;
            }
            let data = std::slice::from_raw_parts(qemu_plugin_insn_data(insn).cast::<u8>(), MARKER.len());
            if data == MARKER {
                qemu_plugin_register_vcpu_insn_exec_cb(
                    insn,
                    Some(on_mark),
                    qemu_plugin_cb_flags::QEMU_PLUGIN_CB_NO_REGS,
                    std::ptr::null_mut(),
                );
            }
        }
    }
}

/// Entry point: `out=PATH` names the file for the marks (required).
///
/// # Safety
///
/// Called by QEMU with a valid `info` and `argc` C strings in `argv`.
#[no_mangle]
pub unsafe extern "C" fn qemu_plugin_install(
    id: qemu_plugin_id_t,
    info: *const qemu_info_t,
    argc: c_int,
    argv: *mut *mut c_char,
) -> c_int {
    let mut path = None;
    for i in 0..usize::try_from(argc).unwrap_or(0) {
        // SAFETY: QEMU passes argc valid NUL-terminated strings.
        let arg = unsafe { CStr::from_ptr(*argv.add(i)) }.to_string_lossy();
        match arg.split_once('=') {
            Some(("out", p)) => path = Some(p.to_string()),
            _ => {
                eprintln!("insncount: unknown argument {arg:?} (want out=PATH)");
                return -1;
            }
        }
    }
    let Some(path) = path else {
        eprintln!("insncount: missing out=PATH");
        return -1;
    };
    let file = match File::create(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("insncount: {path}: {e}");
            return -1;
        }
    };
    // SAFETY: info is valid during the install call. In system emulation
    // the system member of the union is the valid one.
    let (system, vcpus) = unsafe { ((*info).system_emulation, (*info).__bindgen_anon_1.system.smp_vcpus) };
    if system && vcpus > 1 {
        eprintln!("insncount: {vcpus} vCPUs: the counts are inexact, use -smp 1");
    }
    *OUT.lock().unwrap_or_else(|e| e.into_inner()) = Some(Output { file, marks: 0 });
    // SAFETY: id is this plugin's id, on_translate has the callback's type.
    unsafe { qemu_plugin_register_vcpu_tb_trans_cb(id, Some(on_translate)) };
    0
}
