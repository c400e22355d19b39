//! Prices the dry run estimates with, in one place, each with its source.
//! They are list prices in USD for us-east-1 as published on the day they
//! were written down, not quotes: the dry run lets the user set their own.

/// One SMS part, USD: an assumption of the order of one US SMS part with
/// carrier fees (SNS SMS pricing varies by destination country and type;
/// <https://aws.amazon.com/sns/sms-pricing/>).
pub const SMS_PER_PART: f64 = 0.00883;

/// One mobile push notification delivered by SNS to a platform endpoint,
/// USD: "Mobile Push Notifications: $0.50 per 1 million"
/// (<https://aws.amazon.com/sns/pricing/>; the first million a month are
/// free, which the estimate ignores).
pub const PUSH_PER_MILLION: f64 = 0.50;

/// One in-app message, USD: one S3 PUT of its inbox object, "$0.005 per
/// 1,000 PUT requests" (S3 Standard, <https://aws.amazon.com/s3/pricing/>),
/// i.e. $5 per million; the app's reads are the collector function's cost.
pub const IN_APP_PER_MILLION: f64 = 5.0;
