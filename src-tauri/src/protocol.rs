//! The `stratus-img` URI scheme: the webview's `<img>` tags load originals
//! and variants straight from Rust (`/o/<key>`, `/v/<preset>/<key>`), made
//! on demand through the same `VariantService` as the serverless function.
//!
//! Tauri treats custom-protocol pages as local, so an answer must never be a
//! page: only raster image types are answered as themselves, everything else
//! is an `application/octet-stream` attachment, and every answer carries a
//! sandboxing CSP and `nosniff` (see `respond`).

use std::sync::Arc;

use stratus_core::store::ObjectStore;
use stratus_media::PresetCatalog;
use tauri::http::{header, Response, StatusCode};
use tauri::{Manager, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

pub const SCHEME: &str = "stratus-img";
/// What the webview can show; `auto` presets are negotiated against it.
pub const WEBVIEW_ACCEPT: &str = "image/webp,image/png,image/jpeg";

fn encode_key(key: &str) -> String {
    key.split('/')
        .map(|s| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The URL of a variant as the webview loads it.
pub fn variant_url(preset: &str, original: &str) -> String {
    format!(
        "{SCHEME}://localhost/v/{}/{}",
        encode_key(preset),
        encode_key(original)
    )
}

/// Percent-decodes one URL segment (or a header value).
pub fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Types the protocol answers as themselves: raster images the webview
/// shows. Anything else stored in the bucket (HTML, SVG with its scripts,
/// JavaScript…) is only ever a download, never a page.
const SHOWN_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "image/avif",
];

/// Every answer is inert as a document: no scripts, no subresources, a
/// unique origin (so no IPC), and no content sniffing.
const CSP: &str = "default-src 'none'; sandbox";

/// What the protocol answers, before it becomes an HTTP response.
#[derive(Debug)]
pub(crate) enum Answer {
    /// Bytes and the content type they were stored or made with.
    Image {
        content_type: String,
        body: Vec<u8>,
    },
    Error {
        status: StatusCode,
        message: String,
    },
}

/// The HTTP response for an answer, with the headers every answer carries.
pub(crate) fn respond(answer: Answer) -> tauri::http::Result<Response<Vec<u8>>> {
    let builder = Response::builder()
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    match answer {
        Answer::Image { content_type, body } => {
            let essence = content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let builder = builder
                .status(StatusCode::OK)
                .header(header::CACHE_CONTROL, "no-cache");
            if SHOWN_TYPES.contains(&essence.as_str()) {
                builder.header(header::CONTENT_TYPE, essence).body(body)
            } else {
                builder
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .header(header::CONTENT_DISPOSITION, "attachment")
                    .body(body)
            }
        }
        Answer::Error { status, message } => builder
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(message.into_bytes()),
    }
}

pub fn handle<R: tauri::Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: tauri::http::Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = ctx.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<Arc<AppState>>();
        let answer = match serve(&state, request.uri().path()).await {
            Ok(answer) => answer,
            Err((status, message)) => Answer::Error { status, message },
        };
        match respond(answer) {
            Ok(r) => responder.respond(r),
            Err(e) => tracing::warn!("image protocol response failed: {e}"),
        }
    });
}

type Served = Result<Answer, (StatusCode, String)>;

async fn serve(state: &AppState, path: &str) -> Served {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode_segment)
        .collect();
    match segments.split_first() {
        Some((kind, rest)) if kind == "o" && !rest.is_empty() => {
            let media = Arc::clone(&state.stack().await.media);
            original(media.as_ref(), &rest.join("/")).await
        }
        Some((kind, rest)) if kind == "v" && rest.len() >= 2 => {
            let (preset, key) = (&rest[0], rest[1..].join("/"));
            let stack = state.stack().await;
            let catalog = PresetCatalog::load(&stack.db)
                .await
                .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let variant = state
                .images()
                .await
                .get_variant(&catalog, &key, preset, Some(WEBVIEW_ACCEPT))
                .await
                .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
            Ok(Answer::Image {
                content_type: variant.format.content_type().to_string(),
                body: variant.bytes.to_vec(),
            })
        }
        _ => Err((StatusCode::NOT_FOUND, format!("no image at {path}"))),
    }
}

/// An original as stored, with the content type it was stored with.
async fn original(media: &dyn ObjectStore, key: &str) -> Served {
    let not_found = |m: String| (StatusCode::NOT_FOUND, m);
    stratus_media::key::validate_original_key(key)
        .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let object = media
        .get(key, None)
        .await
        .map_err(|e| not_found(e.to_string()))?;
    let content_type = object
        .meta
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let bytes = object.bytes().await.map_err(|e| not_found(e.to_string()))?;
    Ok(Answer::Image {
        content_type,
        body: bytes.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use stratus_core::store::{LocalStore, PutOptions};

    use super::*;

    async fn stored(content_type: &str, key: &str, body: &'static [u8]) -> Response<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let options = PutOptions {
            content_type: Some(content_type.into()),
            ..PutOptions::default()
        };
        store
            .put(key, bytes::Bytes::from_static(body), options)
            .await
            .unwrap();
        let answer = match original(&store, key).await {
            Ok(answer) => answer,
            Err((status, message)) => Answer::Error { status, message },
        };
        respond(answer).unwrap()
    }

    fn header(r: &Response<Vec<u8>>, name: header::HeaderName) -> &str {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    fn assert_inert(r: &Response<Vec<u8>>) {
        assert_eq!(
            header(r, header::CONTENT_SECURITY_POLICY),
            "default-src 'none'; sandbox"
        );
        assert_eq!(header(r, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    }

    #[tokio::test]
    async fn stored_html_is_a_download_never_a_page() {
        let html = b"<script>window.__TAURI_INTERNALS__.invoke('demo_reset')</script>";
        for content_type in ["text/html", "TEXT/HTML; charset=utf-8", "image/svg+xml"] {
            let r = stored(content_type, "uploads/page.jpg", html).await;
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(
                header(&r, header::CONTENT_TYPE),
                "application/octet-stream",
                "{content_type}"
            );
            assert_eq!(header(&r, header::CONTENT_DISPOSITION), "attachment");
            assert_inert(&r);
        }
    }

    #[tokio::test]
    async fn a_stored_image_is_shown_as_itself() {
        let r = stored("image/png", "demo/a.png", b"\x89PNG").await;
        assert_eq!(header(&r, header::CONTENT_TYPE), "image/png");
        assert_eq!(header(&r, header::CONTENT_DISPOSITION), "");
        assert_inert(&r);
    }

    #[tokio::test]
    async fn errors_carry_the_same_headers() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let Err((status, message)) = original(&store, "missing.jpg").await else {
            panic!("a missing key is an error");
        };
        let r = respond(Answer::Error { status, message }).unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            header(&r, header::CONTENT_TYPE),
            "text/plain; charset=utf-8"
        );
        assert_inert(&r);
    }
}
