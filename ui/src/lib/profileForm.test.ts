import { describe, expect, it } from 'vitest';
import { profileView } from '../test/fixtures';
import { emptyValues, toProfileInput, validateProfile, valuesFromProfile } from './profileForm';

const valid = {
  ...emptyValues(),
  name: 'prod',
  region: 'eu-west-1',
  mediaBucket: 'acme-media',
  eventsBucket: 'acme-events',
};

describe('validateProfile', () => {
  it('accepts a minimal valid profile', () => {
    expect(validateProfile(valid, 'add')).toEqual({});
  });

  it('requires name, region and both buckets', () => {
    const errors = validateProfile(emptyValues(), 'add');
    expect(errors.name).toBe('Name is required.');
    expect(errors.region).toBe('Region is required.');
    expect(errors.mediaBucket).toBe('Media bucket is required.');
    expect(errors.eventsBucket).toBe('Events bucket is required.');
    expect(errors.awsProfile).toBeUndefined();
    expect(errors.endpointUrl).toBeUndefined();
    expect(errors.topicArn).toBeUndefined();
  });

  it('rejects malformed optional fields and bucket names', () => {
    const errors = validateProfile(
      { ...valid, endpointUrl: 'localhost:9000', topicArn: 'my-topic', mediaBucket: 'Acme_Media' },
      'add',
    );
    expect(errors.endpointUrl).toMatch(/http/);
    expect(errors.topicArn).toMatch(/arn:aws:sns/);
    expect(errors.mediaBucket).toMatch(/lowercase/);
  });

  it('refuses credentials in the endpoint and plain http to another computer unless allowed', () => {
    const endpoint = (endpointUrl: string, allowInsecureHttp = false) =>
      validateProfile({ ...valid, endpointUrl, allowInsecureHttp }, 'add').endpointUrl;
    expect(endpoint('https://user:secret@minio.example.com')).toMatch(/user name or password/);
    expect(endpoint('http://minio.lan:9000')).toMatch(/unencrypted/);
    expect(endpoint('http://minio.lan:9000', true)).toBeUndefined();
    expect(endpoint('http://127.0.0.1:9000')).toBeUndefined();
    expect(endpoint('http://localhost:4566')).toBeUndefined();
    expect(endpoint('https://minio.example.com')).toBeUndefined();
  });

  it('reserves the demo name for new profiles', () => {
    expect(validateProfile({ ...valid, name: 'demo' }, 'add').name).toMatch(/reserved/);
  });
});

describe('conversion', () => {
  it('trims values and turns empty optionals into null', () => {
    expect(toProfileInput({ ...valid, name: ' prod ', awsProfile: '  ', endpointUrl: '', topicArn: '' })).toEqual({
      name: 'prod',
      awsProfile: null,
      region: 'eu-west-1',
      endpointUrl: null,
      forcePathStyle: false,
      allowInsecureHttp: false,
      mediaBucket: 'acme-media',
      eventsBucket: 'acme-events',
      topicArn: null,
      imageFunctionUrl: null,
    });
  });

  it('round-trips a saved profile', () => {
    const p = profileView({ awsProfile: 'work', endpointUrl: 'http://localhost:9000', forcePathStyle: true });
    const input = toProfileInput(valuesFromProfile(p));
    expect(input).toEqual({
      name: p.name,
      awsProfile: 'work',
      region: p.region,
      endpointUrl: 'http://localhost:9000',
      forcePathStyle: true,
      allowInsecureHttp: false,
      mediaBucket: p.mediaBucket,
      eventsBucket: p.eventsBucket,
      topicArn: null,
      imageFunctionUrl: null,
    });
  });
});
