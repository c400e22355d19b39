//! The packaged function (`scripts/package-lambda.sh`: `bootstrap` and
//! `lib/` in a zip) run as Lambda runs it: unpacked, with a bare
//! environment, polling a Runtime API emulator, against the S3-compatible
//! server. `make test` packages the binary it built and names the zip in
//! `STRATUS_LAMBDA_PACKAGE`.

#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used)]

mod runtime_api;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use runtime_api::{Outcome, RuntimeApi};
use stratus_core::testing;

const IMAGE_EVENT: &str = include_str!("fixtures/apigw-v2-image.json");
const COLLECT_EVENT: &str = include_str!("fixtures/apigw-v2-collect.json");
const PATIENCE: Duration = Duration::from_secs(120);

/// The zip to test, or `None` (skip) outside `make test`.
fn package() -> Option<PathBuf> {
    match std::env::var("STRATUS_LAMBDA_PACKAGE") {
        Ok(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            assert_ne!(
                std::env::var("STRATUS_REQUIRE_SERVICES").as_deref(),
                Ok("1"),
                "STRATUS_LAMBDA_PACKAGE is not set: run scripts/package-lambda.sh (make test does)"
            );
            eprintln!("skipped: STRATUS_LAMBDA_PACKAGE is not set");
            None
        }
    }
}

fn unpack(zip: &Path, into: &Path) {
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(zip)
        .arg(into)
        .status()
        .unwrap();
    assert!(status.success(), "cannot unpack {}", zip.display());
    // As Lambda does: the zip's mode bits say bootstrap is executable.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        into.join("bootstrap"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

/// Kills the function when the test ends, however it ends.
struct Function(Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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

/// The API Gateway v2 answer the function posted back.
fn answer(outcome: Option<Outcome>, log: &Path) -> serde_json::Value {
    match outcome {
        Some(Outcome::Response(body)) => serde_json::from_slice(&body).unwrap(),
        Some(Outcome::Error(error)) => panic!(
            "the function reported an error: {error}\n--- its log ---\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ),
        None => panic!(
            "no answer from the function\n--- its log ---\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ),
    }
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
    let _function = Function(
        Command::new(task.path().join("bootstrap"))
            .current_dir(task.path())
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "stratus-test")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/stratus-test")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .env("LAMBDA_TASK_ROOT", task.path())
            .env("LD_LIBRARY_PATH", &lib)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("STRATUS_ENDPOINT_URL", &endpoint)
            .env("STRATUS_MEDIA_BUCKET", &media)
            .env("STRATUS_EVENTS_BUCKET", &events)
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::from(
                std::fs::OpenOptions::new().append(true).open(&log).unwrap(),
            ))
            .spawn()
            .unwrap(),
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
    let collected = answer(api.invoke(COLLECT_EVENT, PATIENCE).await, &log);
    assert_eq!(collected["statusCode"], 200, "{collected}");
    let body: serde_json::Value =
        serde_json::from_str(collected["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        (body["accepted"].as_u64(), body["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{body}"
    );
    assert_eq!(keys(&s3, &events, "events/v1/").await.len(), 1);
    assert_eq!(keys(&s3, &events, "bad/v1/").await.len(), 1);
    assert_eq!(api.init_error(), None);
}
