//! Where the webview may go: only the app's own pages. A link or script
//! that tries to open anything else — a web page, a `file://` dropped on the
//! window, a `stratus-img://` object as a page — is refused, so nothing
//! but the app's bundle ever runs with access to its commands.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Runtime, Url};

/// A plugin whose only job is the navigation rule, applied to every webview.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("navigation-guard")
        .on_navigation(|_, url| {
            let allowed = is_app_page(url);
            if !allowed {
                tracing::warn!("navigation refused: {}", url.as_str());
            }
            allowed
        })
        .build()
}

/// The app's own origin: `tauri://localhost` (Linux, macOS) or
/// `http(s)://tauri.localhost` (Windows), where Tauri serves the bundle.
pub fn is_app_page(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost") && url.port().is_none(),
        "http" | "https" => url.host_str() == Some("tauri.localhost") && url.port().is_none(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_the_apps_own_pages_are_allowed() {
        for ok in [
            "tauri://localhost",
            "tauri://localhost/index.html#/events",
            "http://tauri.localhost/",
            "https://tauri.localhost/index.html",
        ] {
            assert!(is_app_page(&Url::parse(ok).unwrap()), "{ok}");
        }
        for refused in [
            "stratus-img://localhost/o/uploads/page.html",
            "http://stratus-img.localhost/o/x.jpg",
            "file:///home/me/Downloads/invoice.html",
            "https://evil.example/",
            "http://tauri.localhost.evil.example/",
            "http://tauri.localhost:8080/",
            "tauri://evil",
            "about:blank",
            "data:text/html,<script>1</script>",
            "javascript:alert(1)",
        ] {
            assert!(!is_app_page(&Url::parse(refused).unwrap()), "{refused}");
        }
    }
}
