//! Where Stratus keeps its files: one app data directory, resolved once at the
//! edge (the shell or the CLI) and passed in.

use std::path::{Path, PathBuf};

/// The app's identifier; also the folder name under the platform data dir, so
/// the CLI and the desktop app share one home.
pub const APP_IDENTIFIER: &str = "dev.stratus.console";

/// Environment variable that overrides the data directory (tests, the
/// end-to-end suite, several side-by-side setups).
pub const DATA_DIR_ENV: &str = "STRATUS_DATA_DIR";

/// The app data directory and the paths inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppHome {
    root: PathBuf,
}

impl AppHome {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        AppHome { root: root.into() }
    }

    /// `$STRATUS_DATA_DIR`, else the platform's data dir (on Linux
    /// `~/.local/share/dev.stratus.console`), the same folder Tauri gives the app.
    pub fn from_env_or(platform_default: Option<PathBuf>) -> Option<Self> {
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            return Some(AppHome::new(dir));
        }
        platform_default
            .or_else(|| dirs::data_dir().map(|d| d.join(APP_IDENTIFIER)))
            .map(AppHome::new)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The profiles file (no credentials in it).
    pub fn profiles_file(&self) -> PathBuf {
        self.root.join("profiles.toml")
    }

    /// Everything local to one profile: its database and, for demo, its buckets.
    pub fn profile_dir(&self, profile: &str) -> PathBuf {
        self.root.join("profiles").join(profile)
    }

    pub fn database(&self, profile: &str) -> PathBuf {
        self.profile_dir(profile).join("stratus.sqlite")
    }

    /// The directory standing in for a bucket in demo mode.
    pub fn local_bucket(&self, profile: &str, bucket: &str) -> PathBuf {
        self.profile_dir(profile).join("buckets").join(bucket)
    }

    /// Where the app writes exports (events and campaign recipients): the
    /// UI never names a path, it is shown the file made here.
    pub fn exports_dir(&self) -> PathBuf {
        self.root.join("exports")
    }

    /// Creates the data dir as `0700`, or tightens an existing one: it holds
    /// customer data and event caches that are nobody else's business.
    pub fn make_private(&self) -> std::io::Result<()> {
        crate::private_files::private_dir(&self.root)
    }

    /// Where a reset moves old profile data before deleting it.
    pub fn trash_dir(&self) -> PathBuf {
        self.root.join("trash")
    }
}
