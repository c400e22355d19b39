//! The `stratus-img` URI scheme: the webview's `<img>` tags load originals
//! and variants straight from Rust (`/o/<key>`, `/v/<preset>/<key>`), made
//! on demand through the same `VariantService` as the serverless function.

use std::sync::Arc;

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

pub fn handle<R: tauri::Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: tauri::http::Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = ctx.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<Arc<AppState>>();
        let response = match serve(&state, request.uri().path()).await {
            Ok((content_type, body)) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::CACHE_CONTROL, "no-cache")
                .body(body),
            Err((status, message)) => Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(message.into_bytes()),
        };
        match response {
            Ok(r) => responder.respond(r),
            Err(e) => tracing::warn!("image protocol response failed: {e}"),
        }
    });
}

async fn serve(state: &AppState, path: &str) -> Result<(String, Vec<u8>), (StatusCode, String)> {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode_segment)
        .collect();
    let stack = state.stack().await;
    let not_found = |m: String| (StatusCode::NOT_FOUND, m);
    match segments.split_first() {
        Some((kind, rest)) if kind == "o" && !rest.is_empty() => {
            let key = rest.join("/");
            stratus_media::key::validate_original_key(&key)
                .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
            let object = stack
                .media
                .get(&key, None)
                .await
                .map_err(|e| not_found(e.to_string()))?;
            let content_type = object
                .meta
                .content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into());
            let bytes = object.bytes().await.map_err(|e| not_found(e.to_string()))?;
            Ok((content_type, bytes.to_vec()))
        }
        Some((kind, rest)) if kind == "v" && rest.len() >= 2 => {
            let (preset, key) = (&rest[0], rest[1..].join("/"));
            let catalog = PresetCatalog::load(&stack.db)
                .await
                .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let variant = state
                .images()
                .await
                .get_variant(&catalog, &key, preset, Some(WEBVIEW_ACCEPT))
                .await
                .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
            Ok((
                variant.format.content_type().to_string(),
                variant.bytes.to_vec(),
            ))
        }
        _ => Err(not_found(format!("no image at {path}"))),
    }
}
