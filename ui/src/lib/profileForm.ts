/** The profile form's values, validation and conversion to and from the backend's types. */
import type { ProfileInput, ProfileView } from '$lib/backend';

export interface ProfileFormValues {
  name: string;
  awsProfile: string;
  region: string;
  endpointUrl: string;
  forcePathStyle: boolean;
  allowInsecureHttp: boolean;
  mediaBucket: string;
  eventsBucket: string;
  topicArn: string;
  imageFunctionUrl: string;
}

export type ProfileField = keyof ProfileFormValues;
export type FieldErrors = Partial<Record<ProfileField, string>>;

export function emptyValues(): ProfileFormValues {
  return {
    name: '',
    awsProfile: '',
    region: '',
    endpointUrl: '',
    forcePathStyle: false,
    allowInsecureHttp: false,
    mediaBucket: '',
    eventsBucket: '',
    topicArn: '',
    imageFunctionUrl: '',
  };
}

export function valuesFromProfile(p: ProfileView): ProfileFormValues {
  return {
    name: p.name,
    awsProfile: p.awsProfile ?? '',
    region: p.region ?? '',
    endpointUrl: p.endpointUrl ?? '',
    forcePathStyle: p.forcePathStyle,
    allowInsecureHttp: p.allowInsecureHttp,
    mediaBucket: p.mediaBucket,
    eventsBucket: p.eventsBucket,
    topicArn: p.topicArn ?? '',
    imageFunctionUrl: p.imageFunctionUrl ?? '',
  };
}

function optional(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function toProfileInput(v: ProfileFormValues): ProfileInput {
  return {
    name: v.name.trim(),
    awsProfile: optional(v.awsProfile),
    region: v.region.trim(),
    endpointUrl: optional(v.endpointUrl),
    forcePathStyle: v.forcePathStyle,
    allowInsecureHttp: v.allowInsecureHttp,
    mediaBucket: v.mediaBucket.trim(),
    eventsBucket: v.eventsBucket.trim(),
    topicArn: optional(v.topicArn),
    imageFunctionUrl: optional(v.imageFunctionUrl),
  };
}

// S3 bucket naming: 3–63 characters of a-z, 0-9, '.', '-', starting and ending alphanumeric.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const REGION = /^[a-z0-9][a-z0-9-]*$/;

function bucketError(label: string, value: string): string | undefined {
  if (value === '') return `${label} is required.`;
  if (!BUCKET.test(value)) {
    return `${label} must be 3–63 characters of lowercase letters, digits, dots or hyphens.`;
  }
  return undefined;
}

/**
 * Client-side checks so obvious mistakes are caught before a round trip. The backend
 * validates again and its `invalid_profile` errors are shown as well.
 */
export function validateProfile(v: ProfileFormValues, mode: 'add' | 'edit'): FieldErrors {
  const input = toProfileInput(v);
  const errors: FieldErrors = {};

  if (input.name === '') errors.name = 'Name is required.';
  else if (!PROFILE_NAME.test(input.name)) {
    errors.name = 'Use up to 64 letters, digits, dots, hyphens or underscores, starting with a letter or digit.';
  } else if (mode === 'add' && input.name.toLowerCase() === 'demo') {
    errors.name = '“demo” is reserved for the offline demo profile.';
  }

  if (input.region === '') errors.region = 'Region is required.';
  else if (!REGION.test(input.region)) errors.region = 'Region looks like us-east-1.';

  if (input.endpointUrl !== null) {
    const problem = endpointProblem(input.endpointUrl, input.allowInsecureHttp);
    if (problem) errors.endpointUrl = problem;
  }

  const media = bucketError('Media bucket', input.mediaBucket);
  if (media) errors.mediaBucket = media;
  const events = bucketError('Events bucket', input.eventsBucket);
  if (events) errors.eventsBucket = events;

  if (input.topicArn !== null && !/^arn:[^:]+:sns:[^:]*:[^:]*:.+$/.test(input.topicArn)) {
    errors.topicArn = 'Topic ARN looks like arn:aws:sns:us-east-1:123456789012:my-topic.';
  }
  if (input.imageFunctionUrl !== null && !isHttpUrl(input.imageFunctionUrl)) {
    errors.imageFunctionUrl = 'Image function URL must start with http:// or https://.';
  }
  return errors;
}

/** The backend's endpoint rules, checked early: no credentials, encrypted unless local or allowed. */
function endpointProblem(value: string, allowInsecureHttp: boolean): string | undefined {
  if (!isHttpUrl(value)) return 'Endpoint URL must start with http:// or https://.';
  const url = new URL(value);
  if (url.username !== '' || url.password !== '') {
    return 'Endpoint URL must not contain a user name or password; credentials come from the AWS credential chain.';
  }
  if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopback(url.hostname)) {
    return 'Plain http:// to another computer is unencrypted: use https://, or allow insecure HTTP below.';
  }
  return undefined;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]'
  );
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}
