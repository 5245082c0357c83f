// SPDX-License-Identifier: GPL-2.0
//! expect: E0499
//!
//! Set-up access is exclusive: two at once of the same device must not compile.

include!("common.rs");

fn misuse(reg: &Registration<Sink>, rtnl: &Rtnl) -> Result {
    let mut dev = reg.new_device(rtnl, Namespace::init_net(), c_str!("cf%d"))?;
    let a = dev.setup();
    let b = dev.setup();
    a.ether_setup();
    b.ether_setup();
    Ok(())
}

fn newlink_misuse(_: &Rtnl, _: NewDevice<'_, Sink>, _: &Attrs<'_>, _: &ExtAck) -> Result {
    Ok(())
}
