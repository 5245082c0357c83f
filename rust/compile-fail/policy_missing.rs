// SPDX-License-Identifier: GPL-2.0
//! expect: E0080
//!
//! A policy table is keyed by attribute: an attribute without a rule must not compile.

include!("common.rs");

static TABLE: [Policy; 3] = Policy::table(&[(1, Policy::u32())]);

fn misuse(_: &Registration<Sink>, _: &Rtnl) -> Result {
    let _ = &TABLE;
    Ok(())
}

fn newlink_misuse(_: &Rtnl, _: NewDevice<'_, Sink>, _: &Attrs<'_>, _: &ExtAck) -> Result {
    Ok(())
}
