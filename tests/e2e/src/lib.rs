//! Helpers for the end-to-end journeys: a WebDriver session on the real
//! desktop app (through `tauri-driver`), selection by `data-testid`, waits
//! and screenshots.
//!
//! `make test` builds the app with its front end embedded, starts Xvfb, the
//! S3-compatible server and `tauri-driver`, and sets:
//! - `STRATUS_E2E_APP`: path of the app binary;
//! - `STRATUS_E2E_DRIVER`: the driver's URL;
//! - `STRATUS_E2E_SCREENSHOTS`: where screenshots go (under `target/`).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;

pub struct App {
    pub client: Client,
    /// The app's data dir for this journey (fresh, removed at the end).
    pub data_dir: tempfile::TempDir,
    screenshots: PathBuf,
    journey: String,
}

/// How long to wait for the UI before failing a step. Generous: the first
/// start seeds the demo (paints images, writes 30 days of events) before the
/// window shows, and CI machines are loaded.
const WAIT: Duration = Duration::from_secs(90);

impl App {
    /// Starts the app for a journey, or `None` (with the reason printed) when
    /// the end-to-end environment is not there and not required.
    pub async fn launch(journey: &str) -> Result<Option<App>> {
        let (Ok(app), Ok(driver)) = (
            std::env::var("STRATUS_E2E_APP"),
            std::env::var("STRATUS_E2E_DRIVER"),
        ) else {
            if std::env::var("STRATUS_REQUIRE_SERVICES").as_deref() == Ok("1") {
                bail!(
                    "STRATUS_E2E_APP / STRATUS_E2E_DRIVER not set but STRATUS_REQUIRE_SERVICES=1"
                );
            }
            eprintln!("skipped: end-to-end environment not set up (run `make test`)");
            return Ok(None);
        };
        let data_dir = tempfile::tempdir()?;
        let client = connect(&app, &driver, data_dir.path()).await?;
        let screenshots = std::env::var("STRATUS_E2E_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| std::env::temp_dir().join("stratus-e2e"));
        std::fs::create_dir_all(&screenshots)?;
        let app = App {
            client,
            data_dir,
            screenshots,
            journey: journey.to_string(),
        };
        // The first start seeds the demo as a job after the window shows;
        // the journeys work with the seeded data, as a user would once the
        // "Preparing demo data" notice is gone.
        let ready = app
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(
                "[data-testid=\"app-shell\"][data-demo-ready=\"true\"]",
            ))
            .await;
        if let Err(e) = ready {
            app.screenshot("demo-not-ready").await.ok();
            let shell = app
                .client
                .execute(
                    "const s = document.querySelector('[data-testid=\"app-shell\"]'); \
                     return s ? s.getAttribute('data-demo-ready') : 'no app shell';",
                    vec![],
                )
                .await;
            eprintln!("data-demo-ready of the app shell: {shell:?}");
            // End the session, or the next journey finds the driver busy.
            app.close().await.ok();
            return Err(anyhow::Error::new(e).context("the demo data was not ready"));
        }
        Ok(Some(app))
    }

