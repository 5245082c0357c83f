// SPDX-License-Identifier: GPL-2.0
//! expect: E0614
//!
//! The core frees an unregistered device whatever its reference count: a reference taken
//! before registration would dangle once the device is dropped, so a `NewDevice` gives out no
//! `Device`.

include!("common.rs");

fn misuse(reg: &Registration<Sink>, rtnl: &Rtnl) -> Result {
    let dev = reg.new_device(rtnl, Namespace::init_net(), c_str!("cf%d"))?;
    let kept: ARef<Device> = ARef::from(&*dev);
    drop(dev);
    unused(Some(kept));
    Ok(())
}

fn newlink_misuse(_: &Rtnl, _: NewDevice<'_, Sink>, _: &Attrs<'_>, _: &ExtAck) -> Result {
    Ok(())
}
