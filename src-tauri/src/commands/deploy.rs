//! Settings' "Deploy to AWS" card over the deploy flow the CLI shares
//! (`stratus_app::deploy`): status, plan, apply and teardown as jobs,
//! discard. Always the active profile.

use std::sync::Arc;

use stratus_app::deploy::{artifact, flow, ProfileDeploy};

use super::AppHandleState;
use crate::error::{AppError, CommandResult};
use crate::views::deploy::{DeployOptionsInput, DeployPlanView, DeployStatusView};
use crate::views::JobView;

/// The active profile's deployment: the record, the stack's status, a
/// pending plan, the artifact a plan would upload.
#[tauri::command]
pub async fn deploy_status(state: AppHandleState<'_>) -> CommandResult<DeployStatusView> {
    let profile = state.stack().await.profile.clone();
    if profile.is_demo() {
        return Ok(DeployStatusView::demo(&profile.name));
    }
    let deploy = ProfileDeploy::connect(&state.home, profile).await?;
    let name = deploy.profile().name.clone();
    Ok(DeployStatusView::cloud(
        &name,
        flow::default_prefix(&state.home, deploy.profile())?,
        deploy.record()?,
        deploy.status().await.map_err(AppError::from),
        state.deploy_plans.get(&name).as_ref(),
    ))
}

/// Uploads the artifact and creates a change set; nothing changes until
/// Apply. A plan shown earlier is discarded first.
#[tauri::command]
pub async fn deploy_plan(
    state: AppHandleState<'_>,
    options: DeployOptionsInput,
) -> CommandResult<DeployPlanView> {
    let profile = state.stack().await.profile.clone();
    let deploy = ProfileDeploy::connect(&state.home, profile).await?;
    let settings = deploy.settings(&options.into())?;
    let zip = artifact::load(None)?;
    if let Some(old) = state.deploy_plans.remove(&deploy.profile().name) {
        deploy.discard(&old).await?;
    }
    let planned = deploy.plan(settings, &zip.bytes).await?;
    state.deploy_plans.put(planned.clone());
    Ok(DeployPlanView::from(&planned))
}

/// Applies the pending plan named as a job (resources settled / planned);
/// the profile is pointed at the stack and the presets published.
#[tauri::command]
pub async fn deploy_apply(state: AppHandleState<'_>, change_set: String) -> CommandResult<JobView> {
    let stack = state.stack().await;
    let deploy = ProfileDeploy::connect(&state.home, stack.profile.clone()).await?;
    let planned = state.deploy_plans.take(&stack.profile.name, &change_set)?;
    let app = Arc::clone(state.inner());
    let title = format!("Deploy {}", planned.plan.stack_name);
    let job = state
        .jobs
        .start(&stack.db, "deploy.apply", title, move |ctx| async move {
            let deployed = deploy
                .apply(&planned, ctx.reporter(), |after| app.save_deployed(after))
                .await?;
            Ok::<_, stratus_app::Error>(deployed.summary())
        })
        .await?;
    Ok(job.into())
}

/// Deletes the pending plan's change set without applying it.
#[tauri::command]
pub async fn deploy_discard(state: AppHandleState<'_>, change_set: String) -> CommandResult<()> {
    let profile = state.stack().await.profile.clone();
    let deploy = ProfileDeploy::connect(&state.home, profile).await?;
    let planned = state
        .deploy_plans
        .take(&deploy.profile().name, &change_set)?;
    Ok(deploy.discard(&planned).await?)
}

/// Deletes the deployed stack as a job; the buckets are kept.
#[tauri::command]
pub async fn deploy_teardown(state: AppHandleState<'_>) -> CommandResult<JobView> {
    let stack = state.stack().await;
    let deploy = ProfileDeploy::connect(&state.home, stack.profile.clone()).await?;
    let notice = deploy.teardown_notice()?;
    let title = format!("Tear down {}", notice.stack_name);
    let job = state
        .jobs
        .start(
            &stack.db,
            "deploy.teardown",
            title,
            move |_ctx| async move {
                let notice = deploy.teardown().await?;
                Ok::<_, stratus_app::Error>(format!(
                    "Stack {} deleted; kept: {}",
                    notice.stack_name,
                    notice.keeps.join(", ")
                ))
            },
        )
        .await?;
    Ok(job.into())
}
