//! What every command needs: the app home and which profile to use.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use stratus_core::home::AppHome;
use stratus_core::profile::{Profile, ProfileBook};
use stratus_core::stack::Stack;

pub struct Context {
    pub home: AppHome,
    profile_override: Option<String>,
}

impl Context {
    pub fn new(data_dir: Option<PathBuf>, profile_override: Option<String>) -> Result<Self> {
        let home = match data_dir {
            Some(dir) => AppHome::new(dir),
            None => AppHome::from_env_or(None).ok_or_else(|| {
                anyhow!("no data directory: pass --data-dir or set STRATUS_DATA_DIR")
            })?,
        };
        Ok(Context {
            home,
            profile_override,
        })
    }

    pub fn book(&self) -> Result<ProfileBook> {
        Ok(ProfileBook::load(&self.home)?)
    }

    /// The profile commands act on: `--profile`, else the active one.
    pub fn profile(&self) -> Result<Profile> {
        let book = self.book()?;
        Ok(match &self.profile_override {
            Some(name) => book.get(name)?,
            None => book.active(),
        })
    }

    /// Opens the profile as the app does (the demo profile seeded on first
    /// use). Unlike the app, a profile that cannot be opened is an error,
    /// never a silent fall back to demo.
    pub async fn stack(&self) -> Result<Stack> {
        Ok(stratus_app::stack::open(&self.home, self.profile()?).await?)
    }
}
