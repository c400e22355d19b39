//! The deploy template, compiled in so the CLI and the app deploy exactly
//! the template `make test` lints (`infra/stratus.yaml`).

pub const TEMPLATE: &str = include_str!("../../../infra/stratus.yaml");
