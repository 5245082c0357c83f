// SPDX-License-Identifier: GPL-2.0
//! expect: ok
//!
//! The correct use of what the other cases misuse: it must build, so that their failures
//! are theirs and not the harness's.

include!("common.rs");

// Keyed by attribute, in any order, each once.
static TABLE: [Policy; 3] = Policy::table(&[(2, Policy::u16()), (1, Policy::u32())]);

fn misuse(reg: &Registration<Sink>, rtnl: &Rtnl) -> Result {
    let _ = &TABLE;
    let mut dev = reg.new_device(rtnl, Namespace::init_net(), c_str!("cf%d"))?;
    dev.setup().ether_setup();
    let _dev: ARef<Device> = dev.register(rtnl)?;
    Ok(())
}

fn newlink_misuse(rtnl: &Rtnl, mut dev: NewDevice<'_, Sink>, tb: &Attrs<'_>, e: &ExtAck) -> Result {
    let mut peer = dev.create_peer(rtnl, Namespace::init_net(), None, tb, e)?;
    peer.setup().inherit_tso_max(&dev.setup());
    rtnl::register_pair(rtnl, dev, peer)
}
