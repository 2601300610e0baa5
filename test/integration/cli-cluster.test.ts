// `tapedeck fetch`, `ls` and `status` through the cluster: the real program finds a Recording on the
// real API server (the user's kubeconfig), reads its spec.export and status.artifacts, and fetches
// that Recording's run — not an older run of the same name exported later — from MinIO. The status
// (as the operator would write it) goes through the status subresource; an Event is a real Event.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcsTarget, s3Target } from '../../agent/export/export-target.js';
import { gcsFacts, kubeConfig, s3Facts, testEnv } from '../env/kube.js';
import { installRecordingCrd } from './crd-fixtures.js';
import { writeCheckoutStatus } from './cli-cluster-fixtures.js';
import { exportRecording, recordsFile, ROOT, tapedeck, threeNodes } from './cli-fetch-fixtures.js';
import type { NodeExport } from './cli-fetch-fixtures.js';

const coordinates = { group: 'tapedeck.dev', version: 'v1alpha1', plural: 'recordings' };
const BUCKET = 'cli-cluster';
const PREFIX = 'team/a';
const OLD_UID = '0badc0de-2fa1-11d2-883f-0016d3cca427';

describe('tapedeck through the cluster', () => {
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let uid8: string;
  const namespace = `cli-${Date.now().toString(36)}`;
  const { nodes, packets } = threeNodes();
  // node-a and node-b also wrote JSON records: 40 and 25 of them, interleaved in end time.
  const withRecords: NodeExport[] = nodes.map((n, i) =>
    i < 2
      ? {
          ...n,
          files: [
            ...n.files,
            {
              name: `tapedeck_1796000000_0000001${i}_${n.node}_000000.jsonl`,
              format: 'json' as const,
              data: recordsFile(i === 0 ? 40 : 25, i * 3, 7),
              packets: 0,
              interfaces: [],
            },
          ],
        }
      : n,
  );

  beforeAll(async () => {
    kc = kubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    core = kc.makeApiClient(CoreV1Api);
    await installRecordingCrd(kc);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    dir = await mkdtemp(join(tmpdir(), 'tapedeck-cli-cluster-'));
    const s3 = s3Facts();
    env = {
      ...process.env,
      KUBECONFIG: testEnv().kubeconfigPath,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
    };
    const created = (await custom.createNamespacedCustomObject({
      ...coordinates,
      namespace,
      body: {
        apiVersion: 'tapedeck.dev/v1alpha1',
        kind: 'Recording',
        metadata: { name: 'checkout' },
        spec: {
          output: { formats: ['pcap', 'pcapng', 'json'] },
          export: { s3: { bucket: BUCKET, prefix: PREFIX, endpoint: s3.endpoint, forcePathStyle: true } },
        },
      },
    })) as { metadata: { uid: string } };
    const uid = created.metadata.uid;
    uid8 = uid.replace(/-/g, '').slice(0, 8);
    await custom.createNamespacedCustomObject({
      ...coordinates,
      namespace,
      body: { apiVersion: 'tapedeck.dev/v1alpha1', kind: 'Recording', metadata: { name: 'nowhere' }, spec: {} },
    });

    // An S3 Recording whose endpoint cannot be reached from here (as an in-cluster service name would not be).
    await custom.createNamespacedCustomObject({
      ...coordinates,
      namespace,
      body: {
        apiVersion: 'tapedeck.dev/v1alpha1',
        kind: 'Recording',
        metadata: { name: 'unreachable' },
        spec: { export: { s3: { bucket: BUCKET, endpoint: 'http://127.0.0.1:9', forcePathStyle: true } } },
      },
    });
    // A GCS Recording with no status yet: found through its spec.export alone.
    const gcs = gcsFacts();
    const onGcs = (await custom.createNamespacedCustomObject({
      ...coordinates,
      namespace,
      body: {
        apiVersion: 'tapedeck.dev/v1alpha1',
        kind: 'Recording',
        metadata: { name: 'checkout-gcs' },
        spec: { export: { gcs: { bucket: BUCKET, prefix: 'gcs', endpoint: gcs.endpoint } } },
      },
    })) as { metadata: { uid: string } };
    const storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: gcs.projectId });
    await storage.createBucket(BUCKET).catch(() => undefined);
    await exportRecording(
      dir,
      gcsTarget(storage, BUCKET, 'gcs'),
      { prefix: 'gcs', namespace, recording: 'checkout-gcs', uid: onGcs.metadata.uid, iteration: 1 },
      nodes,
    );

    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3 });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
    const run = { prefix: PREFIX, namespace, recording: 'checkout', iteration: 1 };
    await exportRecording(dir, s3Target(client, BUCKET, PREFIX), { ...run, uid }, withRecords);
    // An older Recording of the same name, exported later: newest in the bucket, but not this Recording's run.
    await exportRecording(dir, s3Target(client, BUCKET, PREFIX), { ...run, uid: OLD_UID }, [nodes[0]!]);
    client.destroy();

    await writeCheckoutStatus(kc, { namespace, uid, bucket: BUCKET, prefix: PREFIX, packets });
  });
  afterAll(async () => {
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("should fetch the Recording's own run from its export destination without a URL", async () => {
    const output = join(dir, 'cluster.pcapng');
    const run = await tapedeck(['fetch', `${namespace}/checkout`, '-o', output], env);
    expect(run.stderr).toContain(`Recording ${namespace}/checkout (run ${uid8}) exports to s3://${BUCKET}/${PREFIX}`);
    expect(run.code).toBe(0);
    const wrote = new RegExp(`${output}: (\\d+) packets, interfaces (\\S+(?:, \\S+)*);`).exec(run.stderr);
    expect(Number(wrote?.[1])).toBe(packets); // this Recording's run: the old run's node-a would add 200
    expect(wrote?.[2]?.split(', ').sort()).toEqual(['node-a/eth0', 'node-b/eth0', 'node-b/eth1', 'node-c/lo']);
    expect(run.stderr).toContain(`${join(dir, 'cluster.jsonl')}: 65 records; every sha256 matched`);
    expect(existsSync(output)).toBe(true);
  });

  it("should fetch from GCS through the Recording's spec.export when its status lists no artifacts yet", async () => {
    const output = join(dir, 'cluster-gcs.pcapng');
    const run = await tapedeck(['fetch', `${namespace}/checkout-gcs`, '-o', output], env);
    expect(run.stderr).toMatch(
      new RegExp(`Recording ${namespace}/checkout-gcs \\(run [0-9a-f]{8}\\) exports to gs://${BUCKET}/gcs`),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`${output}: ${packets} packets`));
  });

  it('should merge the JSON records of all nodes in end-time order, each naming its node', async () => {
    const lines = (await readFile(join(dir, 'cluster.jsonl'), 'utf8')).trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as { time: string; duration: number; node: string });
    expect(records).toHaveLength(65);
    const end = (r: { time: string; duration: number }): bigint =>
      BigInt(Date.parse(`${r.time.slice(0, 19)}Z`)) * 1_000_000n + BigInt(r.time.slice(20, 29)) + BigInt(r.duration);
    const ends = records.map(end);
    expect(ends.every((e, i) => i === 0 || ends[i - 1]! <= e)).toBe(true);
    expect(records.filter((r) => r.node === 'node-a')).toHaveLength(40);
    expect(records.filter((r) => r.node === 'node-b')).toHaveLength(25);
    // Interleaved, not concatenated: the first 10 records come from both nodes.
    expect(new Set(records.slice(0, 10).map((r) => r.node)).size).toBe(2);
  });

  it('should show the status as a person reads it: phase, failing conditions, node rows, gaps, artifacts, Events', async () => {
    const run = await tapedeck(['status', `${namespace}/checkout`], env);
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/^Recording:\s+\S+\/checkout$/m);
    expect(out).toMatch(/^Phase:\s+Exporting$/m);
    expect(out).toMatch(/^Totals:\s+650 packets \(59\.8 KiB\), 4 lost \(256 B\)$/m);
    expect(out).toMatch(/Exported\s+False\s+UploadFailing\s+\S+\s+node-c: AccessDenied writing/);
    expect(out).toMatch(/node-b\s+Completed\s+\S+\s+300\s+29\.3 KiB\s+4 \(256 B\)\s+-\s+1\s*$/m);
    expect(out).toMatch(/node-c\s+Exporting\s+-\s+150\s+0 B\s+0\s+-\s+0\s+retrying upload in 8s/);
    expect(out).toMatch(/Gaps:\n\s+NODE\s+FROM\s+TO\s+REASON\n\s+node-b\s+\S+\s+\S+\s+agent restarted/);
    expect(out).toContain(`s3://${BUCKET}/${PREFIX}/${namespace}/checkout/${uid8}/1/node-c/manifest.json`);
    expect(out).toMatch(/Warning\s+ExportRetrying\s+tapedeck-operator\s+Export of node-c retrying \(x3\)/);
  });

  it("should list the namespace's Recordings with what their destinations hold, and name one it cannot read", async () => {
    const run = await tapedeck(['ls', '-n', namespace], env);
    // Every other row is still listed; the exit code says one destination could not be read.
    expect(run.code).toBe(6);
    expect(run.stderr.trim()).toMatch(
      /^tapedeck: Reading s3:\/\/cli-cluster\/\S+\/unreachable\/ failed: .*cannot reach http:\/\/127\.0\.0\.1:9/,
    );
    expect(run.stdout).toMatch(
      new RegExp(`${namespace}/unreachable\\s+[0-9a-f]{8}\\s+.*cannot read the destination\\s+s3://${BUCKET}/`),
    );
    expect(run.stdout).toMatch(
      /^RECORDING\s+RUN\s+ITERATION\s+NODES\s+FILES\s+SIZE\s+FIRST PACKET\s+LAST PACKET\s+STATE\s+DESTINATION/,
    );
    expect(run.stdout).toMatch(
      new RegExp(`${namespace}/checkout\\s+${uid8}\\s+1\\s+3\\s+6\\s+.*complete\\s+s3://${BUCKET}/${PREFIX}`),
    );
    expect(run.stdout).toMatch(new RegExp(`${namespace}/checkout\\s+0badc0de\\s+1\\s+1\\s+1\\s+`));
    expect(run.stdout).toMatch(new RegExp(`${namespace}/nowhere\\s+-\\s+.*no export destination`));
    expect(run.stdout).toMatch(
      new RegExp(`${namespace}/checkout-gcs\\s+[0-9a-f]{8}\\s+1\\s+3\\s+4\\s+.*complete\\s+gs://${BUCKET}/gcs`),
    );
  });

  it('should be a kubectl plugin: `kubectl tapedeck status` runs it', async () => {
    const bin = join(dir, 'plugins');
    await import('node:fs/promises').then((fs) => fs.mkdir(bin, { recursive: true }));
    const plugin = join(bin, 'kubectl-tapedeck');
    await writeFile(plugin, `#!/bin/sh\nexec "${process.execPath}" --import tsx "${join(ROOT, 'cli/main.ts')}" "$@"\n`);
    await chmod(plugin, 0o755);
    const { execFile } = await import('node:child_process');
    const kubectl = testEnv().bin.kubectl;
    const out = await new Promise<{ code: number; stdout: string }>((done) =>
      execFile(
        kubectl,
        ['tapedeck', 'status', `${namespace}/checkout`],
        { cwd: ROOT, env: { ...env, PATH: `${bin}:${process.env['PATH']}` } },
        (err, stdout) => done({ code: err ? 1 : 0, stdout }),
      ),
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Phase:\s+Exporting$/m);
  });

  it("should complete Recording names from the cluster (bash, the user's kubectl)", async () => {
    const script = join(dir, 'tapedeck.bash');
    await writeFile(script, (await tapedeck(['completion', 'bash'], env)).stdout);
    const { execFile } = await import('node:child_process');
    const program = `source "$1"; COMP_WORDS=(tapedeck status ''); COMP_CWORD=2; _tapedeck; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const offered = await new Promise<string[]>((done, fail) =>
      execFile(
        'bash',
        ['-c', program, 'bash', script],
        { env: { ...env, PATH: `${dirname(testEnv().bin.kubectl)}:${process.env['PATH']}` } },
        (err, stdout) => (err ? fail(err) : done(stdout.split('\n').filter(Boolean))),
      ),
    );
    expect(offered).toContain(`${namespace}/checkout`);
    expect(offered).toContain(`${namespace}/nowhere`);
  });

  it("should say when the Recording's endpoint cannot be reached from here, and how to override it", async () => {
    const output = join(dir, 'unreachable.pcapng');
    const run = await tapedeck(['fetch', `${namespace}/unreachable`, '-o', output], env);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(
      /^Recording \S+\/unreachable \(run [0-9a-f]{8}\) exports to s3:\/\/cli-cluster\/ at http:\/\/127\.0\.0\.1:9$/,
    );
    expect(lines[1]).toMatch(
      /^tapedeck: Reading s3:\/\/cli-cluster\/\S+\/unreachable\/ failed: .*; cannot reach http:\/\/127\.0\.0\.1:9 \(pass --endpoint if it is not reachable from here\)$/,
    );
    expect(lines).toHaveLength(2);
    expect(run.code).toBe(6);
    expect(existsSync(output)).toBe(false);
  });

  it.each([
    [
      'an unknown Recording',
      ['fetch', 'NS/nope'],
      {},
      7,
      /^tapedeck: Recording \S+\/nope not found in the cluster at https:\/\/127\.0\.0\.1:\d+ \(context \S+\); `tapedeck ls` lists them, and --from s3:\/\/… or gs:\/\/… reads a deleted one's bucket$/,
    ],
    [
      'a Recording with no destination and nothing exported',
      ['fetch', 'NS/nowhere'],
      {},
      7,
      /^tapedeck: Recording \S+\/nowhere has no export destination \(spec\.export\) and reports no exported artifacts yet/,
    ],
    [
      'an unknown context',
      ['status', 'NS/checkout', '--context', 'nope'],
      {},
      1,
      /^tapedeck: No context "nope" in the kubeconfig/,
    ],
    [
      'a kubeconfig that does not exist',
      ['fetch', 'NS/checkout'],
      { KUBECONFIG: '/nonexistent/kubeconfig' },
      1,
      /^tapedeck: Cannot read the kubeconfig \/nonexistent\/kubeconfig: ENOENT.*; pass --kubeconfig FILE, or --from/,
    ],
    [
      'no kubeconfig at all',
      ['status', 'NS/checkout'],
      { KUBECONFIG: '', HOME: '/nonexistent' },
      1,
      /^tapedeck: No Kubernetes cluster configured \(KUBECONFIG, ~\/\.kube\/config\): pass --kubeconfig, or --from/,
    ],
  ])('should end %s with one line and its exit code', async (_name, args, extra, code, message) => {
    const output = join(dir, 'never.pcapng');
    const argv = args.map((a) => a.replace('NS/', `${namespace}/`));
    const run = await tapedeck(argv[0] === 'fetch' ? [...argv, '-o', output] : argv, { ...env, ...extra });
    expect(run.stderr.trim()).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.code).toBe(code);
    expect(existsSync(output)).toBe(false);
  });
});
