import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../env/command.js';
import { coreApi, createTestNodes, gcsFacts, kubeConfig, s3Facts, testEnv } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { waitUntil } from '../env/readiness.js';

const suffix = randomBytes(3).toString('hex');

function statusCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (err) {
    if (statusCode(err) === 404) return true;
    throw err;
  }
}

describe('test environment: control plane', () => {
  const namespace = `testenv-${suffix}`;
  let core: CoreV1Api;

  beforeAll(async () => {
    core = coreApi();
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace });
  });

  it('should report the real server version to kubectl', async () => {
    const { bin, kubeconfigPath } = testEnv();
    const { stdout } = await runCommand(bin.kubectl, ['--kubeconfig', kubeconfigPath, 'version', '-o', 'json']);
    const version = JSON.parse(stdout) as { serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toBe('v1.35.4');
  });

  it('should forbid an unprivileged service account to list secrets', async () => {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'nobody' } } });
    const request = await core.createNamespacedServiceAccountToken({
      name: 'nobody',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = request.status?.token;
    expect(token).toBeTruthy();
    const admin = kubeConfig();
    const cluster = admin.getCurrentCluster();
    if (!cluster) throw new Error('admin kubeconfig has no cluster');
    const unprivileged = new KubeConfig();
    unprivileged.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'nobody', token }],
      contexts: [{ name: 'nobody', cluster: cluster.name, user: 'nobody' }],
      currentContext: 'nobody',
    });
    const error = await unprivileged
      .makeApiClient(CoreV1Api)
      .listNamespacedSecret({ namespace })
      .catch((err: unknown) => err);
    expect(statusCode(error)).toBe(403);
    await expect(core.listNamespacedSecret({ namespace })).resolves.toBeDefined();
  });

  it('should garbage-collect an object whose owner was deleted', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
    const dependent: V1ConfigMap = {
      metadata: {
        name: 'dependent',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }],
      },
    };
    await core.createNamespacedConfigMap({ namespace, body: dependent });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace });
    await waitUntil(() => gone(() => core.readNamespacedConfigMap({ name: 'dependent', namespace })), {
      what: 'the garbage collector to delete the dependent ConfigMap',
      timeoutMs: 45_000,
      intervalMs: 250,
    });
  });
});

describe('test environment: object stores', () => {
  const bucket = `testenv-${suffix}`;

  it('should store and return an object in MinIO', async () => {
    const s3 = s3Facts();
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.txt', Body: 'hello minio' }));
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.txt' }));
    expect(await object.Body?.transformToString()).toBe('hello minio');
    client.destroy();
  });

  it.each([
    ['a simple upload', false, 1_024],
    ['a resumable upload', true, 3 * 1024 * 1024 + 17],
  ])('should store and return an object in fake-gcs-server with %s', async (_name, resumable, size) => {
    const gcs = gcsFacts();
    const storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: gcs.projectId });
    const name = `${bucket}-${resumable ? 'resumable' : 'simple'}`;
    await storage.createBucket(name);
    const data = randomBytes(size);
    const file = storage.bucket(name).file('dir/object.bin');
    await file.save(data, { resumable });
    const [downloaded] = await file.download();
    expect(downloaded.length).toBe(size);
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });
});

describe('test environment: simulated nodes', () => {
  let sim: SimulatedNodes;

  beforeAll(async () => {
    sim = await createTestNodes(3, { labels: (i) => ({ pool: i === 0 ? 'web' : 'db' }) });
  });

  afterAll(async () => {
    await sim.destroy();
  });

  it('should create Ready Node objects with their InternalIP', async () => {
    const core = coreApi();
    for (const node of sim.nodes) {
      const object = await core.readNode({ name: node.name });
      expect(object.status?.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
      expect(object.status?.addresses).toContainEqual({ type: 'InternalIP', address: node.ip });
      expect(object.metadata?.labels?.['pool']).toBe(node.name.endsWith('-0') ? 'web' : 'db');
    }
  });

  it('should let one node ping another over the bridge', async () => {
    const [a, b] = sim.nodes;
    const { stdout } = await a!.run('ping', ['-c', '1', '-W', '2', b!.ip]);
    expect(stdout).toContain('1 received');
  });

  it('should let the host reach a node and a node reach an exposed host loopback port', async () => {
    const { stdout } = await runCommand('ping', ['-c', '1', '-W', '2', sim.nodes[2]!.ip]);
    expect(stdout).toContain('1 received');
    const server = createServer((_req, res) => res.end('from the host'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const address = await sim.exposeHostPort(port);
      const { stdout: body } = await sim.nodes[2]!.run('curl', ['-sS', '--max-time', '5', `http://${address}/`]);
      expect(body).toBe('from the host');
    } finally {
      server.close();
    }
  });

  it('should run processes inside the node namespace', async () => {
    const { stdout } = await sim.nodes[1]!.run('ip', ['-j', 'addr', 'show', 'dev', 'eth0']);
    expect(stdout).toContain(sim.nodes[1]!.ip);
  });

  it('should remove Node objects, namespaces and links on destroy', async () => {
    const extra = await createTestNodes(2);
    await extra.destroy();
    const core = coreApi();
    for (const node of extra.nodes) {
      expect(await gone(() => core.readNode({ name: node.name }))).toBe(true);
    }
    const { stdout: namespaces } = await runCommand('ip', ['netns', 'list']);
    for (const node of extra.nodes) expect(namespaces).not.toContain(node.netns);
    const { stdout: links } = await runCommand('ip', ['-br', 'link']);
    expect(links).not.toContain(`${extra.bridge} `);
  });
});
