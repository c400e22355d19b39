//! Deploying a profile's serverless half, as the CLI (`stratus deploy`,
//! `stratus teardown`) and the app's Settings both run it: the options
//! resolved into the template's parameters, the function artifact found,
//! a change set planned, applied with progress, the outputs written into
//! the profile and the presets published; a plan discarded; the stack
//! torn down. The front ends only ask and show (docs/production.md).

pub mod artifact;
pub mod flow;
pub mod pending;

pub use artifact::Artifact;
pub use flow::{
    DeployOptions, DeployStatus, Deployed, PlannedDeploy, ProfileDeploy, TeardownNotice,
};
pub use pending::PendingPlans;
// The deploy's own types, so the front ends need no second dependency.
pub use stratus_deploy::{Action, Change, DeploymentRecord, Plan, Replacement, Wiring};

use stratus_core::home::AppHome;
use stratus_core::profile::Profile;

/// Whether the profile's deployed stack rewrites `.auto` variant paths
/// (CloudFront wiring), so the editor may copy them. An unreadable or
/// older record (without its wiring) says no.
pub fn serves_auto_format(home: &AppHome, profile: &Profile) -> bool {
    DeploymentRecord::load(home, &profile.name)
        .ok()
        .flatten()
        .and_then(|r| r.wiring)
        .is_some_and(Wiring::negotiates_format)
}

#[cfg(test)]
mod tests {
    use stratus_deploy::DeployOutputs;

    use super::*;

    #[test]
    fn only_a_cloudfront_deploy_serves_auto_paths() {
        let dir = tempfile::tempdir().unwrap();
        let home = AppHome::new(dir.path());
        let profile = Profile::demo();
        assert!(!serves_auto_format(&home, &profile), "nothing deployed");
        let record = |wiring| {
            DeploymentRecord::new(
                "stratus-shop".into(),
                "shop".into(),
                "us-east-1".into(),
                wiring,
                &DeployOutputs::default(),
            )
        };
        record(Wiring::Website).save(&home, &profile.name).unwrap();
        assert!(!serves_auto_format(&home, &profile), "website wiring");
        record(Wiring::CloudFront)
            .save(&home, &profile.name)
            .unwrap();
        assert!(serves_auto_format(&home, &profile));
        // A record from before the wiring was kept: unknown, so no.
        let file = home.profile_dir(&profile.name).join("deployment.json");
        let mut old: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        old.as_object_mut().unwrap().remove("wiring");
        std::fs::write(&file, old.to_string()).unwrap();
        assert!(!serves_auto_format(&home, &profile));
    }
}
