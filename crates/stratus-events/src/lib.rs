//! Events: collect, sync, browse. See `../shared/design/events.md`.
