//! The stack through CloudFormation change sets: upload the artifact,
//! create a change set and read it back as a [`Plan`], execute it while
//! reporting progress, read the outputs; delete the stack.

use std::time::Duration;

use aws_sdk_cloudformation::types::{
    Capability, ChangeAction, ChangeSetStatus, ChangeSetType, Parameter, StackStatus,
};
use aws_sdk_cloudformation::Client as Cfn;
use aws_sdk_s3::primitives::ByteStream;
use sha2::{Digest, Sha256};

use crate::error::{DeployError, Result};
use crate::plan::{Action, Change, Plan, Replacement};
use crate::settings::{DeployOutputs, DeploySettings};

/// How often CloudFormation is asked how things stand.
const POLL: Duration = Duration::from_secs(3);

/// The clients a deploy needs, from one SDK configuration.
pub struct Deployer {
    pub cfn: Cfn,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
    /// Between polls (tests against moto use zero).
    pub poll: Duration,
}

impl Deployer {
    pub fn new(sdk: &aws_config::SdkConfig, s3: aws_sdk_s3::Client) -> Self {
        Deployer {
            cfn: Cfn::new(sdk),
            s3,
            sts: aws_sdk_sts::Client::new(sdk),
            poll: POLL,
        }
    }

    /// The account the credentials belong to (artifact bucket names).
    pub async fn account(&self) -> Result<String> {
        let me = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| DeployError::aws("sts:GetCallerIdentity", &e))?;
        me.account()
            .map(str::to_string)
            .ok_or_else(|| DeployError::Unexpected("no account in the caller identity".into()))
    }

    /// Puts the function zip in the artifact bucket (created if missing)
    /// under a key named by its hash, so an unchanged artifact is an
    /// unchanged template parameter and the function is not redeployed.
    pub async fn upload_artifact(&self, bucket: &str, zip: &[u8]) -> Result<String> {
        let key = format!("stratus-lambda/{}.zip", hex::encode(Sha256::digest(zip)));
        let exists = self.s3.head_bucket().bucket(bucket).send().await.is_ok();
        if !exists {
            self.s3
                .create_bucket()
                .bucket(bucket)
                .set_create_bucket_configuration(bucket_location(self.s3.config().region()))
                .send()
                .await
                .map_err(|e| DeployError::aws("s3:CreateBucket", &e))?;
        }
        self.s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/zip")
            .body(ByteStream::from(zip.to_vec()))
            .send()
            .await
            .map_err(|e| DeployError::aws("s3:PutObject", &e))?;
        Ok(key)
    }

    /// Whether the stack exists (and is not a deleted one).
    pub async fn stack_exists(&self, stack: &str) -> Result<bool> {
        Ok(self.stack_status(stack).await?.is_some())
    }

    /// The stack's status and its reason, if it exists (and is not a
    /// deleted one): what the app shows next to a deployment.
    pub async fn stack_state(&self, stack: &str) -> Result<Option<(String, String)>> {
        if self.stack_status(stack).await?.is_none() {
            return Ok(None);
        }
        self.status(stack).await.map(Some)
    }

    /// The stack's status, if it exists (and is not a deleted one).
    async fn stack_status(&self, stack: &str) -> Result<Option<StackStatus>> {
        match self.cfn.describe_stacks().stack_name(stack).send().await {
            Ok(out) => Ok(out
                .stacks()
                .first()
                .and_then(|s| s.stack_status())
                .filter(|s| **s != StackStatus::DeleteComplete)
                .cloned()),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(DeployError::aws("cloudformation:DescribeStacks", &e)),
        }
    }

    /// Creates a change set for `template` with `settings`, waits until
    /// CloudFormation has worked it out, and returns it as a plan. An empty
    /// plan's change set is deleted again.
    pub async fn plan(
        &self,
        template: &str,
        settings: &DeploySettings,
        artifact_key: &str,
    ) -> Result<Plan> {
        let stack = settings.stack_name();
        // A stack whose first change set was never executed (a plan-only
        // run) is still created by the next one.
        let creates_stack = matches!(
            self.stack_status(&stack).await?,
            None | Some(StackStatus::ReviewInProgress)
        );
        // Unique beyond the second: moto finds change sets by name across
        // stacks, and two plans can start in the same second.
        let change_set_name = format!("stratus-{}-{:04x}", unix_now(), rand::random::<u16>());
        let parameters: Vec<Parameter> = settings
            .parameters(artifact_key)
            .into_iter()
            .map(|(k, v)| {
                Parameter::builder()
                    .parameter_key(k)
                    .parameter_value(v)
                    .build()
            })
            .collect();
        self.cfn
            .create_change_set()
            .stack_name(&stack)
            .change_set_name(&change_set_name)
            .change_set_type(if creates_stack {
                ChangeSetType::Create
            } else {
                ChangeSetType::Update
            })
            .template_body(template)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .description("stratus deploy")
            .send()
            .await
            .map_err(|e| DeployError::aws("cloudformation:CreateChangeSet", &e))?;

        let mut changes = Vec::new();
        loop {
            let out = self
                .cfn
                .describe_change_set()
                .stack_name(&stack)
                .change_set_name(&change_set_name)
                .send()
                .await
                .map_err(|e| DeployError::aws("cloudformation:DescribeChangeSet", &e))?;
            match out.status() {
                Some(ChangeSetStatus::CreateComplete) => {
                    changes.extend(out.changes().iter().filter_map(change));
                    // Long plans come in pages.
                    let mut next = out.next_token().map(str::to_string);
                    while let Some(token) = next {
                        let page = self
                            .cfn
                            .describe_change_set()
                            .stack_name(&stack)
                            .change_set_name(&change_set_name)
                            .next_token(token)
                            .send()
                            .await
                            .map_err(|e| {
                                DeployError::aws("cloudformation:DescribeChangeSet", &e)
                            })?;
                        changes.extend(page.changes().iter().filter_map(change));
                        next = page.next_token().map(str::to_string);
                    }
                    break;
                }
                Some(ChangeSetStatus::Failed) => {
                    let reason = out.status_reason().unwrap_or_default().to_string();
                    // CloudFormation's way of saying "nothing to do".
                    if reason.contains("didn't contain changes")
                        || reason.contains("No updates are to be performed")
                    {
                        let _ = self
                            .cfn
                            .delete_change_set()
                            .stack_name(&stack)
                            .change_set_name(&change_set_name)
                            .send()
                            .await;
                        break;
                    }
                    return Err(DeployError::PlanFailed(reason));
                }
                _ => tokio::time::sleep(self.poll).await,
            }
        }
        Ok(Plan {
            stack_name: stack,
            change_set_name,
            creates_stack,
            changes,
        })
    }

    /// Executes a plan and waits for the stack to settle; `progress` hears
    /// how many resources are done out of the plan's.
    pub async fn apply(
        &self,
        plan: &Plan,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<DeployOutputs> {
        if !plan.is_empty() {
            self.cfn
                .execute_change_set()
                .stack_name(&plan.stack_name)
                .change_set_name(&plan.change_set_name)
                .send()
                .await
                .map_err(|e| DeployError::aws("cloudformation:ExecuteChangeSet", &e))?;
            let total = plan.changes.len();
            loop {
                let (status, reason) = self.status(&plan.stack_name).await?;
                let done = self.resources_done(&plan.stack_name).await?.min(total);
                progress(done, total);
                match status.as_str() {
                    s if s.ends_with("_IN_PROGRESS") => tokio::time::sleep(self.poll).await,
                    "CREATE_COMPLETE" | "UPDATE_COMPLETE" => break,
                    other => {
                        return Err(DeployError::ApplyFailed {
                            status: other.to_string(),
                            reason,
                        })
                    }
                }
            }
        }
        self.outputs(&plan.stack_name).await
    }

    /// Deletes a plan's change set without executing it. A stack that the
    /// change set alone brought into being (still `REVIEW_IN_PROGRESS`, no
    /// resources) is deleted with it, so nothing is left behind.
    pub async fn discard(&self, plan: &Plan) -> Result<()> {
        if plan.is_empty() {
            return Ok(());
        }
        self.cfn
            .delete_change_set()
            .stack_name(&plan.stack_name)
            .change_set_name(&plan.change_set_name)
            .send()
            .await
            .map_err(|e| DeployError::aws("cloudformation:DeleteChangeSet", &e))?;
        if plan.creates_stack
            && self.stack_status(&plan.stack_name).await? == Some(StackStatus::ReviewInProgress)
        {
            self.cfn
                .delete_stack()
                .stack_name(&plan.stack_name)
                .send()
                .await
                .map_err(|e| DeployError::aws("cloudformation:DeleteStack", &e))?;
        }
        Ok(())
    }

    /// The stack as CloudFormation describes it now.
    async fn describe(&self, stack: &str) -> Result<aws_sdk_cloudformation::types::Stack> {
        let out = self
            .cfn
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| DeployError::aws("cloudformation:DescribeStacks", &e))?;
        out.stacks()
            .first()
            .cloned()
            .ok_or_else(|| DeployError::Unexpected(format!("stack {stack} vanished")))
    }

    async fn status(&self, stack: &str) -> Result<(String, String)> {
        let stack = self.describe(stack).await?;
        Ok((
            stack
                .stack_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            stack.stack_status_reason().unwrap_or_default().to_string(),
        ))
    }

    /// Resources that have reached a final state in this stack.
    async fn resources_done(&self, stack: &str) -> Result<usize> {
        let out = self
            .cfn
            .list_stack_resources()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| DeployError::aws("cloudformation:ListStackResources", &e))?;
        Ok(out
            .stack_resource_summaries()
            .iter()
            .filter(|r| {
                r.resource_status()
                    .is_some_and(|s| s.as_str().ends_with("_COMPLETE"))
            })
            .count())
    }

    /// The stack's outputs: where the functions and buckets are.
    pub async fn outputs(&self, stack: &str) -> Result<DeployOutputs> {
        let pairs = self
            .describe(stack)
            .await?
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
            .collect();
        Ok(DeployOutputs::from_pairs(pairs))
    }

    /// Deletes the stack and waits until it is gone. Buckets are retained
    /// by the template (their data outlives the stack).
    pub async fn teardown(&self, stack: &str) -> Result<()> {
        self.cfn
            .delete_stack()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| DeployError::aws("cloudformation:DeleteStack", &e))?;
        loop {
            if !self.stack_exists(stack).await? {
                return Ok(());
            }
            let (status, reason) = self.status(stack).await?;
            if status == "DELETE_FAILED" {
                return Err(DeployError::ApplyFailed { status, reason });
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}

fn not_found<E: std::error::Error>(e: &E) -> bool {
    stratus_core::store::error_chain(e).contains("does not exist")
}

fn change(c: &aws_sdk_cloudformation::types::Change) -> Option<Change> {
    let rc = c.resource_change()?;
    Some(Change {
        action: match rc.action() {
            Some(ChangeAction::Add) => Action::Add,
            Some(ChangeAction::Modify) => Action::Modify,
            Some(ChangeAction::Remove) => Action::Remove,
            _ => Action::Other,
        },
        logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: rc.resource_type().unwrap_or_default().to_string(),
        replacement: match rc.replacement().map(|r| r.as_str()) {
            Some("True") => Replacement::Yes,
            Some("Conditional") => Replacement::Conditional,
            _ => Replacement::No,
        },
    })
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Where a new bucket goes: S3 refuses a CreateBucket without a location
/// constraint everywhere but us-east-1 (IllegalLocationConstraintException),
/// and refuses `us-east-1` spelled out as one.
fn bucket_location(
    region: Option<&aws_sdk_s3::config::Region>,
) -> Option<aws_sdk_s3::types::CreateBucketConfiguration> {
    let region = region.map(|r| r.as_ref()).filter(|r| *r != "us-east-1")?;
    Some(
        aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
            .build(),
    )
}
