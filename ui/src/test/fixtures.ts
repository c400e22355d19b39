import type {
  ConnectionReport,
  ImageCatalog,
  JobView,
  ObjectListing,
  ObjectView,
  PresetView,
  ProfileStatus,
  ProfileView,
  VariantView,
} from '$lib/backend';

export function job(overrides: Partial<JobView> = {}): JobView {
  return {
    id: 'job-1',
    kind: 'demo_reset',
    title: 'Reset demo data',
    state: 'running',
    done: 3,
    total: 10,
    message: '',
    error: null,
    startedAt: Date.now() - 5_000,
    finishedAt: null,
    ...overrides,
  };
}

export function object(key: string, overrides: Partial<ObjectView> = {}): ObjectView {
  return { key, size: 2048, lastModified: 1_700_000_000_000, etag: null, contentType: null, ...overrides };
}

export function listing(overrides: Partial<ObjectListing> = {}): ObjectListing {
  return { bucket: 'demo-media', prefix: '', folders: [], objects: [], nextAfter: null, ...overrides };
}

export function profileView(overrides: Partial<ProfileView> = {}): ProfileView {
  return {
    name: 'prod',
    kind: 'cloud',
    active: false,
    awsProfile: null,
    region: 'eu-west-1',
    endpointUrl: null,
    forcePathStyle: false,
    allowInsecureHttp: false,
    mediaBucket: 'acme-media',
    eventsBucket: 'acme-events',
    topicArn: null,
    imageFunctionUrl: null,
    ...overrides,
  };
}

export function demoProfile(overrides: Partial<ProfileView> = {}): ProfileView {
  return profileView({
    name: 'demo',
    kind: 'demo',
    active: true,
    region: null,
    mediaBucket: 'media',
    eventsBucket: 'events',
    ...overrides,
  });
}

export function status(overrides: Partial<ProfileStatus> = {}): ProfileStatus {
  return { name: 'demo', kind: 'demo', reachability: 'offline', message: '', ...overrides };
}

export function report(overrides: Partial<ConnectionReport> = {}): ConnectionReport {
  return {
    profile: 'draft',
    ok: false,
    checks: [
      { target: 'credentials', outcome: 'ok', code: null, message: 'Resolved from the default chain' },
      { target: 'media bucket', outcome: 'failed', code: 'access_denied', message: 'Access denied to acme-media' },
      { target: 'topic', outcome: 'skipped', code: null, message: 'No topic configured' },
    ],
    ...overrides,
  };
}

export function preset(name: string, overrides: Partial<PresetView> = {}): PresetView {
  return {
    name,
    spec: `${name}-spec`,
    width: 200,
    height: 200,
    fit: 'cover',
    gravity: 'centre',
    enlarge: false,
    format: 'webp',
    quality: 80,
    ...overrides,
  };
}

export function catalog(overrides: Partial<ImageCatalog> = {}): ImageCatalog {
  return {
    presets: [preset('thumb'), preset('card', { width: 600, height: 400 })],
    allowedSpecs: [],
    gravities: ['centre', 'north', 'northeast', 'east', 'southeast', 'south', 'southwest', 'west', 'northwest', 'focus', 'entropy', 'attention'],
    ...overrides,
  };
}

export function variant(overrides: Partial<VariantView> = {}): VariantView {
  return {
    preset: 'thumb',
    key: 'variants/thumb/a.jpg.webp',
    url: 'stratus-img://localhost/v/thumb/a.jpg',
    publicUrl: 'http://127.0.0.1:8787/variants/a.jpg/thumb.webp',
    autoUrl: null,
    width: 200,
    height: 150,
    bytes: 10_240,
    format: 'webp',
    outcome: 'hit',
    millis: null,
    ...overrides,
  };
}
