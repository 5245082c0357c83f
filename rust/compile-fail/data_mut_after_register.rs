// SPDX-License-Identifier: GPL-2.0
//! expect: E0382
//!
//! Plain private fields written through `data_mut` are set-once: after registration, when
//! transmits read them concurrently, they cannot be written.

include!("common.rs");

fn misuse(reg: &Registration<Sink>, rtnl: &Rtnl) -> Result {
    let mut dev = reg.new_device(rtnl, Namespace::init_net(), c_str!("cf%d"))?;
    let _registered = dev.register(rtnl)?;
    let _data = dev.data_mut();
    Ok(())
}

fn newlink_misuse(_: &Rtnl, _: NewDevice<'_, Sink>, _: &Attrs<'_>, _: &ExtAck) -> Result {
    Ok(())
}
