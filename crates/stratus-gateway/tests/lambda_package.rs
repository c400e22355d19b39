//! The packaged function (`scripts/package-lambda.sh`: `bootstrap` and
//! `lib/` in a zip) run as Lambda runs it: unpacked, with a bare
//! environment, polling a Runtime API emulator, against the S3-compatible
//! server. `make test` packages the binary it built and names the zip in
//! `STRATUS_LAMBDA_PACKAGE`.

#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used)]

mod package;
mod runtime_api;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use package::{answer, package, sdk, start_function, unpack};
use runtime_api::RuntimeApi;
use stratus_core::testing;

const IMAGE_EVENT: &str = include_str!("fixtures/apigw-v2-image.json");
const COLLECT_EVENT: &str = include_str!("fixtures/apigw-v2-collect.json");
const PATIENCE: Duration = Duration::from_secs(120);

fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let pixels: Vec<u8> = (0..u32::from(width) * u32::from(height))
        .flat_map(|i| [(i % 251) as u8, 60, 120])
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

async fn keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Vec<String> {
    let out = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

/// Sends the collector fixture (one good event, one bad) and checks the
/// answer: 200, one accepted, one rejected.
async fn collect_fixture_batch(api: &RuntimeApi, log: &Path) {
    let collected = answer(api.invoke(COLLECT_EVENT, PATIENCE).await, log);
    assert_eq!(collected["statusCode"], 200, "{collected}");
    let body: serde_json::Value =
        serde_json::from_str(collected["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        (body["accepted"].as_u64(), body["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_bootstrap_serves_images_and_events_behind_the_runtime_api() {
    let Some(zip) = package() else {
        return;
    };
    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    let task = tempfile::tempdir().unwrap();
    unpack(&zip, task.path());
    let lib = task.path().join("lib");

    // The library Lambda's image lacks resolves to the zip's copy.
    let ldd = Command::new("ldd")
        .arg(task.path().join("bootstrap"))
        .env("LD_LIBRARY_PATH", &lib)
        .output()
        .unwrap();
    let ldd = String::from_utf8_lossy(&ldd.stdout);
    assert!(
        ldd.contains(&format!("{}/libturbojpeg.so.0", lib.display())),
        "libturbojpeg from the zip's lib/: {ldd}"
    );

    let s3 = testing::s3_client(&endpoint);
    let (media, events) = (
        testing::unique_bucket("fn-media"),
        testing::unique_bucket("fn-events"),
    );
    for bucket in [&media, &events] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    s3.put_object()
        .bucket(&media)
        .key("photos/a.jpg")
        .content_type("image/jpeg")
        .body(jpeg(200, 150).into())
        .send()
        .await
        .unwrap();

    let api = RuntimeApi::start().await;
    let log = task.path().join("function.log");
    let _function = start_function(
        task.path(),
        &api,
        &endpoint,
        &[
            ("STRATUS_MEDIA_BUCKET", &media),
            ("STRATUS_EVENTS_BUCKET", &events),
        ],
    );

    // An image request: made on the miss, stored, served as WebP.
    let image = answer(api.invoke(IMAGE_EVENT, PATIENCE).await, &log);
    assert_eq!(image["statusCode"], 200, "{image}");
    assert_eq!(image["headers"]["content-type"], "image/webp", "{image}");
    assert_eq!(image["isBase64Encoded"], true);
    let webp = base64::engine::general_purpose::STANDARD
        .decode(image["body"].as_str().unwrap())
        .unwrap();
    assert!(webp.starts_with(b"RIFF") && &webp[8..12] == b"WEBP");
    let variants = keys(&s3, &media, "variants/").await;
    assert_eq!(variants.len(), 1, "the variant is stored: {variants:?}");

    // The same request again is answered from the stored variant.
    let again = answer(api.invoke(IMAGE_EVENT, PATIENCE).await, &log);
    assert_eq!(again["statusCode"], 200);
    assert_eq!(keys(&s3, &media, "variants/").await, variants);

    // A browser's batch: written before the answer, bad line aside.
    collect_fixture_batch(&api, &log).await;
    assert_eq!(keys(&s3, &events, "events/v1/").await.len(), 1);
    assert_eq!(keys(&s3, &events, "bad/v1/").await.len(), 1);
    assert_eq!(api.init_error(), None);
}

/// A Firehose delivery stream into `bucket`, configured as the deploy's
/// (`UNCOMPRESSED`: the records are gzip members already). Moto does not
/// evaluate `!{timestamp:…}` in a prefix, so the test spells today's
/// partition itself; moto then adds its own `YYYY/MM/DD/HH/` folders, which
/// sync reads like any key under the partition.
async fn delivery_stream(firehose: &aws_sdk_firehose::Client, bucket: &str) -> String {
    use aws_sdk_firehose::types::{CompressionFormat, ExtendedS3DestinationConfiguration};
    let name = testing::unique_bucket("events-stream");
    let partition = stratus_events::collector::batch_key::partition(chrono::Utc::now());
    firehose
        .create_delivery_stream()
        .delivery_stream_name(&name)
        .extended_s3_destination_configuration(
            ExtendedS3DestinationConfiguration::builder()
                .bucket_arn(format!("arn:aws:s3:::{bucket}"))
                .role_arn("arn:aws:iam::123456789012:role/stratus-firehose")
                .prefix(format!("events/v1/{partition}"))
                .compression_format(CompressionFormat::Uncompressed)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    name
}

/// Syncs `bucket` into a fresh cache, as the app does. Moto ignores the
/// stream's `FileExtension` (`.ndjson.gz` in the deploy's template), so its
/// delivered objects are first given that name, as Firehose names them.
async fn sync_into(
    db: &stratus_core::db::Db,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> stratus_events::sync::SyncReport {
    for key in keys(s3, bucket, "events/v1/").await {
        if key.ends_with(".ndjson.gz") {
            continue;
        }
        s3.copy_object()
            .bucket(bucket)
            .copy_source(format!("{bucket}/{key}"))
            .key(format!("{key}.ndjson.gz"))
            .send()
            .await
            .unwrap();
        s3.delete_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
    }
    let store = std::sync::Arc::new(stratus_core::store::S3Store::new(
        s3.clone(),
        bucket.to_string(),
        "S3",
    ));
    stratus_events::sync::sync(
        db,
        store,
        &stratus_events::sync::SyncOptions::default(),
        |_| {},
        &stratus_core::jobs::CancellationToken::new(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_can_send_through_firehose_and_sync_reads_what_it_delivers() {
    let Some(zip) = package() else {
        return;
    };
    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    let task = tempfile::tempdir().unwrap();
    unpack(&zip, task.path());
    let s3 = testing::s3_client(&endpoint);
    let events = testing::unique_bucket("fh-events");
    s3.create_bucket().bucket(&events).send().await.unwrap();
    let firehose = aws_sdk_firehose::Client::new(&sdk(&endpoint).await);
    let stream = delivery_stream(&firehose, &events).await;

    let api = RuntimeApi::start().await;
    let log = task.path().join("function.log");
    let _function = start_function(
        task.path(),
        &api,
        &endpoint,
        &[
            ("STRATUS_EVENTS_BUCKET", &events),
            ("STRATUS_FIREHOSE_STREAM", &stream),
        ],
    );
    collect_fixture_batch(&api, &log).await;
    // The accepted event went through the stream (its object is named by
    // Firehose, not by the collector); the rejected line straight to bad/.
    let delivered = keys(&s3, &events, "events/v1/").await;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert!(delivered[0].contains(&stream), "{delivered:?}");
    assert_eq!(keys(&s3, &events, "bad/v1/").await.len(), 1);

    let cache = tempfile::tempdir().unwrap();
    let db = stratus_core::db::Db::open(&cache.path().join("cache.sqlite")).unwrap();
    let first = sync_into(&db, &s3, &events).await;
    assert_eq!(
        (first.ingested, first.events_inserted, first.bad_lines),
        (1, 1, 0),
        "the delivered object is an ordinary batch to sync: {first:?}"
    );

    // The sender retries (say its answer was lost): the stream takes the
    // event again, and sync keeps one.
    collect_fixture_batch(&api, &log).await;
    let second = sync_into(&db, &s3, &events).await;
    assert_eq!(
        (second.events_inserted, second.duplicates),
        (0, 1),
        "{second:?}"
    );
    assert_eq!(api.init_error(), None);
}

const S3_NOTIFICATION: &str = include_str!("fixtures/s3-notification.json");

/// A distribution in front of `bucket`, as the deploy makes one.
async fn distribution(cf: &aws_sdk_cloudfront::Client, bucket: &str) -> String {
    use aws_sdk_cloudfront::types::{
        DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig,
        ViewerProtocolPolicy,
    };
    let origin = Origin::builder()
        .id("media")
        .domain_name(format!("{bucket}.s3.us-east-1.amazonaws.com"))
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference(bucket)
        .comment("stratus test")
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("media")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let created = cf
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap();
    created.distribution().unwrap().id().to_string()
}

/// An image request event for `path` (and query).
fn image_event(path: &str, query: &str) -> String {
    let mut event: serde_json::Value = serde_json::from_str(IMAGE_EVENT).unwrap();
    event["rawPath"] = path.into();
    event["rawQueryString"] = query.into();
    event["requestContext"]["http"]["path"] = path.into();
    event.to_string()
}

/// The deploy template as moto can apply it, and the resources it had to
/// leave out (`tests/moto/template_subset.py`).
fn moto_template() -> (String, serde_json::Value) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap()
        .join(".cache/stratus/venv/bin/python");
    let out = Command::new(&python)
        .arg(root.join("tests/moto/template_subset.py"))
        .arg(root.join("infra/stratus.yaml"))
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/setup.sh installs it)", python.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let split: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (split["template"].to_string(), split["dropped"].clone())
}

/// What moto cannot create is checked from the template's properties: the
/// CDN serves variants from the bucket and fails over to the function on a
/// miss, `.auto` is rewritten before the cache, the function URL is
/// CloudFront-only with this wiring, the signing key is generated.
/// A function's reserved concurrency as moto's Lambda REST API reports it
/// (read over plain HTTP: this crate has no Lambda SDK; moto does not check
/// signatures but routes by the credential scope's service). `None`: none
/// reserved.
fn reserved_concurrency(endpoint: &str, function: &str) -> Option<u64> {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    // HTTP/1.0: the whole body, then the server closes (no chunking).
    write!(
        stream,
        "GET /2019-09-30/functions/{function}/concurrency HTTP/1.0\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "{answer}"
    );
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    match &json["ReservedConcurrentExecutions"] {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => Some(s.parse().unwrap()),
        _ => None,
    }
}

fn check_what_moto_lacks(dropped: &serde_json::Value) {
    let mut lacking: Vec<&str> = dropped
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    lacking.sort_unstable();
    assert_eq!(
        lacking,
        [
            "AutoFormat",
            "CollectorFunctionUrl",
            "Distribution",
            "EventsFirehose",
            "FunctionOriginAccess",
            "ImageFunctionUrl",
            "SigningKeySecret",
            "VariantsOriginAccess"
        ]
    );
    let config = &dropped["Distribution"]["Properties"]["DistributionConfig"];
    let group = &config["OriginGroups"]["Items"][0];
    let codes = &group["FailoverCriteria"]["StatusCodes"]["Items"];
    assert_eq!(codes, &serde_json::json!([403, 404]), "{group}");
    let members: Vec<&str> = group["Members"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["OriginId"].as_str().unwrap())
        .collect();
    // Variants (the default behavior) go through the group, bucket first;
    // `img/*` (signed URLs, ad-hoc specs) straight to the function.
    let variants = &config["DefaultCacheBehavior"];
    assert_eq!(variants["TargetOriginId"], group["Id"]);
    assert_eq!(members, ["variants-bucket", "image-function"]);
    let association = &variants["FunctionAssociations"][0];
    assert_eq!(association["EventType"], "viewer-request");
    assert_eq!(association["FunctionARN"]["Fn::GetAtt"][0], "AutoFormat");
    let img = config["CacheBehaviors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["PathPattern"] == "img/*")
        .expect("an img/* behavior");
    assert_eq!(img["TargetOriginId"], "image-function");
    assert_eq!(
        dropped["ImageFunctionUrl"]["Properties"]["AuthType"]["Fn::If"][1],
        "AWS_IAM"
    );
    let secret = &dropped["SigningKeySecret"]["Properties"]["GenerateSecretString"];
    assert_eq!(secret["PasswordLength"], 64);
    assert_eq!(
        dropped["CollectorFunctionUrl"]["Properties"]["AuthType"],
        "NONE"
    );
}

/// The stack `stratus deploy` makes, created in moto's CloudFormation
/// through the same change-set path; then the packaged function runs with
/// the stack's bucket and parameter, as the stack's function would. The
/// deploy's secret and distribution (types moto lacks) are made by hand.
/// The editor's presets are published; a variant is asked for by its key,
/// stored under it and then a plain S3 GET; the original is replaced
/// straight in S3 and the notification purges and invalidates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployed_stack_serves_variants_and_forgets_replaced_originals() {
    let Some(zip) = package() else {
        return;
    };
    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    let task = tempfile::tempdir().unwrap();
    unpack(&zip, task.path());
    let sdk = sdk(&endpoint).await;
    let s3 = testing::s3_client(&endpoint);

    // The plan of the real template lists everything it would create.
    let mut deployer = stratus_deploy::Deployer::new(&sdk, s3.clone());
    deployer.poll = Duration::ZERO;
    let unique = testing::unique_bucket("x");
    let prefix = format!("s{}", &unique[unique.len() - 10..]);
    let settings = |name_prefix: String| stratus_deploy::DeploySettings {
        name_prefix,
        wiring: stratus_deploy::Wiring::CloudFront,
        use_firehose: false,
        allowed_origins: Vec::new(),
        artifact_bucket: format!("{prefix}-artifacts"),
        collector_concurrency: stratus_deploy::DeploySettings::DEFAULT_COLLECTOR_CONCURRENCY,
    };
    let artifact = std::fs::read(&zip).unwrap();
    let key = deployer
        .upload_artifact(&format!("{prefix}-artifacts"), &artifact)
        .await
        .unwrap();
    let full = deployer
        .plan(
            stratus_deploy::template::TEMPLATE,
            &settings(format!("{prefix}p")),
            &key,
        )
        .await
        .unwrap();
    assert!(full.creates_stack);
    let planned: Vec<&str> = full.changes.iter().map(|c| c.logical_id.as_str()).collect();
    for id in [
        "MediaBucket",
        "Distribution",
        "ImageFunction",
        "ImageFunctionUrl",
        "CampaignWorkerFunction",
        "CampaignWorkerEvents",
        "CampaignQueue",
        "CampaignMarks",
        "CampaignSchedulerRole",
    ] {
        assert!(planned.contains(&id), "{id} in {planned:?}");
    }

    // What moto can create is created for real.
    let (template, dropped) = moto_template();
    check_what_moto_lacks(&dropped);
    let plan = deployer
        .plan(&template, &settings(prefix.clone()), &key)
        .await
        .unwrap();
    assert!(plan.creates_stack && !plan.is_empty());
    deployer.apply(&plan, |_, _| {}).await.unwrap();
    let media = format!("{prefix}-media-123456789012-us-east-1");
    s3.head_bucket().bucket(&media).send().await.unwrap();
    // The shared ceiling of the write keys' rate limits: the collector's
    // reserved concurrency, as the deploy asked (docs/production.md).
    assert_eq!(
        reserved_concurrency(&endpoint, &format!("{prefix}-collector")),
        Some(u64::from(
            stratus_deploy::DeploySettings::DEFAULT_COLLECTOR_CONCURRENCY
        ))
    );
    assert_eq!(
        reserved_concurrency(&endpoint, &format!("{prefix}-images")),
        None
    );
    let parameter = format!("/stratus/{prefix}/distribution-id");
    s3.put_object()
        .bucket(&media)
        .key("photos/summer sale/a.jpg")
        .body(jpeg(200, 150).into())
        .send()
        .await
        .unwrap();

    // The deploy's secret, with a key the test signs with.
    let secret_text = "k1-secret-that-is-long-enough-for-hmac-0123456789";
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let secret_name = format!("/stratus/{prefix}/signing-keys");
    secrets
        .create_secret()
        .name(&secret_name)
        .secret_string(format!(r#"{{"id":"k1","secret":"{secret_text}"}}"#))
        .send()
        .await
        .unwrap();
    // The distribution, and its id in the stack's parameter.
    let cf = aws_sdk_cloudfront::Client::new(&sdk);
    let distribution_id = distribution(&cf, &media).await;
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name(&parameter)
        .value(&distribution_id)
        .overwrite(true)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    // The editor's presets as the app publishes them: a new `tiny`.
    let mut presets = stratus_media::PresetCatalog::default();
    presets
        .set_preset(
            "tiny",
            stratus_media::VariantSpec::parse("40x30-cover-q70.webp").unwrap(),
        )
        .unwrap();
    s3.put_object()
        .bucket(&media)
        .key(stratus_media::published::PUBLISHED_PRESETS_KEY)
        .body(stratus_media::published::to_json(&presets).into())
        .send()
        .await
        .unwrap();

    let api = RuntimeApi::start().await;
    let log = task.path().join("function.log");
    let _function = start_function(
        task.path(),
        &api,
        &endpoint,
        &[
            ("STRATUS_MEDIA_BUCKET", &media),
            ("STRATUS_SIGNING_KEYS_SECRET", &secret_name),
            ("STRATUS_SIGNING_KEYS_REFRESH", "0"),
            ("STRATUS_DISTRIBUTION_ID_PARAMETER", &parameter),
        ],
    );

    // The published preset, asked for by its variant key (a CDN miss).
    let variant = "variants/photos/summer sale/a.jpg/tiny.webp";
    let tiny = answer(
        api.invoke(
            &image_event("/variants/photos/summer%20sale/a.jpg/tiny.webp", ""),
            PATIENCE,
        )
        .await,
        &log,
    );
    assert_eq!(tiny["statusCode"], 200, "{tiny}");
    assert_eq!(tiny["headers"]["content-type"], "image/webp");
    assert_eq!(keys(&s3, &media, "variants/photos/").await, [variant]);
    // From now on a plain S3 GET of that key (what the CDN does) serves it.
    let served = base64::engine::general_purpose::STANDARD
        .decode(tiny["body"].as_str().unwrap())
        .unwrap();
    let stored = s3
        .get_object()
        .bucket(&media)
        .key(variant)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.body.collect().await.unwrap().into_bytes(), served);

    // A spec no preset names, signed with the key from the secret.
    let path = "/img/64x64-cover-q60.jpeg/photos/summer%20sale/a.jpg";
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let signing_key = stratus_gateway::SigningKey {
        id: "k1".into(),
        secret: secret_text.as_bytes().to_vec(),
    };
    let sig = stratus_gateway::signature::sign(&signing_key, path, expires);
    let signed = answer(
        api.invoke(
            &image_event(path, &format!("exp={expires}&sig={sig}")),
            PATIENCE,
        )
        .await,
        &log,
    );
    assert_eq!(signed["statusCode"], 200, "{signed}");
    let unsigned = answer(api.invoke(&image_event(path, ""), PATIENCE).await, &log);
    assert_eq!(unsigned["statusCode"], 403, "{unsigned}");
    assert_eq!(keys(&s3, &media, "variants/photos/").await.len(), 2);

    // `stratus keys rotate`: the running function takes the new key (it
    // reads the secret at every request here) and keeps the old one, until
    // a rotation keeping one key drops it.
    let status_signed_with = |id: String, secret: String| {
        let sig = stratus_gateway::signature::sign(
            &stratus_gateway::SigningKey {
                id,
                secret: secret.into_bytes(),
            },
            path,
            expires,
        );
        image_event(path, &format!("exp={expires}&sig={sig}"))
    };
    let rotation = stratus_deploy::keys::rotate(&secrets, &secret_name, 2)
        .await
        .unwrap();
    assert_eq!(
        (rotation.new_id.as_str(), rotation.kept.as_slice()),
        ("k2", &["k1".to_string()][..])
    );
    let stored = secrets
        .get_secret_value()
        .secret_id(&secret_name)
        .send()
        .await
        .unwrap();
    let rotated = stratus_deploy::keys::parse(stored.secret_string().unwrap()).unwrap();
    let new_key = rotated[0].clone();
    for (id, secret, expected) in [
        (new_key.id.clone(), new_key.secret.clone(), 200),
        ("k1".to_string(), secret_text.to_string(), 200),
    ] {
        let event = status_signed_with(id.clone(), secret);
        let answer = answer(api.invoke(&event, PATIENCE).await, &log);
        assert_eq!(answer["statusCode"], expected, "signed with {id}: {answer}");
    }
    let rotation = stratus_deploy::keys::rotate(&secrets, &secret_name, 1)
        .await
        .unwrap();
    assert_eq!(rotation.dropped, ["k2", "k1"]);
    let old = status_signed_with("k1".to_string(), secret_text.to_string());
    let refused = answer(api.invoke(&old, PATIENCE).await, &log);
    assert_eq!(refused["statusCode"], 403, "a dropped key: {refused}");

    // The original is replaced straight in S3; S3 tells the function.
    s3.put_object()
        .bucket(&media)
        .key("photos/summer sale/a.jpg")
        .body(jpeg(120, 160).into())
        .send()
        .await
        .unwrap();
    let notification = S3_NOTIFICATION
        .replace("EVENT_NAME", "ObjectCreated:Put")
        .replace("BUCKET", &media)
        .replace("ENCODED_KEY", "photos/summer+sale/a.jpg");
    let purged = answer(api.invoke(&notification, PATIENCE).await, &log);
    assert_eq!(purged["variants_deleted"], 2, "{purged}");
    assert!(keys(&s3, &media, "variants/photos/").await.is_empty());
    let invalidations = cf
        .list_invalidations()
        .distribution_id(&distribution_id)
        .send()
        .await
        .unwrap();
    let list = invalidations.invalidation_list().unwrap();
    assert_eq!(list.quantity(), 1, "one invalidation: {list:?}");
    let id = list.items()[0].id();
    let invalidation = cf
        .get_invalidation()
        .distribution_id(&distribution_id)
        .id(id)
        .send()
        .await
        .unwrap();
    let paths = invalidation
        .invalidation()
        .unwrap()
        .invalidation_batch()
        .unwrap()
        .paths()
        .unwrap()
        .items()
        .to_vec();
    assert_eq!(paths, ["/variants/photos/summer%20sale/a.jpg/*"]);

    // The next request is made from the new original.
    let remade = answer(
        api.invoke(
            &image_event("/variants/photos/summer%20sale/a.jpg/tiny.webp", ""),
            PATIENCE,
        )
        .await,
        &log,
    );
    assert_eq!(remade["statusCode"], 200, "{remade}");
    assert_eq!(api.init_error(), None);
}
