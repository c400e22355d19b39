use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use bytes::Bytes;
use clap::Subcommand;
use stratus_core::stack::BucketRole;
use stratus_core::store::{ListRequest, PutOptions};
use tokio::io::AsyncWriteExt;

use crate::context::Context;

#[derive(Subcommand)]
pub enum StoreCommand {
    /// List objects under a prefix (folders end with `/` unless --recursive).
    Ls {
        #[arg(default_value = "")]
        prefix: String,
        #[arg(long, default_value = "media", value_parser = ["media", "events"])]
        bucket: String,
        #[arg(long, short)]
        recursive: bool,
    },
    /// Write an object to a file, or to stdout.
    Get {
        key: String,
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[arg(long, default_value = "media", value_parser = ["media", "events"])]
        bucket: String,
    },
    /// Upload a file; the key defaults to the file name.
    Put {
        file: PathBuf,
        key: Option<String>,
        #[arg(long)]
        content_type: Option<String>,
        /// Fail instead of replacing an existing object.
        #[arg(long)]
        no_overwrite: bool,
        #[arg(long, default_value = "media", value_parser = ["media", "events"])]
        bucket: String,
    },
    /// Delete an object.
    Rm {
        key: String,
        #[arg(long, default_value = "media", value_parser = ["media", "events"])]
        bucket: String,
    },
}

pub async fn run(ctx: &Context, cmd: StoreCommand) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    match cmd {
        StoreCommand::Ls {
            prefix,
            bucket,
            recursive,
        } => {
            let store = stack.bucket(BucketRole::parse(&bucket)?);
            let mut request = ListRequest::prefix(prefix);
            if !recursive {
                request = request.with_delimiter('/');
            }
            loop {
                let page = store.list(request.clone()).await?;
                for folder in &page.common_prefixes {
                    println!("{:>12}  {:<24}  {folder}", "-", "folder");
                }
                for o in &page.objects {
                    println!(
                        "{:>12}  {:<24}  {}",
                        o.size,
                        o.etag.as_deref().unwrap_or("-"),
                        o.key
                    );
                }
                match page.next_continuation {
                    Some(token) => request = request.continue_from(Some(token)),
                    None => break,
                }
            }
        }
        StoreCommand::Get {
            key,
            output,
            bucket,
        } => {
            let store = stack.bucket(BucketRole::parse(&bucket)?);
            let mut object = store.get(&key, None).await?;
            match output {
                Some(path) => {
                    let mut file = tokio::fs::File::create(&path)
                        .await
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    let n = tokio::io::copy(&mut object.body, &mut file).await?;
                    file.flush().await?;
                    eprintln!("wrote {n} bytes to {}", path.display());
                }
                None => {
                    let mut stdout = tokio::io::stdout();
                    tokio::io::copy(&mut object.body, &mut stdout).await?;
                    stdout.flush().await?;
                }
            }
        }
        StoreCommand::Put {
            file,
            key,
            content_type,
            no_overwrite,
            bucket,
        } => {
            let store = stack.bucket(BucketRole::parse(&bucket)?);
            let key = match key {
                Some(k) => k,
                None => file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .map(str::to_string)
                    .context("the file has no usable name: give the key explicitly")?,
            };
            let body = tokio::fs::read(&file)
                .await
                .with_context(|| format!("cannot read {}", file.display()))?;
            let content_type = content_type
                .or_else(|| mime_guess::from_path(&file).first().map(|m| m.to_string()));
            let meta = store
                .put(
                    &key,
                    Bytes::from(body),
                    PutOptions {
                        content_type,
                        if_none_match: no_overwrite,
                        ..PutOptions::default()
                    },
                )
                .await?;
            println!(
                "stored {} ({} bytes, etag {})",
                meta.key,
                meta.size,
                meta.etag.as_deref().unwrap_or("-")
            );
        }
        StoreCommand::Rm { key, bucket } => {
            stack
                .bucket(BucketRole::parse(&bucket)?)
                .delete(&key)
                .await?;
            println!("deleted {key}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
