//! The deploy flow the CLI and the app's Settings share, against moto's
//! CloudFormation: a first plan that is discarded leaves no stack; a plan
//! applied updates the stack, points the profile at it, keeps the record
//! and publishes the presets into the stack's bucket; the status reads the
//! stack; teardown deletes it and keeps the buckets. (Applying a first,
//! creating plan is in `stratus-gateway`'s `lambda_package` test: moto
//! gives a stack created by a change set no outputs, which this flow reads.) The template is a small one
//! with the real one's parameters and outputs (the real template's subset
//! is deployed by `stratus-gateway`'s `lambda_package` test).

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use stratus_app::deploy::{artifact, Action, DeployOptions, PendingPlans, ProfileDeploy};
use stratus_core::home::AppHome;
use stratus_core::profile::{CloudSettings, Profile, ProfileBook, ProfileKind};
use stratus_core::stack::Stack;
use stratus_core::{testing, CodedError, Failure};
use stratus_deploy::Wiring;

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
  MediaBucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    Properties:
      BucketName: !Sub "${NamePrefix}-media-${AWS::AccountId}-${AWS::Region}"
  EventsBucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    Properties:
      BucketName: !Sub "${NamePrefix}-events-${AWS::AccountId}-${AWS::Region}"
  ArtifactParameter:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/stratus/${NamePrefix}/artifact"
      Type: String
      Value: !Sub "s3://${ArtifactBucket}/${ArtifactKey} ${Wiring}"
Outputs:
  ImageBaseUrl: {Value: !Sub "https://${NamePrefix}.cdn.example"}
  ImageFunctionUrl: {Value: !Sub "https://${NamePrefix}.fn.example/"}
  CollectorUrl: {Value: !Sub "https://${NamePrefix}.collector.example/"}
  MediaBucketName: {Value: !Ref MediaBucket}
  EventsBucketName: {Value: !Ref EventsBucket}
"#;

/// The template as an earlier deploy had it: one resource more.
fn earlier_template() -> String {
    TEMPLATE.replace(
        "\nOutputs:",
        "\n  RetiredParameter:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: !Sub \"/stratus/${NamePrefix}/retired\"\n      Type: String\n      Value: retired\nOutputs:",
    )
}

fn cloud_profile(name: &str, endpoint: &str) -> Profile {
    Profile::cloud(
        name,
        CloudSettings {
            aws_profile: None,
            region: "us-east-1".into(),
            endpoint_url: Some(endpoint.to_string()),
            force_path_style: true,
            allow_insecure_http: false,
            media_bucket: "before-deploy-media".into(),
            events_bucket: "before-deploy-events".into(),
            topic_arn: None,
            image_function_url: None,
        },
    )
}

/// What the CLI does with the deployed profile: saves it, opens it.
async fn save_and_open(home: &AppHome, after: Profile) -> Result<Arc<Stack>, Failure> {
    let name = after.name.clone();
    let saved = ProfileBook::load(home).and_then(|mut book| book.save(Some(&name), after))?;
    Ok(Arc::new(Stack::open(home, saved).await?))
}

