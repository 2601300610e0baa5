// Runs the agent's export queue over every file of a directory in a process of its own (compiled
// JavaScript, as the agent runs), so the benchmark measures its wall time, CPU and memory apart from
// the harness. Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Prints one JSON line.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { ExportQueue } from '../../agent/export/export-queue.js';
import { s3Target } from '../../agent/export/export-target.js';
import { systemClock } from '../../agent/output/clock.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    endpoint: { type: 'string' },
    bucket: { type: 'string' },
    prefix: { type: 'string', default: 'bench' },
    node: { type: 'string', default: 'node-a' },
  },
});
const { dir, endpoint, bucket } = values;
if (!dir || !endpoint || !bucket) throw new Error('--dir, --endpoint and --bucket are required');

const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
const failures: string[] = [];
const queue = new ExportQueue({
  target: s3Target(client, bucket, values.prefix),
  journal: { saveCheckpoint: async () => {}, exported: async () => {} },
  clock: systemClock,
  events: { failed: (_file, error) => failures.push(error.message) },
});
const run = {
  prefix: values.prefix,
  namespace: 'bench',
  recording: 'export',
  uid: '00000000-0000-4000-8000-000000000000',
  iteration: 1,
  node: values.node,
};
const start = performance.now();
for (const name of readdirSync(dir).sort()) {
  queue.add({
    id: name,
    path: join(dir, name),
    fileName: name,
    run,
    entry: { format: 'pcap', packets: 0, interfaces: ['eth0'], linkType: 1 },
  });
}
queue.finishRun(run);
await queue.drained();
client.destroy();
console.log(
  JSON.stringify({ wallMs: performance.now() - start, failures: failures.length, firstFailure: failures[0] }),
);
