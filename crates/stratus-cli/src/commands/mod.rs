pub mod demo;
pub mod events;
pub mod image;
pub mod profile;
pub mod progress;
pub mod serve;
pub mod store;
