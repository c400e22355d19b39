import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import {
  applyDeploy,
  deployStatus,
  discardDeploy,
  planDeploy,
  profileStatus,
  teardownDeploy,
  type DeployPlanView,
  type DeployStatusView,
} from '$lib/backend';
import { jobs } from '$lib/stores/jobs.svelte';
import { job } from '../../../test/fixtures';
import DeployCard from './DeployCard.svelte';

function status(overrides: Partial<DeployStatusView> = {}): DeployStatusView {
  return {
    profile: 'prod',
    cloud: true,
    defaultPrefix: 'prod',
    artifact: '/work/target/lambda/stratus-lambda-release.zip',
    artifactCommand: 'scripts/package-lambda.sh --release --build',
    deployment: null,
    stackStatus: null,
    stackReason: null,
    stackError: null,
    pending: null,
    teardownKeeps: [],
    ...overrides,
  };
}

function plan(overrides: Partial<DeployPlanView> = {}): DeployPlanView {
  return {
    profile: 'prod',
    stackName: 'stratus-shop',
    changeSetName: 'stratus-1700000000-00ab',
    createsStack: false,
    account: '123456789012',
    prefix: 'shop',
    wiring: 'cloudfront',
    firehose: false,
    allowedOrigins: [],
    collectorConcurrency: 10,
    changes: [
      { kind: 'remove', logicalId: 'OldQueue', resourceType: 'AWS::SQS::Queue', destructive: true },
      { kind: 'replace', logicalId: 'MediaBucket', resourceType: 'AWS::S3::Bucket', destructive: true },
      { kind: 'add', logicalId: 'CollectorFunction', resourceType: 'AWS::Lambda::Function', destructive: false },
      { kind: 'change', logicalId: 'ImageFunction', resourceType: 'AWS::Lambda::Function', destructive: false },
    ],
    destructive: 2,
    ...overrides,
  };
}

const deployed = {
  stackName: 'stratus-shop',
  prefix: 'shop',
  region: 'eu-west-1',
  wiring: 'cloudfront' as const,
  deployedAt: 1_700_000_000_000,
  imageBaseUrl: 'https://d111.cloudfront.net',
  imageFunctionUrl: 'https://abc.lambda-url.eu-west-1.on.aws/',
  collectorUrl: 'https://xyz.lambda-url.eu-west-1.on.aws/',
  mediaBucket: 'shop-media-123456789012-eu-west-1',
  eventsBucket: 'shop-events-123456789012-eu-west-1',
  distributionId: 'E123',
};

beforeEach(() => {
  for (const fn of [applyDeploy, deployStatus, discardDeploy, planDeploy, teardownDeploy, profileStatus]) {
    vi.mocked(fn).mockReset();
  }
  jobs.jobs = [];
  jobs.panelOpen = false;
});

