//! Mobile push done properly: the profile's SNS platform applications
//! ([`apps`]), each customer's devices ([`devices`]) registered as platform
//! endpoints ([`register`]), notifications with a payload per platform
//! ([`content`]) and the fan-out of one recipient to every device
//! ([`deliver`]). See docs/campaigns.md, "Push".

pub mod apps;
pub mod content;
mod deliver;
pub mod devices;
mod platform;
pub mod register;

pub use content::{PushContent, PushTemplate, RenderedPush};
pub(crate) use deliver::deliver;
pub use deliver::{fan_out, record_notes, sendable_endpoints, DeviceNote};
pub use devices::Device;
pub use platform::Platform;
pub use register::{CheckReport, Registrar};
