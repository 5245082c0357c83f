// SPDX-License-Identifier: GPL-2.0
//! expect: E0505
//!
//! A `Setup` kept across registration would write fields of a registered device.

include!("common.rs");

fn misuse(reg: &Registration<Sink>, rtnl: &Rtnl) -> Result {
    let mut dev = reg.new_device(rtnl, Namespace::init_net(), c_str!("cf%d"))?;
    let s = dev.setup();
    let _dev = dev.register(rtnl)?;
    s.ether_setup();
    Ok(())
}

fn newlink_misuse(_: &Rtnl, _: NewDevice<'_, Sink>, _: &Attrs<'_>, _: &ExtAck) -> Result {
    Ok(())
}
