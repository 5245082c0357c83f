// SPDX-License-Identifier: GPL-2.0

// The driver every case shares: a link type whose devices drop what they transmit. Each case
// adds one function, `misuse`, whose body is what must not compile (or, in `ok.rs`, the
// correct use that must).

use kernel::net::{
    dev::{Device, Driver, DriverDevice, Setup, TxStatus},
    nl::{Attrs, ExtAck, Policy},
    rtnl::{self, LinkOps, NewDevice, Registration, Rtnl},
    skb::{DropReason, SkBuff},
    Namespace,
};
use kernel::{c_str, prelude::*, types::ARef};

struct Sink;

#[vtable]
impl Driver for Sink {
    type Data = ();
    type Pairing = rtnl::Pair;
    const NAME: &'static CStr = c_str!("cfsink");

    fn init_data() -> impl PinInit<()> {}

    fn start_xmit(_dev: &DriverDevice<Self>, skb: SkBuff) -> TxStatus {
        skb.drop_reason(DropReason::NotSpecified);
        TxStatus::Dropped
    }
}

#[vtable]
impl LinkOps for Sink {
    const KIND: &'static CStr = c_str!("cfsink");
    const POLICY: &'static [Policy] = &[Policy::unspec()];

    fn setup(dev: &Setup<'_>) {
        dev.ether_setup();
    }

    fn newlink(
        rtnl: &Rtnl,
        _: &Namespace,
        dev: NewDevice<'_, Self>,
        tb: &Attrs<'_>,
        _: Option<&Attrs<'_>>,
        extack: &ExtAck,
    ) -> Result {
        newlink_misuse(rtnl, dev, tb, extack)
    }
}

struct CompileFail {
    _reg: Pin<KBox<Registration<Sink>>>,
}

impl kernel::Module for CompileFail {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let reg = KBox::pin_init(Registration::<Sink>::new(), GFP_KERNEL)?;
        let rtnl = rtnl::lock();
        misuse(&reg, &rtnl)?;
        drop(rtnl);
        Ok(Self { _reg: reg })
    }
}

module! {
    type: CompileFail,
    name: "compile_fail",
    license: "GPL",
}

#[allow(dead_code)]
fn unused(_: Option<ARef<Device>>) {}