describe('DeployCard', () => {
  it('explains that the demo profile cannot deploy and offers nothing to press', async () => {
    vi.mocked(deployStatus).mockResolvedValue(status({ cloud: false, profile: 'demo', defaultPrefix: null }));
    render(DeployCard);
    expect(await screen.findByTestId('deploy-needs-cloud')).toHaveTextContent('needs a cloud profile');
    expect(screen.queryByTestId('deploy-plan-button')).not.toBeInTheDocument();
  });

  it('plans with the chosen options and shows removals and replacements first, warned', async () => {
    const user = userEvent.setup();
    vi.mocked(deployStatus).mockResolvedValue(status());
    vi.mocked(planDeploy).mockResolvedValue(plan());
    render(DeployCard);

    await user.type(await screen.findByTestId('deploy-prefix'), 'shop');
    await user.selectOptions(screen.getByTestId('deploy-wiring'), 'website');
    await user.click(screen.getByTestId('deploy-firehose'));
    await user.type(screen.getByTestId('deploy-origins'), 'https://shop.example.com');
    await user.type(screen.getByTestId('deploy-concurrency'), '4');
    await user.click(screen.getByTestId('deploy-plan-button'));

    expect(planDeploy).toHaveBeenCalledWith({
      prefix: 'shop',
      wiring: 'website',
      firehose: true,
      allowedOrigins: 'https://shop.example.com',
      collectorConcurrency: 4,
    });
    const shown = await screen.findByTestId('deploy-plan');
    expect(shown).toHaveTextContent('Update stack stratus-shop');
    expect(screen.getByTestId('deploy-plan-warning')).toHaveTextContent('2 resources will be removed or replaced');
    const kinds = within(shown)
      .getAllByTestId('deploy-change')
      .map((li) => li.getAttribute('data-kind'));
    expect(kinds).toEqual(['remove', 'replace', 'add', 'change']);
    // Nothing is applied by planning.
    expect(applyDeploy).not.toHaveBeenCalled();
  });

  it('applies the plan shown as a job in the jobs panel and reloads when it ends', async () => {
    const user = userEvent.setup();
    vi.mocked(deployStatus).mockResolvedValueOnce(status({ pending: plan({ destructive: 0, changes: [] }) }));
    const running = job({ id: 'deploy-1', kind: 'deploy.apply', title: 'Deploy stratus-shop', done: 3, total: 17 });
    vi.mocked(applyDeploy).mockResolvedValue(running);
    render(DeployCard);

    expect(await screen.findByTestId('deploy-plan-empty')).toBeInTheDocument();
    await user.click(screen.getByTestId('deploy-apply'));
    expect(applyDeploy).toHaveBeenCalledWith('stratus-1700000000-00ab');
    expect(jobs.jobs.map((j) => j.id)).toEqual(['deploy-1']);
    expect(jobs.panelOpen).toBe(true);
    expect(await screen.findByTestId('deploy-job-started')).toHaveTextContent('follow its progress in the Jobs panel');

    // The job ends: the card reads the deployment again and the status bar the profile.
    vi.mocked(deployStatus).mockResolvedValue(status({ deployment: deployed, stackStatus: 'UPDATE_COMPLETE', teardownKeeps: [] }));
    jobs.upsert({ ...running, state: 'succeeded', done: 17, finishedAt: Date.now() });
    expect(await screen.findByTestId('deploy-image-base')).toHaveTextContent('https://d111.cloudfront.net');
    expect(screen.getByTestId('deploy-collector-url')).toHaveTextContent('https://xyz.lambda-url.eu-west-1.on.aws/');
    expect(screen.getByTestId('deploy-stack-status')).toHaveTextContent('UPDATE_COMPLETE');
    expect(profileStatus).toHaveBeenCalled();
  });

  it('discards the plan shown', async () => {
    const user = userEvent.setup();
    vi.mocked(deployStatus).mockResolvedValue(status({ pending: plan() }));
    vi.mocked(discardDeploy).mockResolvedValue(undefined);
    render(DeployCard);
    await user.click(await screen.findByTestId('deploy-discard'));
    expect(discardDeploy).toHaveBeenCalledWith('stratus-1700000000-00ab');
    expect(await screen.findByTestId('deploy-plan-button')).toBeEnabled();
    expect(screen.queryByTestId('deploy-plan')).not.toBeInTheDocument();
  });

  it('shows why a plan failed with its code, and says how to build a missing artifact', async () => {
    const user = userEvent.setup();
    vi.mocked(deployStatus).mockResolvedValue(status({ artifact: null }));
    vi.mocked(planDeploy).mockRejectedValue({
      code: 'artifact_missing',
      message: 'the function artifact: no function zip at …; build it with `scripts/package-lambda.sh --release --build`',
    });
    render(DeployCard);
    expect(await screen.findByTestId('deploy-artifact-missing')).toHaveTextContent('scripts/package-lambda.sh --release --build');
    await user.click(screen.getByTestId('deploy-plan-button'));
    const error = await screen.findByTestId('deploy-error');
    expect(error).toHaveAttribute('data-code', 'artifact_missing');
    expect(screen.queryByTestId('deploy-plan')).not.toBeInTheDocument();
  });

  it('shows a failed deploy job with its code', async () => {
    const user = userEvent.setup();
    vi.mocked(deployStatus).mockResolvedValue(status({ pending: plan() }));
    const running = job({ id: 'deploy-2', kind: 'deploy.apply' });
    vi.mocked(applyDeploy).mockResolvedValue(running);
    render(DeployCard);
    await user.click(await screen.findByTestId('deploy-apply'));
    jobs.upsert({
      ...running,
      state: 'failed',
      error: { code: 'deploy_failed', message: 'the stack ended in ROLLBACK_COMPLETE: bucket exists' },
    });
    const error = await screen.findByTestId('deploy-job-error');
    expect(error).toHaveAttribute('data-code', 'deploy_failed');
    expect(error).toHaveTextContent('The deploy failed: the stack ended in ROLLBACK_COMPLETE');
  });

  it('tears down after saying what it keeps, as a job', async () => {
    const user = userEvent.setup();
    vi.mocked(deployStatus).mockResolvedValue(
      status({
        deployment: deployed,
        stackStatus: 'CREATE_COMPLETE',
        teardownKeeps: ['bucket shop-media-123456789012-eu-west-1 with its objects', 'the artifact bucket'],
      }),
    );
    vi.mocked(teardownDeploy).mockResolvedValue(job({ id: 'down-1', kind: 'deploy.teardown' }));
    render(DeployCard);
    await user.click(await screen.findByTestId('deploy-teardown'));
    expect(teardownDeploy).not.toHaveBeenCalled();
    const ask = screen.getByRole('alertdialog', { name: 'Confirm teardown' });
    expect(ask).toHaveTextContent('Kept: bucket shop-media-123456789012-eu-west-1 with its objects, the artifact bucket');
    await user.click(screen.getByTestId('deploy-teardown-confirm'));
    expect(teardownDeploy).toHaveBeenCalledOnce();
    expect(jobs.jobs.map((j) => j.id)).toEqual(['down-1']);
  });

  it('shows a status it could not read with its code and a retry', async () => {
    vi.mocked(deployStatus).mockRejectedValueOnce({ code: 'aws_failed', message: 'sts:GetCallerIdentity failed' });
    render(DeployCard);
    const error = await screen.findByTestId('deploy-load-error');
    expect(error).toHaveAttribute('data-code', 'aws_failed');
    vi.mocked(deployStatus).mockResolvedValue(status());
    await userEvent.setup().click(within(error).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('deploy-plan-button')).toBeInTheDocument();
  });
});
