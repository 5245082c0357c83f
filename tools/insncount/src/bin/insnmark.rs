// SPDX-License-Identifier: GPL-2.0
//! insnmark: executes the marker instruction of the insncount QEMU plugin
//! once, so that the plugin records its instruction counter. Outside a VM
//! with the plugin it does nothing (`xchg %bx,%bx` changes no state).
//!
//! With a label it prints "insnmark LABEL" first, so that the guest's
//! output names the marks in the order the plugin records them.

fn main() {
    if let Some(label) = std::env::args().nth(1) {
        println!("insnmark {label}");
    }
    #[cfg(target_arch = "x86_64")]
    // SAFETY: exchanging a register with itself has no effect.
    unsafe {
        std::arch::asm!("xchg bx, bx", options(nomem, nostack, preserves_flags));
    }
}
