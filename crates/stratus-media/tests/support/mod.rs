//! What several test files share.

/// Runs each `cases::<name>(store)` of the calling file against a local
/// folder and against the S3-compatible server (skipped without one,
/// failing instead under `STRATUS_REQUIRE_SERVICES=1`).
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = stratus_core::store::LocalStore::open(dir.path().join("media")).unwrap();
                    super::cases::$case(std::sync::Arc::new(store)).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(endpoint) = stratus_core::testing::endpoint() else { return };
                    let store = stratus_core::testing::fresh_s3_store(&endpoint, "media").await.unwrap();
                    super::cases::$case(std::sync::Arc::new(store)).await;
                }
            )*
        }
    };
}
