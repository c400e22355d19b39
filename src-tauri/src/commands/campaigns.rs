//! Campaign commands: customers, segments, templates, launches and runs.
