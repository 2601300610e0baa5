// End to end: the operator (in process) with three real agents in network-namespace nodes exports a
// Recording to MinIO with short-lived, prefix-scoped STS credentials minted from the Recording's own
// Secret, and another Recording to a fake-gcs-server; objects at the documented keys, manifests
// valid against their schema, every sha256 checked by clients that are not ours (Debian's aws CLI
// against MinIO, curl against fake-gcs-server's JSON API), status.artifacts and the Exported
// condition filled. A Secret with wrong keys shows as a clear Event and a failing start.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, type Manifest } from '../../core/manifest/manifest.js';
import { Controller } from '../../operator/controller/controller.js';
import { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import { ExportGrants } from '../../operator/export/export-grants.js';
import { secretReader } from '../../operator/export/secret-reader.js';
import { OperatorMetrics } from '../../operator/ops/metrics.js';
import { createTestNodes, s3Facts } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { startFakeGcsOn } from '../env/object-stores.js';
import type { FakeGcs } from '../env/object-stores.js';
import { resolveBinary } from '../env/versions.js';
import { AGENT_TLS_NAME, clientPem, makePki } from '../integration/agent-pki.js';
import type { Pki } from '../integration/agent-pki.js';
import type { AgentProcess } from '../integration/agent-process.js';
import { netnsUdpSender } from '../integration/agent-traffic.js';
import { OperatorHarness, waitFor } from '../integration/operator-harness.js';
import { AGENT_LABELS, startNodeAgents } from './operator-processes.js';

const run = promisify(execFile);
const AWS = '/usr/bin/aws';
const PORT = 5501;
const BUCKET = 'e2e-export';
const SCHEMA = path.resolve(import.meta.dirname, '../../core/manifest/manifest.schema.json');
const h = new OperatorHarness();
let dir = '';
let sim: SimulatedNodes | undefined;
let agents: AgentProcess[] = [];
let controller: Controller | undefined;
let pki: Pki | undefined;
let s3Endpoint = '';
let gcs: FakeGcs | undefined;
const metrics = new OperatorMetrics();

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-export-e2e-'));
  await h.setup([]);
  sim = await createTestNodes(3, { labels: () => ({ 'op-run': h.run }) });
  // The agents reach MinIO through the nodes' gateway; the operator (STS) uses the same URL.
  const facts = s3Facts();
  s3Endpoint = `http://${await sim.exposeHostPort(Number(new URL(facts.endpoint).port))}`;
  const admin = new S3Client({ endpoint: s3Endpoint, region: facts.region, forcePathStyle: true, credentials: facts });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((e: { name?: string }) => {
    if (e.name !== 'BucketAlreadyOwnedByYou') throw e;
  });
  admin.destroy();
  // fake-gcs-server of this test, listening on the gateway so that the resumable-upload URLs it hands
  // out are reachable from the nodes.
  gcs = await startFakeGcsOn(await resolveBinary('fake-gcs-server'), dir, sim.gatewayIp);
  await new Storage({ apiEndpoint: gcs.facts.endpoint, projectId: gcs.facts.projectId }).createBucket(BUCKET);
  pki = await makePki(dir);
  agents = await startNodeAgents(h, sim.nodes, pki, dir);
  await h.core.createNamespacedSecret({
    namespace: h.namespace,
    body: {
      metadata: { name: 'minio-keys' },
      stringData: { AWS_ACCESS_KEY_ID: facts.accessKeyId, AWS_SECRET_ACCESS_KEY: facts.secretAccessKey },
    },
  });
  // Temporary keys (a session token) are passed to the agents as they are: wrong ones fail at the store.
  await h.core.createNamespacedSecret({
    namespace: h.namespace,
    body: {
      metadata: { name: 'revoked-session' },
      stringData: { AWS_ACCESS_KEY_ID: 'ASIAEXPIRED', AWS_SECRET_ACCESS_KEY: 'expired', AWS_SESSION_TOKEN: 'expired' },
    },
  });
  await h.core.createNamespacedSecret({
    namespace: h.namespace,
    body: {
      metadata: { name: 'wrong-keys' },
      stringData: { AWS_ACCESS_KEY_ID: facts.accessKeyId, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
    },
  });
  const pem = await clientPem(pki);
  controller = new Controller({
    kubeConfig: h.kc,
    agents: (directory) => new GrpcAgentClient(directory, { ...pem, serverName: AGENT_TLS_NAME }),
    agentPods: { namespace: h.namespace, labels: AGENT_LABELS },
    metrics,
    log: pino({ level: process.env.TAPEDECK_TEST_LOG ?? 'silent' }),
    watchNamespace: h.namespace,
    exports: new ExportGrants({
      readSecret: secretReader(h.kc),
      operatorNamespace: 'tapedeck-system',
      defaults: {},
      roleArn: 'arn:aws:iam::000000000000:role/tapedeck-export',
      useSts: true,
    }),
  });
  await controller.startCaches();
  controller.startWorkers();
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await Promise.all(agents.map((a) => a.stop()));
  await gcs?.process.stop();
  await sim?.destroy();
  await h.teardown();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function sendTraffic(): Promise<void> {
  const nodes = sim?.nodes ?? [];
  const [a, b, c] = [nodes[0]!, nodes[1]!, nodes[2]!];
  const senders = await Promise.all([
    netnsUdpSender(a.netns, 3000, [`${b.ip}:${PORT}`, `${c.ip}:${PORT}`]),
    netnsUdpSender(b.netns, 3000, [`${a.ip}:${PORT}`, `${c.ip}:${PORT}`]),
  ]);
  expect(senders).toEqual([0, 0]);
}

function validator(): Promise<(value: unknown) => boolean> {
  return readFile(SCHEMA, 'utf8').then((text) => {
    const validate = new Ajv2020({ allErrors: true, validateFormats: false }).compile(JSON.parse(text) as object);
    return (value: unknown) => {
      if (!validate(value)) throw new Error(`manifest invalid: ${JSON.stringify(validate.errors)}`);
      return true;
    };
  });
}

/** spec.export to the test MinIO with the Recording's own keys (STS-minted for the agents). */
function minioExport(): Record<string, unknown> {
  const facts = s3Facts();
  const s3 = { bucket: BUCKET, prefix: 'e2e', region: facts.region, endpoint: s3Endpoint, forcePathStyle: true };
  return { s3: { ...s3, credentialsSecret: { name: 'minio-keys' } } };
}

async function allCapturing(name: string): Promise<void> {
  await waitFor('3 nodes capturing', async () => {
    const r = await h.get(name);
    return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 3 ? true : undefined;
  });
}

/** A counter's value for one label value, from the in-process operator's registry. */
async function metricValue(name: string, reason: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('operator export with real agents', () => {
  it('should export 3 nodes to MinIO with STS credentials, verified by the aws CLI', async () => {
    const facts = s3Facts();
    const created = await h.create('to-minio', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      stopCondition: { packetsCapturedCount: 1500 },
      schedule: { duration: '2m' },
      output: { formats: ['pcap', 'pcapng'], rotation: { maxFileBytes: '1Mi' } },
      export: minioExport(),
    });
    await allCapturing('to-minio');
    await sendTraffic();
    const done = await h.waitPhase('to-minio', 'Completed', 90_000);
    const exported = done.status?.conditions?.find((c) => c.type === 'Exported');
    expect(exported).toMatchObject({ status: 'True', reason: 'Exported' });
    const manifests = (done.status?.artifacts ?? []).filter((a) => a.format === 'manifest');
    expect(manifests.map((a) => a.node).sort()).toEqual(sim!.nodes.map((n) => n.name).sort());
    const uid8 = (created.metadata?.uid ?? '').replace(/-/g, '').slice(0, 8);
    const validate = await validator();
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: facts.accessKeyId,
      AWS_SECRET_ACCESS_KEY: facts.secretAccessKey,
      AWS_DEFAULT_REGION: facts.region,
    };
    for (const artifact of manifests) {
      const key = artifact.url.replace(`s3://${BUCKET}/`, '');
      expect(key).toBe(`e2e/${h.namespace}/to-minio/${uid8}/1/${artifact.node}/manifest.json`);
      const out = path.join(dir, `m-${artifact.node}.json`);
      await run(AWS, ['s3api', 'get-object', '--bucket', BUCKET, '--key', key, '--endpoint-url', s3Endpoint, out], {
        env,
      });
      const text = await readFile(out, 'utf8');
      validate(JSON.parse(text));
      const manifest: Manifest = parseManifest(text, key);
      expect(manifest).toMatchObject({ complete: true, node: artifact.node, iteration: 1 });
      const row = done.status?.nodes?.find((n) => n.name === artifact.node);
      expect(row?.export).toMatchObject({ complete: true, filesPending: 0 });
      expect(manifest.files.length).toBe(row?.export?.filesExported);
      expect(manifest.files.length).toBe(row?.files?.length);
      for (const file of manifest.files) {
        const local = path.join(dir, `o-${path.basename(file.key)}`);
        await run(
          AWS,
          ['s3api', 'get-object', '--bucket', BUCKET, '--key', file.key, '--endpoint-url', s3Endpoint, local],
          {
            env,
          },
        );
        expect(sha256(await readFile(local))).toBe(file.sha256);
      }
    }
    const events = await h.core.listNamespacedEvent({ namespace: h.namespace });
    expect(events.items.some((e) => e.reason === 'Exported' && e.involvedObject.name === 'to-minio')).toBe(true);
  }, 180_000);

  it('should send credentials again to an agent that restarted mid-recording, so that its files are exported too', async () => {
    await h.create('restarted', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      stopCondition: { packetsCapturedCount: 1500 },
      schedule: { duration: '2m' },
      output: { formats: ['pcap'], rotation: { maxFileBytes: '1Mi' } },
      export: minioExport(),
    });
    await allCapturing('restarted');
    // kill -9 of node A's agent: its session resumes by itself after the restart, but credentials live in
    // the agent's memory only, so its new files wait for the operator to send them again.
    const node = sim!.nodes[0]!;
    const before = await metricValue('tapedeck_operator_credential_refreshes_total', 'none-held');
    await agents[0]!.stop('SIGKILL');
    await h.core.deleteNamespacedPod({ namespace: h.namespace, name: `agent-${node.name}`, gracePeriodSeconds: 0 });
    agents[0] = (await startNodeAgents(h, [node], pki!, dir))[0]!;
    await sendTraffic();
    const done = await h.waitPhase('restarted', 'Completed', 120_000);
    expect(done.status?.conditions?.find((c) => c.type === 'Exported')).toMatchObject({ status: 'True' });
    const row = done.status?.nodes?.find((n) => n.name === node.name);
    expect(row?.export).toMatchObject({ complete: true, filesPending: 0 });
    expect(row?.export?.filesExported).toBe(row?.files?.length);
    // A file from before the kill and one from after it, both exported; the kill is the row's gap.
    expect(row?.files?.length).toBe(2);
    expect(row?.gaps?.map((g) => g.reason)).toEqual([expect.stringContaining('ended unexpectedly')]);
    expect(await metricValue('tapedeck_operator_credential_refreshes_total', 'none-held')).toBeGreaterThan(before);
  }, 180_000);

  it('should export 3 nodes to fake-gcs-server, verified with curl against its JSON API', async () => {
    await h.create('to-gcs', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      stopCondition: { packetsCapturedCount: 1500 },
      schedule: { duration: '2m' },
      output: { formats: ['pcap'], rotation: { maxFileBytes: '1Mi' } },
      export: { gcs: { bucket: BUCKET, prefix: 'e2e', endpoint: gcs!.facts.endpoint } },
    });
    await waitFor('3 nodes capturing', async () => {
      const r = await h.get('to-gcs');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 3 ? true : undefined;
    });
    await sendTraffic();
    const done = await h.waitPhase('to-gcs', 'Completed', 90_000);
    expect(done.status?.conditions?.find((c) => c.type === 'Exported')).toMatchObject({ status: 'True' });
    const manifests = (done.status?.artifacts ?? []).filter((a) => a.format === 'manifest');
    expect(manifests).toHaveLength(3);
    const validate = await validator();
    const curl = async (key: string): Promise<Buffer> => {
      const url = `${gcs!.facts.endpoint}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(key)}?alt=media`;
      const { stdout } = await run('curl', ['-sSf', url], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
      return stdout;
    };
    for (const artifact of manifests) {
      const key = artifact.url.replace(`gs://${BUCKET}/`, '');
      const text = (await curl(key)).toString('utf8');
      validate(JSON.parse(text));
      const manifest = parseManifest(text, key);
      expect(manifest.complete).toBe(true);
      expect(manifest.files.length).toBeGreaterThan(0);
      for (const file of manifest.files) expect(sha256(await curl(file.key))).toBe(file.sha256);
    }
  }, 180_000);

  it('should say clearly when the credentials Secret holds wrong keys', async () => {
    await h.create('wrong-keys', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      schedule: { duration: '2m' },
      output: { formats: ['pcap'] },
      export: {
        s3: {
          bucket: BUCKET,
          endpoint: s3Endpoint,
          forcePathStyle: true,
          region: s3Facts().region,
          credentialsSecret: { name: 'wrong-keys' },
        },
      },
    });
    const events = await waitFor('a StartFailed Event naming STS and the Secret', async () => {
      const list = await h.core.listNamespacedEvent({ namespace: h.namespace });
      const hit = list.items.find((e) => e.involvedObject.name === 'wrong-keys' && e.reason === 'StartFailed');
      return hit ?? undefined;
    });
    expect(events.message).toContain(`Secret ${h.namespace}/wrong-keys`);
    expect(events.message).toContain('STS AssumeRole');
    const r = await h.get('wrong-keys');
    expect(r.status?.nodes?.every((n) => n.phase === 'Pending')).toBe(true);
  }, 60_000);

  it('should show credentials the store refuses in the Exported condition and an Event, keeping the files', async () => {
    await h.create('refused', {
      target: { nodeSelector: h.selector(), interfaces: ['eth0'] },
      filter: { include: [{ destinationPort: PORT, protocol: 'UDP' }] },
      stopCondition: { packetsCapturedCount: 500 },
      schedule: { duration: '2m' },
      output: { formats: ['pcap'] },
      export: {
        s3: {
          bucket: BUCKET,
          endpoint: s3Endpoint,
          forcePathStyle: true,
          region: s3Facts().region,
          credentialsSecret: { name: 'revoked-session' },
        },
      },
    });
    await waitFor('3 nodes capturing', async () => {
      const r = await h.get('refused');
      return r.status?.nodes?.filter((n) => n.phase === 'Capturing').length === 3 ? true : undefined;
    });
    await sendTraffic();
    const failing = await waitFor(
      'Exported=False ExportFailing',
      async () => {
        const r = await h.get('refused');
        const c = r.status?.conditions?.find((x) => x.type === 'Exported');
        return c?.reason === 'ExportFailing' ? r : undefined;
      },
      60_000,
    );
    const condition = failing.status?.conditions?.find((x) => x.type === 'Exported');
    expect(condition?.message).toContain('TD_ERR_EXPORT_DENIED');
    expect(failing.status?.phase).toBe('Exporting');
    const event = await waitFor('an ExportFailed Warning Event', async () => {
      const list = await h.core.listNamespacedEvent({ namespace: h.namespace });
      return list.items.find((e) => e.involvedObject.name === 'refused' && e.reason === 'ExportFailed');
    });
    expect(event.type).toBe('Warning');
    // The files stay on the nodes, waiting for credentials that work.
    for (const row of failing.status?.nodes ?? []) {
      expect(row.export?.filesExported).toBe(0);
      for (const f of row.files ?? []) {
        const found = await run('find', [dir, '-name', f.name ?? '-']);
        expect(found.stdout.trim()).not.toBe('');
      }
    }
  }, 120_000);
});
