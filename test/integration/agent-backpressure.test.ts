// The capture path bends instead of dropping: a consumer that holds every
// batch for 500 ms exhausts the batch pool, the capture thread waits, and the
// kernel ring absorbs the backlog. At a moderate rate nothing is lost; at a
// rate the ring cannot hold, what is lost is the kernel's, counted exactly:
// delivered + kernelDropped = every datagram sent, and the agent drops none.
// Traffic goes from node A to node B of a simulated node set; the capture
// runs on B's bridge port in this process.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openNativeCapture } from '../../agent/capture/native-capture.js';
import { createNetworkSet, type NetworkSet } from '../env/netns.js';

const HOLD_MS = 500;
const PORT = 47_000 + (process.pid % 1000);

// Sends `count` 64-byte datagrams, `perTick` every millisecond, and prints how many the kernel
// accepted (send callbacks without an error). Addresses travel as arguments.
const SENDER = `
const dgram = require('node:dgram');
const [host, port, count, perTick] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const socket = dgram.createSocket('udp4');
const payload = Buffer.alloc(64, 0x63);
let queued = 0, ok = 0, done = 0;
const finish = () => { if (++done === count) { console.log(ok); socket.close(); } };
const timer = setInterval(() => {
  for (let n = 0; n < perTick && queued < count; n += 1, queued += 1) {
    socket.send(payload, port, host, (error) => { if (!error) ok += 1; finish(); });
  }
  if (queued >= count) clearInterval(timer);
}, 1);
`;

function send(netns: string, host: string, count: number, perTick: number): Promise<number> {
  const child = spawn(
    'ip',
    ['netns', 'exec', netns, process.execPath, '-e', SENDER, host, String(PORT), String(count), String(perTick)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`sender exited ${code}`)),
    ),
  );
}

interface Outcome {
  readonly sent: number;
  readonly delivered: number;
  readonly kernelDropped: number;
  readonly agentDropped: number;
  readonly poolWaits: number;
}

describe('capture back-pressure into the kernel ring', { timeout: 120_000 }, () => {
  let network: NetworkSet | undefined;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
    network = await createNetworkSet(inject('testEnv').runId, 2);
  });

  afterAll(async () => {
    await network?.destroy();
  });

  /** Captures B's traffic with a consumer that holds each batch HOLD_MS while A sends `count` datagrams. */
  async function stalled(bufferBytes: number, count: number, perTick: number): Promise<Outcome> {
    const [a, b] = [network!.members[0]!, network!.members[1]!];
    const handle = openNativeCapture({
      interface: b.hostLink,
      filter: `udp and dst port ${PORT}`,
      snaplen: 128,
      bufferBytes,
      // A small pool, so that holding batches exhausts it within a fraction of a second.
      batchCount: 2,
      batchBytes: 64 * 1024,
    });
    let held = 0;
    handle.onBatch((batch) => {
      held += 1;
      setTimeout(() => {
        held -= 1;
        batch.release();
      }, HOLD_MS);
    });
    const sent = await send(a.netns, b.ip, count, perTick);
    // Wait on the condition: everything sent is either delivered or counted as a kernel drop.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const raw = handle.rawStats();
      if (raw.delivered + raw.kernelDropped >= sent || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await handle.close();
    while (held > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const raw = handle.rawStats();
    const outcome = {
      sent,
      delivered: raw.delivered,
      kernelDropped: raw.kernelDropped,
      agentDropped: raw.agentDropped,
      poolWaits: raw.poolWaits,
    };
    process.stderr.write(`agent-backpressure: ring ${bufferBytes} bytes: ${JSON.stringify(outcome)}\n`);
    return outcome;
  }

  it('should lose nothing with a 32 MiB ring at a moderate rate while the consumer holds batches 500 ms', async () => {
    const outcome = await stalled(32 * 1024 * 1024, 20_000, 10);
    expect(outcome.sent).toBe(20_000);
    expect(outcome.poolWaits).toBeGreaterThan(0); // the thread really waited for the consumer
    expect(outcome.agentDropped).toBe(0);
    expect(outcome.kernelDropped).toBe(0);
    expect(outcome.delivered).toBe(outcome.sent);
  });

  it('should leave the drops to the kernel and count them exactly when the ring cannot absorb the stall', async () => {
    const outcome = await stalled(256 * 1024, 20_000, 20);
    expect(outcome.kernelDropped).toBeGreaterThan(0);
    expect(outcome.agentDropped).toBe(0);
    expect(outcome.delivered + outcome.kernelDropped).toBe(outcome.sent);
  });
});
