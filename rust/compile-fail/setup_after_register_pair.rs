// SPDX-License-Identifier: GPL-2.0
//! expect: E0382
//!
//! After `register_pair` the core owns both ends: setting one up again must not compile.

include!("common.rs");

fn misuse(_: &Registration<Sink>, _: &Rtnl) -> Result {
    Ok(())
}

fn newlink_misuse(rtnl: &Rtnl, mut dev: NewDevice<'_, Sink>, tb: &Attrs<'_>, e: &ExtAck) -> Result {
    let peer = dev.create_peer(rtnl, Namespace::init_net(), None, tb, e)?;
    rtnl::register_pair(rtnl, dev, peer)?;
    dev.setup().ether_setup();
    Ok(())
}