    /// Closes the app (its process ends, whatever it was doing) and opens
    /// it again on the same data dir, as a user quitting and coming back.
    pub async fn restart(&mut self) -> Result<()> {
        self.client.clone().close().await.ok();
        let app = std::env::var("STRATUS_E2E_APP")?;
        let driver = std::env::var("STRATUS_E2E_DRIVER")?;
        self.client = connect(&app, &driver, self.data_dir.path()).await?;
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(
                "[data-testid=\"app-shell\"][data-demo-ready=\"true\"]",
            ))
            .await
            .context("the reopened app did not get ready")?;
        Ok(())
    }

    fn css(test_id: &str) -> Locator<'static> {
        Locator::Css(Box::leak(
            format!("[data-testid=\"{test_id}\"]").into_boxed_str(),
        ))
    }

    /// The element with this `data-testid`, once it is there.
    pub async fn find(&self, test_id: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Self::css(test_id))
            .await
            .with_context(|| format!("`{test_id}` did not appear"))
    }

    pub async fn find_all(&self, test_id: &str) -> Result<Vec<Element>> {
        Ok(self.client.find_all(Self::css(test_id)).await?)
    }

    pub async fn click(&self, test_id: &str) -> Result<()> {
        self.find(test_id)
            .await?
            .click()
            .await
            .with_context(|| format!("click `{test_id}`"))?;
        Ok(())
    }

    /// Replaces the value of an input.
    pub async fn fill(&self, test_id: &str, value: &str) -> Result<()> {
        let input = self.find(test_id).await?;
        input.clear().await?;
        input.send_keys(value).await?;
        Ok(())
    }

    /// Waits until the element's text contains `needle`; returns the text.
    pub async fn wait_for_text(&self, test_id: &str, needle: &str) -> Result<String> {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < WAIT {
            if let Ok(el) = self.client.find(Self::css(test_id)).await {
                last = text_of(&el).await;
                if last.contains(needle) {
                    return Ok(last);
                }
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        self.screenshot("failure").await.ok();
        bail!("`{test_id}` never contained {needle:?}; last text: {last:?}")
    }

    /// Waits until some element with this test id has text containing `needle`.
    pub async fn wait_for_any_text(&self, test_id: &str, needle: &str) -> Result<Element> {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            for el in self.find_all(test_id).await.unwrap_or_default() {
                if text_of(&el).await.contains(needle) {
                    return Ok(el);
                }
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        self.screenshot("failure").await.ok();
        bail!("no `{test_id}` ever contained {needle:?}")
    }

    /// Saves a PNG of the window as `<journey>-<name>.png`, after two
    /// animation frames so WebKit has painted the latest state.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await?;
        let png = self.client.screenshot().await?;
        let path = self
            .screenshots
            .join(format!("{}-{name}.png", self.journey));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        Ok(())
    }
}

/// A WebDriver session on a new app process with `data_dir`.
async fn connect(app: &str, driver: &str, data_dir: &std::path::Path) -> Result<Client> {
    let caps = serde_json::json!({
        "browserName": "wry",
        "tauri:options": {
            "application": app,
            "args": ["--data-dir", data_dir.to_str().context("temp dir path")?],
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::rustls()?
        .capabilities(caps)
        .connect(driver)
        .await
        .with_context(|| format!("cannot start a session on {driver}"))
}

/// Runs one journey in a fresh app (skipped when the end-to-end environment
/// is not there and not required); a failure leaves a `failure` screenshot,
/// and the session is always closed, also when an assertion panicked (else
/// the driver stays busy and every later journey fails to start).
pub async fn run_journey(name: &str, journey: impl AsyncFnOnce(&App) -> Result<()>) -> Result<()> {
    let Some(app) = App::launch(name).await? else {
        return Ok(());
    };
    let outcome = AssertUnwindSafe(journey(&app)).catch_unwind().await;
    if !matches!(outcome, Ok(Ok(()))) {
        app.screenshot("failure").await.ok();
    }
    app.close().await?;
    match outcome {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The element's text content. WebKitWebDriver's "visible text" comes back
/// empty for some clipped flex items that are plainly visible on screen, so
/// the journeys read `textContent` and keep screenshots as the visual check.
pub async fn text_of(el: &Element) -> String {
    el.prop("textContent")
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// The S3-compatible server's URL, which `make test` provides.
pub fn s3_endpoint() -> Result<String> {
    std::env::var("STRATUS_TEST_AWS_ENDPOINT").context("STRATUS_TEST_AWS_ENDPOINT is not set")
}

/// Creates a bucket on the S3-compatible server (moto accepts unsigned requests).
pub fn create_bucket(endpoint: &str, bucket: &str) -> Result<()> {
    let status = std::process::Command::new("curl")
        .args(["-sf", "-X", "PUT", &format!("{endpoint}/{bucket}")])
        .stdout(std::process::Stdio::null())
        .status()
        .context("curl is needed to create test buckets")?;
    if !status.success() {
        bail!("creating bucket {bucket} failed: {status}");
    }
    Ok(())
}
