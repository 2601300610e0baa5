// `tapedeck fetch` and `tapedeck ls`, the real program, against recordings exported by the agent's
// export queue to MinIO and fake-gcs-server: one pcapng in strict time order (capinfos), every
// packet once, interfaces named by node (tshark), bytes equal to mergecap of the originals; a
// corrupted object, a missing object, an unknown recording and bad credentials each end with one line;
// a run still exporting is refused unless --partial.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcsTarget, s3Target } from '../../agent/export/export-target.js';
import { gcsFacts, s3Facts } from '../env/kube.js';
import { exportRecording, tapedeck, threeNodes } from './cli-fetch-fixtures.js';

const exec = promisify(execFile);
const UID = '5b4e28ba-2fa1-11d2-883f-0016d3cca427';

async function tshark(args: string[]): Promise<string> {
  return (await exec('tshark', args, { maxBuffer: 1 << 28 })).stdout;
}

/** Every frame's bytes, sorted (the merge reorders across nodes, never within one). */
async function frames(file: string): Promise<string[]> {
  const json = JSON.parse(await tshark(['-r', file, '-T', 'json', '-x'])) as {
    _source: { layers: { frame_raw: [string] } };
  }[];
  return json.map((p) => p._source.layers.frame_raw[0]).sort();
}

describe('tapedeck fetch', () => {
  let dir: string;
  const { nodes, packets } = threeNodes();
  let s3env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapedeck-fetch-'));
    const s3 = s3Facts();
    s3env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
    };
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3 });
    await client.send(new CreateBucketCommand({ Bucket: 'fetch-test' })).catch(() => undefined);
    await exportRecording(
      dir,
      s3Target(client, 'fetch-test', 'prod'),
      { prefix: 'prod', namespace: 'shop', recording: 'checkout', uid: UID, iteration: 1 },
      nodes,
    );
    client.destroy();
    const storage = new Storage({ apiEndpoint: gcsFacts().endpoint, projectId: gcsFacts().projectId });
    await storage.createBucket('fetch-test').catch(() => undefined);
    await exportRecording(
      dir,
      gcsTarget(storage, 'fetch-test', 'prod'),
      { prefix: 'prod', namespace: 'shop', recording: 'checkout', uid: UID, iteration: 1 },
      nodes,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['MinIO', 's3://fetch-test/prod', () => s3Facts().endpoint, () => s3env],
    ['fake-gcs-server', 'gs://fetch-test/prod', () => gcsFacts().endpoint, () => process.env],
  ])(
    'should merge a 3-node recording from %s into one verified, time-ordered pcapng',
    async (_store, url, endpoint, env) => {
      const output = join(dir, `merged-${url.slice(0, 2)}.pcapng`);
      const run = await tapedeck(
        ['fetch', 'shop/checkout', '--from', url, '--endpoint', endpoint(), '-o', output],
        env(),
      );
      expect(run.stderr).toMatch(/every sha256 matched/);
      expect(run.code).toBe(0);
      const info = (await exec('capinfos', ['-c', '-o', output])).stdout;
      expect(info).toMatch(new RegExp(`Number of packets:\\s+${packets}\\b`));
      expect(info).toMatch(/Strict time order:\s+True/);
      const names = new Set(
        (await tshark(['-r', output, '-T', 'fields', '-e', 'frame.interface_name'])).trim().split('\n'),
      );
      expect([...names].sort()).toEqual(['node-a/eth0', 'node-b/eth0', 'node-b/eth1', 'node-c/lo']);
      // The oracle: mergecap of the originals the fetch chose (node-c's pcapng, not also its pcap).
      const originals = nodes.flatMap((n) =>
        n.files
          .filter((f) => !(n.node === 'node-c' && f.format === 'pcap'))
          .map((f) => join(dir, `${n.node}-${f.name}`)),
      );
      const reference = join(dir, `reference-${url.slice(0, 2)}.pcapng`);
      await exec('mergecap', ['-w', reference, ...originals]);
      expect(await frames(output)).toEqual(await frames(reference));
      expect(await readdir(dir)).not.toContain(`merged-${url.slice(0, 2)}.pcapng.parts`);
    },
  );

  it('should list the recording with its nodes, files and state', async () => {
    const run = await tapedeck(['ls', 's3://fetch-test/prod', '--endpoint', s3Facts().endpoint], s3env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^RECORDING\s+RUN\s+ITERATION\s+NODES\s+FILES\s+SIZE/);
    expect(run.stdout).toMatch(/shop\/checkout\s+5b4e28ba\s+1\s+3\s+4\s+.*complete/);
  });

  it.each([
    [
      'an unknown recording',
      ['fetch', 'shop/nope', '--from', 's3://fetch-test/prod'],
      {},
      7,
      /^tapedeck: No exported recording shop\/nope under s3:\/\/fetch-test\/prod/,
    ],
    [
      'bad credentials',
      ['fetch', 'shop/checkout', '--from', 's3://fetch-test/prod'],
      { AWS_SECRET_ACCESS_KEY: 'wrong' },
      6,
      /^tapedeck: Reading s3:\/\/fetch-test\/prod\/shop\/checkout\/ failed: .*check AWS_PROFILE/,
    ],
  ])('should end %s with one line and its exit code', async (_name, args, extra, code, message) => {
    const output = join(dir, 'never.pcapng');
    const run = await tapedeck([...args, '--endpoint', s3Facts().endpoint, '-o', output], { ...s3env, ...extra });
    expect(run.code).toBe(code);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(existsSync(output)).toBe(false);
  });

  it('should refuse a corrupted object naming it, and write no output', async () => {
    const s3 = s3Facts();
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3 });
    await client.send(new CreateBucketCommand({ Bucket: 'fetch-corrupt' })).catch(() => undefined);
    await exportRecording(
      dir,
      s3Target(client, 'fetch-corrupt', ''),
      { prefix: '', namespace: 'shop', recording: 'checkout', uid: UID, iteration: 1 },
      nodes,
    );
    const victim = nodes[0]!.files[0]!;
    const bad = Buffer.from(victim.data);
    bad[100] = bad[100]! ^ 0xff; // one byte changed
    const key = `shop/checkout/5b4e28ba/1/node-a/${victim.name}`;
    await client.send(new PutObjectCommand({ Bucket: 'fetch-corrupt', Key: key, Body: bad }));
    client.destroy();
    const output = join(dir, 'corrupt.pcapng');
    const run = await tapedeck(
      ['fetch', 'shop/checkout', '--from', 's3://fetch-corrupt', '--endpoint', s3.endpoint, '-o', output],
      s3env,
    );
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(
      new RegExp(
        `tapedeck: s3://fetch-corrupt/${key}: sha256 mismatch: the manifest says [0-9a-f]{64}, the object has [0-9a-f]{64}`,
      ),
    );
    expect(existsSync(output)).toBe(false);
  });

  it('should refuse a run still exporting unless --partial, and name a missing object in one line', async () => {
    const s3 = s3Facts();
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3 });
    await client.send(new CreateBucketCommand({ Bucket: 'fetch-gaps' })).catch(() => undefined);
    for (const recording of ['partial', 'missing']) {
      await exportRecording(
        dir,
        s3Target(client, 'fetch-gaps', ''),
        { prefix: '', namespace: 'shop', recording, uid: UID, iteration: 1 },
        nodes,
      );
    }
    // partial: node-b's manifest as it is while its agent still exports.
    const manifestKey = 'shop/partial/5b4e28ba/1/node-b/manifest.json';
    const manifest = JSON.parse(
      await (
        await client.send(new GetObjectCommand({ Bucket: 'fetch-gaps', Key: manifestKey }))
      ).Body!.transformToString(),
    ) as { complete: boolean };
    await client.send(
      new PutObjectCommand({
        Bucket: 'fetch-gaps',
        Key: manifestKey,
        Body: JSON.stringify({ ...manifest, complete: false }),
      }),
    );
    // missing: a file its manifest lists is gone from the bucket.
    const gone = `shop/missing/5b4e28ba/1/node-a/${nodes[0]!.files[0]!.name}`;
    await client.send(new DeleteObjectCommand({ Bucket: 'fetch-gaps', Key: gone }));
    client.destroy();

    const from = ['--from', 's3://fetch-gaps', '--endpoint', s3.endpoint];
    const output = join(dir, 'partial.pcapng');
    const refused = await tapedeck(['fetch', 'shop/partial', ...from, '-o', output], s3env);
    expect(refused.stderr.trim()).toBe(
      'tapedeck: Run 5b4e28ba iteration 1 is still exporting on node-b: wait, or pass --partial for what is there now',
    );
    expect(refused.code).toBe(2);
    expect(existsSync(output)).toBe(false);
    const partial = await tapedeck(['fetch', 'shop/partial', ...from, '--partial', '-o', output], s3env);
    expect(partial.code).toBe(0);
    expect((await exec('capinfos', ['-M', '-c', output])).stdout).toMatch(
      new RegExp(`Number of packets:\\s+${packets}\\b`),
    );

    const never = join(dir, 'missing.pcapng');
    const missing = await tapedeck(['fetch', 'shop/missing', ...from, '-o', never], s3env);
    // The progress lines come first; the error is the last line, and the only one naming a problem.
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^tapedeck: s3://fetch-gaps/${gone} does not exist \\(NoSuchKey, HTTP 404\\)$`),
    );
    expect(missing.code).toBe(7);
    expect(existsSync(never)).toBe(false);
  });
});
