pub mod demo;
pub mod profile;
pub mod progress;
pub mod store;
