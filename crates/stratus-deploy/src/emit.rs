//! `stratus deploy --emit DIR`: the template, the artifact and the
//! parameters, for a team's own pipeline (`aws cloudformation deploy`).

use std::path::{Path, PathBuf};

use crate::error::{DeployError, Result};
use crate::settings::DeploySettings;
use crate::template::TEMPLATE;

/// Writes `stratus.yaml`, `stratus-lambda.zip` and `parameters.json`
/// (CloudFormation's `--parameter-overrides` form, `Key=Value`) into `dir`
/// and returns their paths.
pub fn emit(dir: &Path, settings: &DeploySettings, zip: &[u8]) -> Result<Vec<PathBuf>> {
    let fail = |e: std::io::Error| DeployError::Unexpected(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let template = dir.join("stratus.yaml");
    std::fs::write(&template, TEMPLATE).map_err(fail)?;
    let artifact = dir.join("stratus-lambda.zip");
    std::fs::write(&artifact, zip).map_err(fail)?;
    // The artifact key is the pipeline's to choose once it has uploaded it.
    let overrides: Vec<String> = settings
        .parameters("stratus-lambda.zip")
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let parameters = dir.join("parameters.json");
    let json = serde_json::to_string_pretty(&overrides)
        .map_err(|e| DeployError::Unexpected(e.to_string()))?;
    std::fs::write(&parameters, json).map_err(fail)?;
    Ok(vec![template, artifact, parameters])
}
