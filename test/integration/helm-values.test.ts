// The chart's values: every one documented with a helm-docs `# --` comment, and values.schema.json
// rejecting bad values with a message that names the offending value before anything is rendered.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMap, isScalar, parseDocument } from 'yaml';
import type { YAMLMap } from 'yaml';
import { chartDir, failureOf, helmRunner, renderChart, type Helm } from './helm-fixtures.js';

let helm: Helm;

/** Dotted paths of values without a `# --` comment on themselves or an enclosing map. */
function undocumentedValues(map: YAMLMap, path = '', documented = false): string[] {
  return map.items.flatMap((pair, index) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    // yaml attaches the comment above a map's first key to the map itself.
    const comment =
      (index === 0 ? map.commentBefore : undefined) ?? (pair.key as { commentBefore?: string }).commentBefore;
    const here = documented || /(^|\n) ?-- /.test(comment ?? '');
    if (isMap(pair.value)) return undocumentedValues(pair.value, `${path}${key}.`, here);
    return here ? [] : [`${path}${key}`];
  });
}

beforeAll(async () => {
  helm = await helmRunner('helm-values');
});

describe('helm chart values', () => {
  it('should document every value with a # -- comment', async () => {
    const doc = parseDocument(await readFile(join(chartDir, 'values.yaml'), 'utf8'));
    if (!isMap(doc.contents)) throw new Error('values.yaml is not a map');
    expect(undocumentedValues(doc.contents)).toEqual([]);
  });

  it.each([
    { set: 'agent.storage.limit=lots', path: '/agent/storage/limit', value: 'lots' },
    { set: 'agent.storage.limit=5 GB', path: '/agent/storage/limit', value: '5 GB' },
    { set: 'agent.storage.type=tmpfs', path: '/agent/storage/type', value: 'tmpfs' },
    { set: 'agent.grpcPort=70000', path: '/agent/grpcPort', value: '70000' },
    { set: 'agent.maxSessions=0', path: '/agent/maxSessions', value: 'minimum' },
    { set: 'operator.logLevel=loud', path: '/operator/logLevel', value: 'loud' },
    { set: 'operator.replicas=two', path: '/operator/replicas', value: 'string' },
    { set: 'operator.leaderElection.enabled=false', path: '/operator/replicas', value: 'maximum' },
    { set: 'export.destination=ftp', path: '/export/destination', value: 'ftp' },
    { set: 'export.destination=s3', path: '/export/s3/bucket', value: 'minLength' },
    { set: 'export.s3.prefix=/abs/', path: '/export/s3/prefix', value: '/abs/' },
    { set: 'export.gcs.endpoint=ftp://x', path: '/export/gcs/endpoint', value: 'ftp://x' },
    { set: 'mtls.existingSecrets.agent=Not_A_Name', path: '/mtls/existingSecrets/agent', value: 'Not_A_Name' },
    { set: 'agent.storagee.limit=1Gi', path: '/agent', value: 'storagee' },
  ])('should reject --set $set naming $path', async ({ set, path, value }) => {
    const failure = await failureOf(renderChart(helm, '--set', set));
    expect(failure).toContain("values don't meet the specifications of the schema");
    expect(failure).toContain(`at '${path}'`);
    expect(failure).toContain(value);
  });

  it('should refuse a persistentVolumeClaim data volume without a claim name', async () => {
    const failure = await failureOf(renderChart(helm, '--set', 'agent.storage.type=persistentVolumeClaim'));
    expect(failure).toContain('agent.storage.claimName is required when agent.storage.type is persistentVolumeClaim');
  });

  it('should refuse only one of the two existing mTLS Secrets', async () => {
    const failure = await failureOf(renderChart(helm, '--set', 'mtls.existingSecrets.agent=mine'));
    expect(failure).toContain('mtls.existingSecrets: set both agent and operator');
  });

  it('should accept an emptyDir data volume and a default GCS destination', async () => {
    const manifests = await renderChart(
      helm,
      '--set',
      'agent.storage.type=emptyDir',
      '--set',
      'export.destination=gcs',
      '--set',
      'export.gcs.bucket=traffic_eu',
    );
    expect(manifests.some((m) => m.kind === 'DaemonSet')).toBe(true);
  });
});
