fn main() {
    // App commands sit under the ACL: each gets an `allow-<name>` permission,
    // and capabilities/default.json grants exactly these to the main window.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "profiles_list",
            "profile_save",
            "profile_delete",
            "profile_use",
            "profile_test",
            "profile_test_draft",
            "profile_status",
            "jobs_list",
            "jobs_watch",
            "job_cancel",
            "demo_reset",
            "store_list",
            "image_originals",
            "image_catalog",
            "image_catalog_save",
            "image_variant",
            "image_warm",
            "image_upload",
            "events_sync",
            "events_status",
            "events_search",
            "events_customer",
            "events_page",
            "events_facets",
            "events_detail",
            "events_sessions",
            "events_export",
            "events_retention",
            "events_retention_save",
        ]),
    ))
    .expect("tauri-build failed");
}
