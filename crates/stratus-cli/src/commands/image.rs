//! `stratus image`: make a variant, upload, delete and move originals, warm
//! a preset, purge variants, set focal points, print placeholders, sign
//! URLs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use bytes::Bytes;
use clap::Subcommand;
use stratus_core::jobs::CancellationToken;
use stratus_media::focus::{focus_of, set_focus};
use stratus_media::originals::{delete_original, move_original, upload_original};
use stratus_media::placeholder::placeholder_of;
use stratus_media::published;
use stratus_media::warm::warm;
use stratus_media::{purge_variants, FocalPoint, Limits, Outcome, PresetCatalog, VariantService};

use super::progress::TerminalProgress;
use crate::context::Context;

#[derive(Subcommand)]
pub enum ImageCommand {
    /// Get (making it if missing) a variant of an original.
    Get {
        preset: String,
        key: String,
        /// Write it here (default: print where it is stored).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Accept header for `auto` presets, e.g. "image/avif,image/webp".
        #[arg(long)]
        accept: Option<String>,
    },
    /// Upload image files as originals.
    Upload {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Folder to put them in, e.g. `products/` (`products` is the same
        /// folder: a slash is added).
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Make a preset for every original under a prefix.
    Warm { preset: String, prefix: String },
    /// Delete every stored variant of an original (they are made again on
    /// the next request). Uploading a replacement does this by itself.
    Purge { key: String },
    /// Delete an original and its variants.
    Delete { key: String },
    /// Rename or move an original (never over an existing one); the old
    /// key's variants are purged, the new key's are made on request.
    Move { from: String, to: String },
    /// Set an original's focal point, which presets with `focus` gravity
    /// keep in their crop; its variants are purged. Without a point (and
    /// without --clear), print the current one.
    Focus {
        key: String,
        /// `x,y` as fractions of the width and height from the top-left
        /// corner, e.g. `0.42,0.31`.
        #[arg(conflicts_with = "clear")]
        point: Option<String>,
        /// Remove the focal point (crops with `focus` gravity then centre).
        #[arg(long)]
        clear: bool,
    },
    /// Print an original's placeholders for lazy loading: its ThumbHash
    /// and a tiny WebP as a data: URI.
    Placeholder { key: String },
    /// Print a signed `/img/<spec>/<key>` URL (any canonical spec, not
    /// only presets), valid for --expires-in seconds.
    Sign(super::image_sign::SignArgs),
    /// List the presets and the allow-list of the profile.
    Presets {
        /// Also write them to the media bucket, where the deployed function
        /// reads them (the app does this on every Save).
        #[arg(long)]
        publish: bool,
    },
}

pub async fn run(ctx: &Context, cmd: ImageCommand) -> Result<ExitCode> {
    // Signing needs the keys only, not the profile's stores.
    if let ImageCommand::Sign(args) = cmd {
        super::image_sign::run(args)?;
        return Ok(ExitCode::SUCCESS);
    }
    let stack = ctx.stack().await?;
    let catalog = PresetCatalog::load(&stack.db).await?;
    let service = VariantService::new(Arc::clone(&stack.media), Limits::default());
    match cmd {
        ImageCommand::Get {
            preset,
            key,
            output,
            accept,
        } => {
            let variant = service
                .get_variant(&catalog, &key, &preset, accept.as_deref())
                .await?;
            let how = match variant.outcome {
                Outcome::Hit => "hit".to_string(),
                Outcome::Made { millis } => format!("made in {millis} ms"),
            };
            let size = match (variant.width, variant.height) {
                (Some(w), Some(h)) => format!("{w}×{h}"),
                _ => "?".to_string(),
            };
            if let Some(path) = output {
                std::fs::write(&path, &variant.bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!(
                    "{} ({size}, {} bytes, {how}) → {}",
                    variant.key,
                    variant.bytes.len(),
                    path.display()
                );
            } else {
                println!(
                    "{} ({size}, {} bytes, {how})",
                    variant.key,
                    variant.bytes.len()
                );
            }
        }
        ImageCommand::Upload { files, prefix } => {
            // Each file is reported on its own line; one that cannot be read
            // or is refused does not stop the others.
            let folder = folder(&prefix);
            let mut failed = 0;
            for file in files {
                match upload_file(&*stack.media, &folder, &file).await {
                    Ok(meta) => println!("uploaded {} ({} bytes)", meta.key, meta.size),
                    Err((code, message)) => {
                        failed += 1;
                        eprintln!("error[{code}]: {}: {message}", file.display());
                    }
                }
            }
            if failed > 0 {
                eprintln!("{failed} file(s) not uploaded");
                return Ok(ExitCode::FAILURE);
            }
        }
        ImageCommand::Warm { preset, prefix } => {
            let bar = TerminalProgress::new();
            let cancel = CancellationToken::new();
            let on_ctrl_c = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_ctrl_c.cancel();
                }
            });
            let report = warm(
                &service,
                &catalog,
                &preset,
                &prefix,
                |p| bar.update(p),
                &cancel,
            )
            .await?;
            bar.finish();
            println!(
                "{preset}: {} made, {} already there, {} failed",
                report.made,
                report.already,
                report.failed.len()
            );
            for (key, error) in &report.failed {
                eprintln!("  failed {key}: {error}");
            }
            if report.cancelled {
                eprintln!("cancelled before the end");
            }
            if !report.failed.is_empty() || report.cancelled {
                return Ok(ExitCode::FAILURE);
            }
        }
        ImageCommand::Purge { key } => {
            let purged = purge_variants(&*stack.media, &key).await?;
            for variant in &purged {
                println!("deleted {variant}");
            }
            println!("{key}: {} variant(s) purged", purged.len());
        }
        ImageCommand::Delete { key } => {
            let deleted = delete_original(&*stack.media, &key).await?;
            println!("deleted {key} and {} variant(s)", deleted.variants.len());
        }
        ImageCommand::Move { from, to } => {
            let moved = move_original(&*stack.media, &from, &to, &Limits::default()).await?;
            println!(
                "moved {from} → {to}; {} variant(s) of the old key purged",
                moved.variants.len()
            );
        }
        ImageCommand::Focus { key, point, clear } => {
            if point.is_none() && !clear {
                match focus_of(&*stack.media, &key).await? {
                    Some(point) => println!("{key}: focal point {point}"),
                    None => println!("{key}: no focal point (focus crops centre)"),
                }
                return Ok(ExitCode::SUCCESS);
            }
            let point = point.as_deref().map(FocalPoint::from_input).transpose()?;
            let changed = set_focus(&*stack.media, &key, point).await?;
            let what = match changed.focus {
                Some(point) => format!("focal point {point}"),
                None => "focal point cleared".to_string(),
            };
            println!(
                "{key}: {what}; {} variant(s) purged",
                changed.variants.len()
            );
        }
        ImageCommand::Placeholder { key } => {
            let p = placeholder_of(&*stack.media, &key, &Limits::default()).await?;
            println!("thumbhash {}", p.thumbhash);
            println!("lqip      {} ({}×{})", p.lqip, p.lqip_width, p.lqip_height);
        }
        ImageCommand::Sign(_) => unreachable!("signed above, before the stack opens"),
        ImageCommand::Presets { publish } => {
            for (name, spec) in catalog.presets() {
                println!("{name:<12} {spec}");
            }
            for spec in catalog.extra_specs() {
                println!("{:<12} {spec}", "(allowed)");
            }
            if publish {
                published::publish(&*stack.media, &catalog).await?;
                println!(
                    "published to {} ({})",
                    stack.media.location(),
                    published::PUBLISHED_PRESETS_KEY
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--prefix` names a folder: `mine` and `mine/` both put `Dune.jpg` at
/// `mine/Dune.jpg` (never `mineDune.jpg`); empty is the bucket's top.
fn folder(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    }
}

/// Reads and uploads one file; the error as its code and one sentence.
async fn upload_file(
    store: &dyn stratus_core::store::ObjectStore,
    folder: &str,
    file: &std::path::Path,
) -> std::result::Result<stratus_core::store::ObjectMeta, (&'static str, String)> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or(("bad_file_name", "the file has no usable name".to_string()))?;
    let bytes = std::fs::read(file).map_err(|e| ("io", format!("cannot read it: {e}")))?;
    upload_original(
        store,
        &format!("{folder}{name}"),
        Bytes::from(bytes),
        &Limits::default(),
    )
    .await
    .map_err(|e| (e.code(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::folder;

    #[test]
    fn a_prefix_is_a_folder() {
        assert_eq!(folder(""), "");
        assert_eq!(folder("mine"), "mine/");
        assert_eq!(folder("products/"), "products/");
        assert_eq!(folder("a/b"), "a/b/");
    }
}
