// The capture engine inside a network namespace, side by side with tcpdump:
// kernel timestamps agree packet by packet, and under forced overload every
// packet the filter matched is either written or counted as lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capinfosCount, startEngine, startTcpdump } from '../bench/capture-tools.js';
import { createVethPair, deleteLink, readNumbered, sendNumbered } from './capture-netns.js';
import type { VethPair } from './capture-netns.js';

const PACKETS = 10_000;
const port = 30_000 + Math.floor(Math.random() * 20_000);
const filter = `udp and dst port ${port}`;
let net: VethPair;
let dir: string;

beforeAll(async () => {
  net = await createVethPair('cap');
  dir = mkdtempSync(join(tmpdir(), 'tapedeck-capture-'));
});

afterAll(async () => {
  await net?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function percentile(sorted: bigint[], p: number): bigint {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? -1n;
}

describe('capture engine in a network namespace', () => {
  it('should record the same packets as tcpdump with kernel timestamps within 10 µs at p99', async () => {
    const agentFile = join(dir, 'agent.pcap');
    const referenceFile = join(dir, 'tcpdump.pcap');
    const common = { netns: net.node, interface: net.link, filter, bufferBytes: 8 << 20 };
    const engine = await startEngine({ ...common, out: agentFile, writer: 'raw' });
    const tcpdump = await startTcpdump({ ...common, out: referenceFile });

    const sent = await sendNumbered(net.peer, net.nodeIp, port, PACKETS);
    // tcpdump does not drain its ring on SIGINT: wait for its last block to retire (1 s timeout).
    await new Promise((r) => setTimeout(r, 1500));
    const reference = await tcpdump.stop();
    const agent = await engine.stop();

    expect(sent).toBe(PACKETS);
    expect(reference.captured).toBe(PACKETS);
    expect(agent.packetsWritten).toBe(PACKETS);
    expect(agent.stats).toMatchObject({ packetsReceived: PACKETS, kernelDropped: 0, agentDropped: 0 });
    expect(await capinfosCount(agentFile)).toBe(PACKETS);

    const ours = await readNumbered(agentFile, port);
    const theirs = await readNumbered(referenceFile, port);
    expect(ours.size).toBe(PACKETS);
    const diffs: bigint[] = [];
    for (const [seq, ts] of ours) {
      const other = theirs.get(seq);
      expect(other, `packet ${seq} missing from tcpdump's file`).toBeDefined();
      const d = ts - (other ?? 0n);
      diffs.push(d < 0n ? -d : d);
    }
    diffs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const [p50, p99, max] = [percentile(diffs, 50), percentile(diffs, 99), diffs[diffs.length - 1] ?? -1n];
    console.log(`timestamp difference agent vs tcpdump (ns): p50 ${p50} p99 ${p99} max ${max}`);
    expect(p99).toBeLessThanOrEqual(10_000n);
  });

  it('should count every matched packet it could not write as lost under forced overload', async () => {
    const out = join(dir, 'overload.pcap');
    // A tiny kernel ring, two small batch buffers and a consumer that holds each batch for 200 ms.
    const engine = await startEngine({
      netns: net.node,
      interface: net.link,
      filter,
      out,
      writer: 'raw',
      snaplen: 128,
      bufferBytes: 64 * 1024,
      batchCount: 2,
      batchBytes: 16 * 1024,
      holdMs: 200,
    });
    await sendNumbered(net.peer, net.nodeIp, port, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    const result = await engine.stop();
    const { stats, raw } = result;
    const lost = stats.kernelDropped + stats.agentDropped;

    console.log(
      `overload: written ${result.packetsWritten}, kernel drops ${stats.kernelDropped}, agent drops ${stats.agentDropped}`,
    );
    expect(lost).toBeGreaterThan(0);
    expect(stats.agentDroppedBytes).toBeGreaterThanOrEqual(stats.agentDropped * 64);
    // Every packet the kernel filter matched (ps_recv) is written, dropped by the kernel or dropped by the agent.
    expect(raw.received).toBe(result.packetsWritten + lost);
    expect(raw.delivered).toBe(result.packetsWritten);
    expect(await capinfosCount(out)).toBe(result.packetsWritten);
  });

  // Last: it removes the namespace's interface.
  it('should end with an error naming the cause when the interface goes away', async () => {
    const engine = await startEngine({ netns: net.node, interface: net.link, filter, out: join(dir, 'gone.pcap') });
    await sendNumbered(net.peer, net.nodeIp, port, 100);
    await new Promise((r) => setTimeout(r, 500)); // past the block timeout: all 100 are delivered
    await deleteLink(net.node, net.link);
    const result = await engine.stop();
    console.log(`capture ended with: ${result.error}`);
    expect(result.error).toMatch(/pcap_dispatch: .+/);
    expect(result.packetsWritten).toBe(100);
  });
});
