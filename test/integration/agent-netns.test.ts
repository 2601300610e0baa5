// Headline acceptance test: two simulated nodes (network namespaces on a
// bridge), the real agent inside node A with mTLS, a Hubble-style client
// recording "UDP from node A to port X" with a packet limit of 1000 while
// non-matching traffic flows too. The file must hold exactly 1000 matching
// packets, tshark must agree, and so must the statistics.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RecordRequest } from '../../proto/generated/recorder/RecordRequest.js';
import type { RecorderClient } from '../../proto/generated/recorder/Recorder.js';
import { createNetworkSet, type NetworkSet } from '../env/netns.js';
import { channelCredentials, record, recorderClient, type RecordOutcome } from './agent-clients.js';
import { clientPem, makePki } from './agent-pki.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';
import { netnsUdpSender, tsharkCount } from './agent-traffic.js';

const run = promisify(execFile);
const PORT_X = 5301;
const PORT_Y = 5302;
const LIMIT_X = 1000;
const LIMIT_Y = 500;
const SENT_PER_TARGET = 3000;

function udpFrom(source: string, port: number, packets: number): RecordRequest {
  return {
    start: {
      filesink: { filePrefix: 'headline' },
      include: [
        { sourceCidr: `${source}/32`, destinationCidr: '0.0.0.0/0', destinationPort: port, protocol: 'PROTOCOL_UDP' },
      ],
      stopCondition: { packetsCapturedCount: packets, timeElapsed: { seconds: 0 } },
    },
  };
}

async function capturedBytes(file: string): Promise<number> {
  const { stdout } = await run('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.cap_len'], { maxBuffer: 1 << 26 });
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .reduce((sum, l) => sum + Number(l), 0);
}

describe('tapedeck-agent in a simulated node', () => {
  let dir = '';
  let network: NetworkSet | undefined;
  let agent: AgentProcess | undefined;
  let client: RecorderClient | undefined;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-netns-'));
    network = await createNetworkSet(inject('testEnv').runId, 2);
    const pki = await makePki(dir);
    const nodeA = network.members[0]!;
    agent = await startAgentProcess({
      netns: nodeA.netns,
      args: [
        '--node-name',
        'node-a',
        '--listen',
        `${nodeA.ip}:0`,
        '--data-dir',
        path.join(dir, 'data'),
        '--tls-cert',
        pki.serverCert,
        '--tls-key',
        pki.serverKey,
        '--tls-ca',
        pki.caCert,
        '--hubble-interface',
        'eth0',
      ],
    });
    client = recorderClient(`${nodeA.ip}:${agent.port}`, channelCredentials(await clientPem(pki)));
  });

  afterAll(async () => {
    client?.close();
    await agent?.stop();
    await network?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should record exactly 1000 UDP packets from node A to port X while other traffic flows', async () => {
    const [nodeA, nodeB] = [network!.members[0]!, network!.members[1]!];
    let ready = 0;
    let signalReady: () => void = () => undefined;
    const bothRunning = new Promise<void>((resolve) => (signalReady = resolve));
    const onResponse = (response: { responseType?: string }): void => {
      if (response.responseType === 'running' && ++ready === 2) signalReady();
    };
    const recordings: Promise<RecordOutcome>[] = [
      record(client!, [udpFrom(nodeA.ip, PORT_X, LIMIT_X)], { onResponse: (r) => onResponse(r) }),
      record(client!, [udpFrom(nodeA.ip, PORT_Y, LIMIT_Y)], { onResponse: (r) => onResponse(r) }),
    ];
    await bothRunning;
    const senders = await Promise.all([
      netnsUdpSender(nodeA.netns, SENT_PER_TARGET, [`${nodeB.ip}:${PORT_X}`, `${nodeB.ip}:${PORT_Y}`]),
      // Same port, wrong source: must not be recorded.
      netnsUdpSender(nodeB.netns, SENT_PER_TARGET, [`${nodeA.ip}:${PORT_X}`]),
    ]);
    expect(senders).toEqual([0, 0]);
    const [x, y] = await Promise.all(recordings);

    for (const [outcome, port, limit] of [
      [x, PORT_X, LIMIT_X],
      [y, PORT_Y, LIMIT_Y],
    ] as const) {
      expect(outcome?.error).toBeUndefined();
      const stopped = outcome?.responses.at(-1)?.stopped;
      const file = stopped?.filesink?.filePath ?? '';
      expect(stopped?.stats?.packetsCaptured).toBe(limit);
      expect(await tsharkCount(file)).toBe(limit);
      expect(await tsharkCount(file, `ip.src == ${nodeA.ip} && udp.dstport == ${port}`)).toBe(limit);
      expect(stopped?.stats?.bytesCaptured).toBe(await capturedBytes(file));
      expect(stopped?.stats?.packetsLost).toBe(0);
    }
  });
});
