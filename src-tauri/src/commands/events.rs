//! Event commands: sync, search, timeline, facets and export.
