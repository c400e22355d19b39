use stratus_core::store::ListRequest;

use super::AppHandleState;
use crate::error::CommandResult;
use crate::views::{BucketRole, ObjectListing};

/// Entries per page in the object browser.
const PAGE: usize = 200;

#[tauri::command]
pub async fn store_list(
    state: AppHandleState<'_>,
    bucket: BucketRole,
    prefix: String,
    start_after: Option<String>,
) -> CommandResult<ObjectListing> {
    let stack = state.stack().await;
    let role = bucket.into();
    let request = ListRequest::prefix(prefix.clone())
        .with_delimiter('/')
        .continue_from(start_after)
        .limit(PAGE);
    let page = stack.bucket(role).list(request).await?;
    Ok(ObjectListing::new(stack.bucket_name(role), prefix, page))
}
