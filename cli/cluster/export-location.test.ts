import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.js';
import { exportLocation } from './export-location.js';
import type { RecordingView } from './recording-view.js';

const metadata = { namespace: 'shop', name: 'checkout', uid: '5B4E28BA-2fa1-11d2-883f-0016d3cca427' };

describe('exportLocation', () => {
  it.each([
    [
      'the spec, S3 with its endpoint and region',
      { s3: { bucket: 'traffic', prefix: 'prod/eu', endpoint: 'http://minio:9000', region: 'eu-west-1' } },
      [],
      {
        url: { scheme: 's3', bucket: 'traffic', prefix: 'prod/eu' },
        endpoint: 'http://minio:9000',
        region: 'eu-west-1',
      },
    ],
    [
      'the spec, GCS at the bucket root',
      { gcs: { bucket: 'traffic' } },
      [],
      { url: { scheme: 'gs', bucket: 'traffic', prefix: '' } },
    ],
    [
      "the artifacts (the chart's default destination), without the spec's endpoint",
      undefined,
      [
        {
          node: 'node-a',
          format: 'manifest',
          url: 's3://default-bucket/a/b/shop/checkout/5b4e28ba/1/node-a/manifest.json',
        },
      ],
      { url: { scheme: 's3', bucket: 'default-bucket', prefix: 'a/b' } },
    ],
    [
      'the artifacts over the spec, keeping the endpoint of the same bucket',
      { s3: { bucket: 'traffic', prefix: 'old', endpoint: 'http://minio:9000' } },
      [
        { node: 'node-a', format: 'pcap', url: 's3://traffic/new/shop/checkout/5b4e28ba/1/node-a/x.pcap' },
        { node: 'node-a', format: 'manifest', url: 's3://traffic/new/shop/checkout/5b4e28ba/1/node-a/manifest.json' },
      ],
      { url: { scheme: 's3', bucket: 'traffic', prefix: 'new' }, endpoint: 'http://minio:9000' },
    ],
  ])('should find the destination from %s', (_name, exportSpec, artifacts, expected) => {
    const recording: RecordingView = { metadata, spec: { export: exportSpec }, status: { artifacts } };
    expect(exportLocation(recording)).toEqual({ endpoint: undefined, region: undefined, ...expected, run: '5b4e28ba' });
  });

  it('should say what to do when neither the spec nor the status names a destination', () => {
    let error: unknown;
    try {
      exportLocation({ metadata, spec: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(7);
    expect((error as CliError).message).toMatch(/has no export destination .* pass --from s3:\/\/… or gs:\/\/…/);
  });
});
