import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RECORDING_API_VERSION,
  RECORDING_GROUP,
  RECORDING_KIND,
  RECORDING_PLURAL,
  RECORDING_VERSION,
} from '../../operator/api/recording.js';
import type { Recording } from '../../operator/api/recording.js';
import { runCommand } from '../env/command.js';
import { coreApi, customObjectsApi, kubeConfig, testEnv } from '../env/kube.js';
import { apiErrorCode, apiErrorMessage, installRecordingCrd, readSamples } from './crd-fixtures.js';
import { invalidSelectionCases } from './crd-invalid-cases.js';
import { invalidOutputCases } from './crd-invalid-output-cases.js';

const samples = await readSamples();
const invalidCases = [...invalidSelectionCases, ...invalidOutputCases];
const namespace = `crd-${randomBytes(3).toString('hex')}`;
const coordinates = { group: RECORDING_GROUP, version: RECORDING_VERSION, plural: RECORDING_PLURAL, namespace };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let kc: KubeConfig;
let api: CustomObjectsApi;

const recording = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: RECORDING_API_VERSION,
  kind: RECORDING_KIND,
  metadata: { name, namespace },
  spec,
});

const rejection = async (call: Promise<unknown>): Promise<{ code: number | undefined; message: string }> => {
  try {
    await call;
  } catch (error) {
    return { code: apiErrorCode(error), message: apiErrorMessage(error) };
  }
  throw new Error('The API server accepted what it should have rejected');
};

const read = async (name: string): Promise<Recording> =>
  (await api.getNamespacedCustomObject({ ...coordinates, name })) as Recording;

beforeAll(async () => {
  kc = kubeConfig();
  api = customObjectsApi();
  await installRecordingCrd(kc);
  await coreApi().createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await coreApi()
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
});

describe('Recording CRD', () => {
  it('should be served with the names, status subresource and columns kubectl uses', async () => {
    const { stdout } = await runCommand(testEnv().bin.kubectl, ['api-resources', '--api-group', RECORDING_GROUP], {
      env: { ...process.env, KUBECONFIG: testEnv().kubeconfigPath },
    });
    expect(stdout).toMatch(/^recordings\s+rec\s+tapedeck\.dev\/v1alpha1\s+true\s+Recording\s*$/m);
  });

  it.each(samples)('should accept sample $file and apply the defaults', async ({ recording: sample }) => {
    const created = (await api.createNamespacedCustomObject({
      ...coordinates,
      body: { ...sample, metadata: { ...sample.metadata, namespace } },
    })) as Recording;

    expect(created.spec).toMatchObject(sample.spec as object);
    expect(created.spec.target.interfaces.length).toBeGreaterThan(0);
    expect(created.spec.schedule.duration).toMatch(/^\d/);
    expect(created.spec.schedule.dailyIterations).toBeTypeOf('number');
    expect(created.spec.output.formats.length).toBeGreaterThan(0);
    expect(created.spec.output.rotation.maxFileBytes).toBeDefined();
    expect(created.spec.retention.expireAfter).toMatch(/^\d/);
    expect(created.spec.maxCaptureLength).toBeTypeOf('number');
  });

  it('should fill every default into an empty spec', async () => {
    const created = (await api.createNamespacedCustomObject({
      ...coordinates,
      body: recording('defaults', {}),
      dryRun: 'All',
    })) as Recording;

    expect(created.spec).toEqual({
      target: { interfaces: ['any'] },
      maxCaptureLength: 0,
      schedule: { dailyIterations: 1, duration: '60m' },
      output: { formats: ['pcap'], rotation: { maxFileBytes: '64Mi', maxFileAge: '5m' }, onStorageFull: 'Continue' },
      retention: { expireAfter: '72h', onDelete: { local: 'Delete', exported: 'Retain' } },
    });
  });

  it('should default nested entries of lists and optional objects', async () => {
    const created = (await api.createNamespacedCustomObject({
      ...coordinates,
      body: recording('nested-defaults', {
        filter: { include: [{ destinationPort: 53 }] },
        output: {
          formats: ['json', 'dnstap'],
          dnstap: {},
          json: { redact: { headers: ['X-Api-Key'] } },
          sinks: [{ name: 'cache', redis: { address: 'redis:6379', key: 'k', passwordSecret: { name: 'redis' } } }],
        },
        export: { s3: { bucket: 'traffic' } },
      }),
      dryRun: 'All',
    })) as Recording;

    expect(created.spec.filter?.include?.[0]?.protocol).toBe('ANY');
    expect(created.spec.output.dnstap).toEqual({ ports: [53], full: true });
    expect(created.spec.output.json).toEqual({ redact: { headers: ['X-Api-Key'], disabled: false } });
    expect(created.spec.output.sinks?.[0]?.redis).toMatchObject({
      db: 0,
      type: 'set',
      passwordSecret: { key: 'password' },
    });
    expect(created.spec.export?.s3?.forcePathStyle).toBe(false);
  });

  it.each(invalidCases)('should reject $title naming $path', async ({ name, spec, path, phrase }) => {
    const { code, message } = await rejection(
      api.createNamespacedCustomObject({ ...coordinates, body: recording(name ?? 'invalid', spec), dryRun: 'All' }),
    );

    expect(code).toBe(422);
    expect(message).toContain(`${path}: `);
    expect(message).toContain(phrase);
  });
});

describe('Recording status subresource', () => {
  const name = 'status-only';
  const status = {
    phase: 'Running',
    iteration: 1,
    nodesReady: '2/3',
    totals: { packetsCaptured: 1200, bytesCaptured: 98304, packetsLost: 3, bytesLost: 192 },
  };

  beforeAll(async () => {
    await api.createNamespacedCustomObject({ ...coordinates, body: recording(name, {}) });
  });

  it('should drop a status sent with the main resource', async () => {
    const current = await read(name);
    await api.replaceNamespacedCustomObject({ ...coordinates, name, body: { ...current, status } });

    expect((await read(name)).status).toBeUndefined();
  });

  it('should write status through a merge patch of /status and leave the spec alone', async () => {
    await api.patchNamespacedCustomObjectStatus(
      { ...coordinates, name, body: { spec: { maxCaptureLength: 96 }, status } },
      mergePatch,
    );

    const stored = await read(name);
    expect(stored.status).toEqual(status);
    expect(stored.spec.maxCaptureLength).toBe(0);
  });

  it('should validate status written through /status', async () => {
    const { code, message } = await rejection(
      api.patchNamespacedCustomObjectStatus({ ...coordinates, name, body: { status: { phase: 'Bogus' } } }, mergePatch),
    );

    expect(code).toBe(422);
    expect(message).toContain('status.phase: Unsupported value: "Bogus"');
  });

  it('should show phase, nodes, packets, bytes and lost in kubectl get', async () => {
    const { stdout } = await runCommand(testEnv().bin.kubectl, ['get', 'rec', name, '--namespace', namespace], {
      env: { ...process.env, KUBECONFIG: testEnv().kubeconfigPath },
    });
    const [header, row] = stdout.trim().split('\n');

    expect(header?.split(/\s+/)).toEqual(['NAME', 'PHASE', 'NODES', 'PACKETS', 'BYTES', 'LOST', 'AGE']);
    expect(row?.split(/\s+/).slice(0, 6)).toEqual([name, 'Running', '2/3', '1200', '98304', '3']);
  });
});
