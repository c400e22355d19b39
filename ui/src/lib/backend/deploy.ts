/** Typed calls for Settings' "Deploy to AWS" card (always the active profile). */
import type { DeployOptionsInput } from './bindings/DeployOptionsInput';
import type { DeployPlanView } from './bindings/DeployPlanView';
import type { DeployStatusView } from './bindings/DeployStatusView';
import type { JobView } from './bindings/JobView';
import { call } from './call';

export type { ChangeKind } from './bindings/ChangeKind';
export type { DeployOptionsInput } from './bindings/DeployOptionsInput';
export type { DeployPlanView } from './bindings/DeployPlanView';
export type { DeployStatusView } from './bindings/DeployStatusView';
export type { DeploymentView } from './bindings/DeploymentView';
export type { PlannedChangeView } from './bindings/PlannedChangeView';
export type { WiringChoice } from './bindings/WiringChoice';

/** The deployment as it stands: record, stack status, a pending plan, the artifact. */
export function deployStatus(): Promise<DeployStatusView> {
  return call<DeployStatusView>('deploy_status');
}

/** Uploads the function zip and creates a change set; nothing changes until it is applied. */
export function planDeploy(options: DeployOptionsInput): Promise<DeployPlanView> {
  return call<DeployPlanView>('deploy_plan', { options });
}

/** Starts a job that applies the pending plan named by its change set. */
export function applyDeploy(changeSet: string): Promise<JobView> {
  return call<JobView>('deploy_apply', { changeSet });
}

/** Deletes the pending plan's change set. */
export function discardDeploy(changeSet: string): Promise<void> {
  return call<void>('deploy_discard', { changeSet });
}

/** Starts a job that deletes the deployed stack (its buckets are kept). */
export function teardownDeploy(): Promise<JobView> {
  return call<JobView>('deploy_teardown');
}
