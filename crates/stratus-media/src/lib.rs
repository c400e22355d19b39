//! Images on demand: a variant (size, fit, format) of an original is made the
//! first time it is asked for and stored beside it; every later request is a
//! plain object-store hit. See `docs/images.md`.

pub mod budget;
pub mod demo;
pub mod error;
pub mod focus;
pub mod gravity;
pub mod key;
pub mod originals;
pub mod output;
pub mod pipeline;
pub mod placeholder;
pub mod preset;
pub mod published;
pub mod purge;
pub mod service;
pub mod spec;
pub mod warm;

pub use budget::BudgetConfig;
pub use error::{MediaError, Result};
pub use focus::FocalPoint;
pub use output::OutputFormat;
pub use pipeline::{render, render_with_focus, Limits, Rendered};
pub use preset::{Access, PresetCatalog};
pub use purge::purge_variants;
pub use service::{Outcome, Variant, VariantService};
pub use spec::{Fit, Format, Gravity, VariantSpec};
