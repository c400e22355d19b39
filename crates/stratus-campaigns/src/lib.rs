//! Campaigns: push and SMS at scale. See `../shared/design/campaigns.md`.
