//! Boundary types of the Campaigns section.
