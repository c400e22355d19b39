pub mod campaign;
pub mod customers;
pub mod demo;
pub mod image;
pub mod profile;
pub mod progress;
pub mod serve;
pub mod store;
