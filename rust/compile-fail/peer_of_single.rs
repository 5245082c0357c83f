// SPDX-License-Identifier: GPL-2.0
//! expect: E0599
//!
//! Pairing is opt-in: the devices of a driver of single devices have no peer to ask for.

include!("common.rs");

use kernel::net::dev::Single;
use kernel::sync::rcu;

struct Alone;

#[vtable]
impl Driver for Alone {
    type Data = ();
    type Pairing = Single;
    const NAME: &'static CStr = c_str!("cfalone");

    fn init_data() -> impl PinInit<()> {}

    fn start_xmit(dev: &DriverDevice<Self>, skb: SkBuff) -> TxStatus {
        let guard = rcu::read_lock();
        let _ = dev.peer(&guard);
        skb.drop_reason(DropReason::NotSpecified);
        TxStatus::Dropped
    }
}

fn misuse(_: &Registration<Sink>, _: &Rtnl) -> Result {
    Ok(())
}

fn newlink_misuse(_: &Rtnl, _: NewDevice<'_, Sink>, _: &Attrs<'_>, _: &ExtAck) -> Result {
    Ok(())
}
