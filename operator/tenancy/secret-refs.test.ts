import { describe, expect, it } from 'vitest';
import type { RecordingView } from '../controller/recording-view.js';
import { secretRefsOf } from './secret-refs.js';

const recording = (spec: Record<string, unknown>): RecordingView =>
  ({ metadata: { name: 'r', namespace: 'shop' }, spec }) as unknown as RecordingView;
const defaults = { s3: { credentialsSecret: { name: 'admin-s3' } } };

describe('secretRefsOf', () => {
  it.each([
    [
      'the default destination from the operator namespace',
      {},
      [{ namespace: 'tapedeck-system', name: 'admin-s3', use: 's3-credentials' }],
    ],
    [
      "a Recording's own S3 Secret from its namespace, never the default's",
      { export: { s3: { bucket: 'b', credentialsSecret: { name: 'mine' } } } },
      [{ namespace: 'shop', name: 'mine', use: 's3-credentials' }],
    ],
    ["a Recording's export without a Secret: none", { export: { gcs: { bucket: 'b' } } }, []],
    [
      'redis sink passwords from the namespace',
      {
        export: { gcs: { bucket: 'b', credentialsSecret: { name: 'g' } } },
        output: {
          sinks: [
            { name: 'x', redis: { passwordSecret: { name: 'pw' } } },
            { name: 'f', file: {} },
          ],
        },
      },
      [
        { namespace: 'shop', name: 'g', use: 'gcs-credentials' },
        { namespace: 'shop', name: 'pw', use: 'redis-password' },
      ],
    ],
  ])('should resolve %s', (_case, spec, expected) => {
    expect(secretRefsOf(recording(spec), defaults, 'tapedeck-system')).toEqual(expected);
  });
});