async fn deploy_of(home: &AppHome, profile: Profile) -> ProfileDeploy {
    ProfileDeploy::connect(home, profile)
        .await
        .unwrap()
        .with_template(TEMPLATE.to_string())
        .with_poll(Duration::ZERO)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_shown_then_applied_and_the_profile_uses_the_stack_until_teardown() {
    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let home = AppHome::new(dir.path());
    let profile = cloud_profile("shop", &endpoint);
    ProfileBook::load(&home)
        .unwrap()
        .save(None, profile.clone())
        .unwrap();
    let unique = testing::unique_bucket("d");
    let prefix = format!("d{}", &unique[unique.len() - 10..]);
    let options = DeployOptions {
        prefix: Some(prefix.clone()),
        ..DeployOptions::default()
    };
    let zip = dir.path().join("fn.zip");
    std::fs::write(&zip, b"PK not really a function").unwrap();
    let zip = artifact::load(Some(&zip)).unwrap().bytes;
    let deploy = deploy_of(&home, profile.clone()).await;
    let s3 = testing::s3_client(&endpoint);

    // A first plan, held as the app holds it, read and discarded: no
    // stack, no change set is left.
    let settings = deploy.settings(&options).unwrap();
    let first = deploy.plan(settings.clone(), &zip).await.unwrap();
    assert!(first.plan.creates_stack);
    let mut planned_ids: Vec<&str> = first
        .plan
        .changes
        .iter()
        .map(|c| c.logical_id.as_str())
        .collect();
    planned_ids.sort();
    assert_eq!(
        planned_ids,
        ["ArtifactParameter", "EventsBucket", "MediaBucket"]
    );
    assert_eq!(
        first.settings.artifact_bucket,
        format!("{prefix}-artifacts-123456789012-us-east-1")
    );
    let pending = PendingPlans::default();
    pending.put(first.clone());
    let stale = pending.take("shop", "stratus-0-0000");
    assert_eq!(stale.unwrap_err().code(), "plan_not_found");
    let first = pending.take("shop", &first.plan.change_set_name).unwrap();
    assert!(pending.get("shop").is_none());
    deploy.discard(&first).await.unwrap();
    assert_eq!(
        deploy.stack_state(&first.plan.stack_name).await.unwrap(),
        None,
        "a discarded first plan leaves no stack"
    );

    // moto gives a stack created by a change set no outputs, so the stack
    // an earlier deploy made is created directly (as a team's pipeline
    // would), from an older template with a resource the current one has
    // dropped; the flow plans and applies the update (and website wiring
    // instead of CloudFront).
    let sdk = stratus_core::cloud::sdk_config(
        match &profile.kind {
            ProfileKind::Cloud(c) => c,
            ProfileKind::Demo => unreachable!("a cloud profile"),
        },
        stratus_core::cloud::Patience::Normal,
    )
    .await;
    let parameters = settings
        .parameters("earlier.zip")
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_cloudformation::types::Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect();
    aws_sdk_cloudformation::Client::new(&sdk)
        .create_stack()
        .stack_name(settings.stack_name())
        .template_body(earlier_template())
        .set_parameters(Some(parameters))
        .send()
        .await
        .unwrap();
    let website = deploy
        .settings(&DeployOptions {
            wiring: Wiring::Website,
            ..options.clone()
        })
        .unwrap();
    let planned = deploy.plan(website, &zip).await.unwrap();
    assert!(!planned.plan.creates_stack);
    let changed: Vec<(&str, Action)> = planned
        .plan
        .changes
        .iter()
        .map(|c| (c.logical_id.as_str(), c.action))
        .collect();
    assert_eq!(changed, [("RetiredParameter", Action::Remove)]);
    assert_eq!(planned.plan.destructive().count(), 1, "a removal is warned");

    let heard = Mutex::new(Vec::new());
    let deployed = deploy
        .apply(
            &planned,
            |p| heard.lock().unwrap().push((p.done, p.total)),
            |after| save_and_open(&home, after),
        )
        .await
        .unwrap();
    let heard = heard.into_inner().unwrap();
    assert_eq!(heard.last(), Some(&(1, Some(1))), "{heard:?}");

    // The profile on disk uses the stack: its buckets and, with website
    // wiring, the image function as the image URL base.
    let media = format!("{prefix}-media-123456789012-us-east-1");
    let reread = ProfileBook::load(&home).unwrap().get("shop").unwrap();
    assert_eq!(reread.media_bucket(), media);
    assert_eq!(
        reread.events_bucket(),
        format!("{prefix}-events-123456789012-us-east-1")
    );
    assert_eq!(
        reread.image_function_url(),
        Some(format!("https://{prefix}.fn.example").as_str())
    );
    assert_eq!(deployed.profile, reread);
    assert_eq!(
        deployed.outputs.collector_url.as_deref(),
        Some(format!("https://{prefix}.collector.example/").as_str())
    );
    // The deploy carried the presets into the new bucket.
    let presets = s3
        .get_object()
        .bucket(&media)
        .key("variants/.presets.json")
        .send()
        .await
        .unwrap();
    let body = presets.body.collect().await.unwrap().into_bytes();
    let catalog = stratus_media::published::from_json(&body).unwrap();
    assert_eq!(catalog.presets().len(), deployed.presets);
    assert!(deployed.presets > 0);

    // The record and the stack's status.
    let status = deploy.status().await.unwrap();
    let record = status.record.unwrap();
    assert_eq!(record.wiring, Some(Wiring::Website));
    assert_eq!(record.name_prefix, prefix);
    assert_eq!(status.stack_status.as_deref(), Some("UPDATE_COMPLETE"));
    // Website wiring has no `.auto` paths for the editor to copy.
    assert!(!stratus_app::deploy::serves_auto_format(&home, &reread));

    // Teardown says what it keeps, deletes the stack, keeps the buckets.
    let notice = deploy.teardown_notice().unwrap();
    assert!(
        notice.keeps.iter().any(|k| k.contains(&media)),
        "{notice:?}"
    );
    deploy.teardown().await.unwrap();
    let after = deploy.status().await.unwrap();
    assert!(after.record.is_none() && after.stack_status.is_none());
    s3.head_bucket().bucket(&media).send().await.unwrap();
    assert_eq!(deploy.teardown_notice().unwrap_err().code(), "not_deployed");
}

#[tokio::test]
async fn what_cannot_be_deployed_is_refused_with_its_code_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let home = AppHome::new(dir.path());

    let demo = ProfileDeploy::connect(&home, Profile::demo()).await;
    assert_eq!(demo.err().unwrap().code(), "deploy_needs_cloud");

    // An unreachable endpoint: nothing here may reach it.
    let deploy = ProfileDeploy::connect(&home, cloud_profile("Shop_Prod", "http://127.0.0.1:9"))
        .await
        .unwrap();
    // The default prefix is the profile's name made fit.
    let settings = deploy.settings(&DeployOptions::default()).unwrap();
    assert_eq!(settings.name_prefix, "shop-prod");
    assert_eq!(settings.collector_concurrency, 10);
    let bad = deploy.settings(&DeployOptions {
        prefix: Some("Shop!".into()),
        wiring: Wiring::Website,
        ..DeployOptions::default()
    });
    assert_eq!(bad.unwrap_err().code(), "invalid_settings");
    assert_eq!(deploy.teardown_notice().unwrap_err().code(), "not_deployed");

    let missing = artifact::load(Some(&dir.path().join("no.zip")));
    let missing = missing.unwrap_err();
    assert_eq!(missing.code(), "artifact_missing");
    assert!(
        missing.to_string().contains(artifact::BUILD_COMMAND),
        "{missing}"
    );
}

