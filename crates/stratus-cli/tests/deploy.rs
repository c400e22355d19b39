//! `stratus deploy` as an admin runs it against moto's CloudFormation: a
//! team's own template (`--template`), nothing uploaded or planned when
//! nobody can answer the question, and `--plan-only` that never applies,
//! not even an empty plan.

#![allow(clippy::unwrap_used)]

use std::process::Command;

mod support;
use support::{ok, s3_endpoint, stratus, use_s3_profile};

/// The built-in template's parameters (the deploy passes them all) and one
/// resource moto creates.
const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  NamePrefix: {Type: String}
  ArtifactBucket: {Type: String}
  ArtifactKey: {Type: String}
  Wiring: {Type: String}
  UseFirehose: {Type: String}
  AllowedOrigins: {Type: String, Default: ""}
  CollectorConcurrency: {Type: Number}
Resources:
  TeamParameter:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/stratus/${NamePrefix}/team"
      Type: String
      Value: !Ref ArtifactKey
"#;

fn status_of(url: &str) -> String {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", url])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_team_template_is_planned_asked_for_and_plan_only_never_applies() {
    let Some(endpoint) = s3_endpoint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (media, _) = use_s3_profile(dir.path(), &endpoint, "dp");
    let template = dir.path().join("team.yaml");
    std::fs::write(&template, TEMPLATE).unwrap();
    let zip = dir.path().join("fn.zip");
    std::fs::write(&zip, b"PK not really a function").unwrap();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let prefix = format!("dp{}", &id[id.len() - 10..]);
    let deploy = |extra: &[&str]| {
        let mut args = vec![
            "deploy",
            "--prefix",
            &prefix,
            "--artifact",
            zip.to_str().unwrap(),
            "--template",
            template.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        stratus(dir.path(), &args)
    };
    let artifacts = format!("{endpoint}/{prefix}-artifacts-123456789012-us-east-1");

    // No terminal and no --yes: refused before anything is uploaded, so
    // no artifact bucket and no half-made stack is left in the account.
    let refused = deploy(&[]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("--yes") && err.contains("--plan-only"),
        "{err}"
    );
    assert_eq!(status_of(&artifacts), "404");

    // The team's template is what is planned and applied. (Not a
    // plan-only first: moto makes a second stack of the same name when a
    // stack left in review gets another creating change set.)
    let applied = ok(deploy(&["--yes"]));
    assert!(applied.contains("TeamParameter"), "{applied}");
    // The profile keeps its buckets: moto gives a stack made by a change
    // set no outputs.
    let presets = || {
        stratus(dir.path(), &["store", "get", "variants/.presets.json"])
            .status
            .success()
    };
    assert!(presets(), "the apply publishes the presets into {media}");
    ok(stratus(
        dir.path(),
        &["store", "rm", "variants/.presets.json"],
    ));

    // Up to date: a plan-only run says so and changes nothing (before, an
    // empty plan was applied: presets published again, profile rewritten).
    let again = ok(deploy(&["--plan-only"]));
    assert!(again.contains("up to date"), "{again}");
    assert!(!again.contains("Presets published"), "{again}");
    assert!(!presets(), "a plan publishes nothing");

    ok(stratus(dir.path(), &["teardown", "--yes"]));
}
