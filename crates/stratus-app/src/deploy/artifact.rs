//! Where the function zip comes from. Stratus is run from its clone, and
//! the zip is a build product of it (`scripts/package-lambda.sh --release
//! --build`, which `make deploy` runs): the CLI and the app look for it
//! where that script puts it and never build it themselves — a release
//! build of the function takes minutes and a toolchain the app must not
//! assume. Not found: a typed error naming the command that builds it.

use std::path::{Path, PathBuf};

use stratus_deploy::DeployError;

/// The release zip's file name under `<target dir>/lambda/`.
pub const RELEASE_ZIP: &str = "stratus-lambda-release.zip";

/// Names a zip to deploy instead of the release one (tests, a zip built
/// elsewhere).
pub const ZIP_ENV: &str = "STRATUS_LAMBDA_ZIP";

/// The command that builds the release zip, for messages.
pub const BUILD_COMMAND: &str = "scripts/package-lambda.sh --release --build";

/// A function zip read into memory.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Where the zip is looked for, in order: `$STRATUS_LAMBDA_ZIP` alone if
/// set; else the release zip under `$CARGO_TARGET_DIR` (the scripts export
/// it), under the target dir this binary was built with, and under the
/// clone's default `target/`.
pub fn candidates() -> Vec<PathBuf> {
    if let Some(zip) = std::env::var_os(ZIP_ENV) {
        return vec![PathBuf::from(zip)];
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        dirs.push(dir.into());
    }
    if let Some(dir) = option_env!("CARGO_TARGET_DIR") {
        dirs.push(dir.into());
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let mut paths: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let path = dir.join("lambda").join(RELEASE_ZIP);
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// The first candidate that exists, without reading it (what the app's
/// card shows before a plan).
pub fn find() -> Option<PathBuf> {
    candidates().into_iter().find(|p| p.is_file())
}

/// Reads `explicit` (the CLI's `--artifact`), else the first candidate
/// that exists.
pub fn load(explicit: Option<&Path>) -> Result<Artifact, DeployError> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => find().ok_or_else(|| {
            let looked: Vec<String> = candidates()
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            DeployError::Artifact(format!(
                "no function zip at {}; build it in the Stratus clone with `{BUILD_COMMAND}` (make deploy does), or set {ZIP_ENV} to a zip",
                looked.join(" or ")
            ))
        })?,
    };
    let bytes = std::fs::read(&path).map_err(|e| {
        DeployError::Artifact(format!(
            "{}: {e}; build it in the Stratus clone with `{BUILD_COMMAND}`",
            path.display()
        ))
    })?;
    Ok(Artifact { path, bytes })
}
