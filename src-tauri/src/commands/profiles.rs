use stratus_core::profile::Profile;
use stratus_core::stack::Stack;

use super::AppHandleState;
use crate::error::CommandResult;
use crate::views::{ConnectionReport, ProfileInput, ProfileStatus, ProfileView};

#[tauri::command]
pub async fn profiles_list(state: AppHandleState<'_>) -> CommandResult<Vec<ProfileView>> {
    let book = state.book()?;
    let active = book.active_name().to_string();
    Ok(book
        .list()
        .iter()
        .map(|p| ProfileView::new(p, p.name == active))
        .collect())
}

#[tauri::command]
pub async fn profile_save(
    state: AppHandleState<'_>,
    input: ProfileInput,
    original_name: Option<String>,
) -> CommandResult<ProfileView> {
    let (saved, active) = state
        .edit_book(|book| {
            let saved = book.save(original_name.as_deref(), Profile::from(input))?;
            Ok((saved, book.active_name().to_string()))
        })
        .await?;
    // Editing the active profile must take effect now, not at the next start.
    if saved.name == active {
        state.switch_to(saved.clone()).await?;
    }
    Ok(ProfileView::new(&saved, saved.name == active))
}

#[tauri::command]
pub async fn profile_delete(state: AppHandleState<'_>, name: String) -> CommandResult<()> {
    let was_active = state.stack().await.profile.name == name;
    state.edit_book(|book| book.remove(&name)).await?;
    if was_active {
        state.switch_to(Profile::demo()).await?;
    }
    Ok(())
}

#[tauri::command]
pub async fn profile_use(state: AppHandleState<'_>, name: String) -> CommandResult<ProfileStatus> {
    let profile = state.edit_book(|book| book.set_active(&name)).await?;
    let stack = state.switch_to(profile).await?;
    Ok(status_of(&stack).await)
}

#[tauri::command]
pub async fn profile_test(
    state: AppHandleState<'_>,
    name: String,
) -> CommandResult<ConnectionReport> {
    let profile = state.book()?.get(&name)?;
    let stack = Stack::open(&state.home, profile).await?;
    Ok(stack.check().await.into())
}

#[tauri::command]
pub async fn profile_test_draft(input: ProfileInput) -> CommandResult<ConnectionReport> {
    let profile = Profile::from(input).validated()?;
    Ok(stratus_core::cloud::check_cloud(&profile).await.into())
}

#[tauri::command]
pub async fn profile_status(state: AppHandleState<'_>) -> CommandResult<ProfileStatus> {
    Ok(status_of(&*state.stack().await).await)
}

async fn status_of(stack: &Stack) -> ProfileStatus {
    if stack.profile.is_demo() {
        ProfileStatus::demo(&stack.profile.name)
    } else {
        ProfileStatus::from_report(&stack.check().await)
    }
}
