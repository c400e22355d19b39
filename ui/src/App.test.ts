import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('./test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { errorBanner } from '$lib/stores/errorBanner.svelte';
import { jobs } from '$lib/stores/jobs.svelte';
import { route } from '$lib/stores/route.svelte';
import type { JobView } from '$lib/backend';
import App from './App.svelte';
import { facets, syncStatus } from './test/eventFixtures';
import { catalog, demoProfile, job, listing, object, status } from './test/fixtures';

beforeEach(() => {
  vi.clearAllMocks();
  jobs.jobs = [];
  jobs.panelOpen = false;
  errorBanner.dismiss();
  vi.mocked(backend.profileStatus).mockResolvedValue(status());
  vi.mocked(backend.watchJobs).mockResolvedValue(undefined);
  vi.mocked(backend.listJobs).mockResolvedValue([job({ id: 'j1', state: 'running' })]);
  vi.mocked(backend.listObjects).mockImplementation(async (bucket) =>
    listing({ bucket: `demo-${bucket}`, objects: [object(`${bucket}.txt`)] }),
  );
  vi.mocked(backend.listOriginals).mockResolvedValue(listing({ objects: [object('products/shoe.jpg')] }));
  vi.mocked(backend.imageCatalog).mockResolvedValue(catalog());
  vi.mocked(backend.listProfiles).mockResolvedValue([demoProfile()]);
  vi.mocked(backend.appInfo).mockResolvedValue({ version: '0.1.0', dataDir: '/tmp/stratus' });
  vi.mocked(backend.appReady).mockResolvedValue(undefined);
  vi.mocked(backend.listCampaigns).mockResolvedValue([]);
  vi.mocked(backend.pickCustomers).mockResolvedValue([]);
  vi.mocked(backend.eventsSyncStatus).mockResolvedValue(syncStatus());
  vi.mocked(backend.eventsPage).mockResolvedValue({ events: [], next: null });
  vi.mocked(backend.eventFacets).mockResolvedValue(facets({ byEvent: [], byDay: [] }));
});

describe('App', () => {
  it('starts on Images with the status bar filled in', async () => {
    render(App);
    expect(screen.getByTestId('section-images')).toBeInTheDocument();
    expect(await screen.findByTestId('image-tile')).toHaveAttribute('data-key', 'products/shoe.jpg');
    expect(backend.listOriginals).toHaveBeenCalledWith('', null);
    expect(await screen.findByTestId('warm-preset')).toHaveValue('thumb');
    expect(await screen.findByText('Offline demo')).toBeInTheDocument();
    expect(screen.getByTestId('status-profile')).toHaveTextContent('demo');
    await vi.waitFor(() => expect(screen.getByTestId('jobs-toggle')).toHaveTextContent('1'));
  });

  it('navigates between the sections', async () => {
    const user = userEvent.setup();
    render(App);

    await user.click(screen.getByTestId('nav-events'));
    expect(screen.getByTestId('section-events')).toBeInTheDocument();
    expect(screen.queryByTestId('section-images')).not.toBeInTheDocument();
    // The support workflow first; the raw batches one tab away.
    expect(await screen.findByTestId('sync-status')).toHaveAttribute('data-events', '30000');
    await user.click(screen.getByTestId('events-tab-raw'));
    expect(await screen.findByTestId('object-row')).toHaveTextContent('events.txt');

    await user.click(screen.getByTestId('nav-campaigns'));
    expect(await screen.findByTestId('campaigns-empty')).toHaveTextContent('No campaigns yet');

    await user.click(screen.getByTestId('nav-settings'));
    expect(await screen.findByTestId('profile-row-demo')).toBeInTheDocument();
    expect(screen.getByTestId('nav-settings')).toHaveAttribute('aria-current', 'page');
  });

  it('opens the jobs panel from the status bar', async () => {
    const user = userEvent.setup();
    render(App);
    expect(screen.queryByTestId('jobs-panel')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('jobs-toggle'));
    expect(await screen.findByTestId('job-row')).toHaveAttribute('data-job-id', 'j1');
  });

  it('shows the error banner when jobs cannot be followed', async () => {
    vi.mocked(backend.watchJobs).mockRejectedValue({ code: 'internal', message: 'channel closed' });
    render(App);
    const banner = await screen.findByTestId('error-banner');
    expect(banner).toHaveTextContent('Could not follow jobs');
    expect(banner).toHaveTextContent('channel closed');
  });

  it('shows the demo as preparing while the first seed runs, then reloads the sections', async () => {
    let push: (job: JobView) => void = () => {};
    vi.mocked(backend.watchJobs).mockImplementation(async (onJob) => {
      push = onJob;
    });
    const seeding = job({ id: 'seed', kind: 'demo.seed', title: 'Preparing demo data', state: 'running' });
    vi.mocked(backend.listJobs).mockResolvedValue([seeding]);
    vi.mocked(backend.listOriginals).mockResolvedValue(listing({ objects: [] }));
    route.section = 'images';
    render(App);
    expect(await screen.findByTestId('preparing-demo')).toHaveTextContent('Preparing demo data');
    await vi.waitFor(() => expect(backend.listOriginals).toHaveBeenCalledTimes(1));

    vi.mocked(backend.listOriginals).mockResolvedValue(listing({ objects: [object('products/shoe.jpg')] }));
    push({ ...seeding, state: 'succeeded', finishedAt: Date.now() + 1 });
    expect(await screen.findByTestId('image-tile')).toHaveAttribute('data-key', 'products/shoe.jpg');
    expect(screen.queryByTestId('preparing-demo')).not.toBeInTheDocument();
  });

  it('tells the shell when the first frame is painted', async () => {
    // Frames the earlier tests' apps requested land first.
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    vi.mocked(backend.appReady).mockClear();
    render(App);
    await vi.waitFor(() => expect(backend.appReady).toHaveBeenCalledTimes(1));
  });
});
