//! Boundary types of the Events section.