/// S3 refuses a CreateBucket without a location constraint outside
/// us-east-1, so the first plan in any other region (the README's
/// eu-west-1) must create the artifact bucket with one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_plan_outside_us_east_1_creates_the_artifact_bucket_in_that_region() {
    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let home = AppHome::new(dir.path());
    let mut profile = cloud_profile("shop", &endpoint);
    if let ProfileKind::Cloud(cloud) = &mut profile.kind {
        cloud.region = "eu-west-1".into();
    }
    let unique = testing::unique_bucket("r");
    let prefix = format!("r{}", &unique[unique.len() - 10..]);
    let deploy = deploy_of(&home, profile).await;
    let settings = deploy
        .settings(&DeployOptions {
            prefix: Some(prefix.clone()),
            ..DeployOptions::default()
        })
        .unwrap();
    let zip = dir.path().join("fn.zip");
    std::fs::write(&zip, b"PK not really a function").unwrap();
    let zip = artifact::load(Some(&zip)).unwrap().bytes;

    let planned = deploy.plan(settings, &zip).await.unwrap();
    let bucket = format!("{prefix}-artifacts-123456789012-eu-west-1");
    assert_eq!(planned.settings.artifact_bucket, bucket);
    let location = testing::s3_client(&endpoint)
        .get_bucket_location()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        location.location_constraint().map(|l| l.as_str()),
        Some("eu-west-1")
    );
    deploy.discard(&planned).await.unwrap();
}
