// A session with two interfaces: the real agent inside a node namespace with
// two veths (eth0 and eth1, each to a peer namespace that sends UDP). The
// pcapng file holds both interfaces (one IDB each, tshark names them per
// packet); pcap gets one file per interface. A window end a few seconds
// ahead then stops the session by itself (the dead-man switch), with no
// further call from any operator.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentServiceClient } from '../../proto/generated/tapedeck/agent/v1/AgentService.js';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import { agentClient, channelCredentials, unary } from './agent-clients.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';
import { netnsUdpSender, tsharkCount } from './agent-traffic.js';

const run = promisify(execFile);
const PORT = 5400;
const PACKETS = 300;
const WINDOW_MS = 6000;

const LINKS = [
  { name: 'eth0', node: '192.0.2.1', peer: '192.0.2.2' },
  { name: 'eth1', node: '198.51.100.1', peer: '198.51.100.2' },
] as const;

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

describe('tapedeck-agent with two interfaces in one session', { timeout: 120_000 }, () => {
  const node = `tdif-${process.pid}-n`;
  const peers = LINKS.map((_, i) => `tdif-${process.pid}-p${i}`);
  let dir = '';
  let agent: AgentProcess | undefined;
  let api: AgentServiceClient | undefined;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-ifaces-'));
    await ip('netns', 'add', node);
    await ip('-n', node, 'link', 'set', 'lo', 'up');
    for (const [i, link] of LINKS.entries()) {
      const peer = peers[i]!;
      await ip('netns', 'add', peer);
      await ip('-n', node, 'link', 'add', link.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer);
      await ip('-n', node, 'addr', 'add', `${link.node}/24`, 'dev', link.name);
      await ip('-n', node, 'link', 'set', link.name, 'up');
      await ip('-n', peer, 'addr', 'add', `${link.peer}/24`, 'dev', 'eth0');
      await ip('-n', peer, 'link', 'set', 'eth0', 'up');
      await ip('-n', peer, 'link', 'set', 'lo', 'up');
    }
    agent = await startAgentProcess({
      netns: node,
      args: ['--node-name', 'node-a', '--listen', `unix:${path.join(dir, 'agent.sock')}`, '--insecure'].concat([
        '--data-dir',
        path.join(dir, 'data'),
      ]),
    });
    api = agentClient(`unix:${path.join(dir, 'agent.sock')}`, channelCredentials('insecure'));
  });

  afterAll(async () => {
    api?.close();
    await agent?.stop();
    for (const ns of [node, ...peers]) await ip('netns', 'del', ns).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should record both interfaces (pcapng: one IDB each; pcap: a file each) and stop at the window end by itself', async () => {
    const windowEnd = Date.now() + WINDOW_MS;
    const started = await unary(api!.StartSession.bind(api!), {
      spec: {
        recording: { namespace: 'shop', name: 'two-links', uid: randomUUID(), iteration: 1 },
        interfaces: LINKS.map((l) => l.name),
        filter: { include: [{ destinationPort: PORT, protocol: 'PROTOCOL_UDP' }], bpf: '' },
        output: { formats: ['OUTPUT_FORMAT_PCAPNG', 'OUTPUT_FORMAT_PCAP'] },
        windowEnd: { seconds: Math.floor(windowEnd / 1000), nanos: (windowEnd % 1000) * 1e6 },
      },
    });
    const id = started.session?.id ?? '';
    expect(started.session?.spec?.interfaces).toEqual(['eth0', 'eth1']);
    const senders = await Promise.all(
      LINKS.map((link, i) => netnsUdpSender(peers[i]!, PACKETS, [`${link.node}:${PORT}`])),
    );
    expect(senders).toEqual([0, 0]);

    // No StopSession: the agent ends the session at window_end on its own clock.
    let final: Session__Output | undefined;
    while (final?.state !== 'SESSION_STATE_STOPPED') {
      if (Date.now() > windowEnd + 10_000) throw new Error(`not stopped: ${JSON.stringify(final)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      final = await unary(api!.GetSession.bind(api!), { id });
    }
    const stoppedAt = Number(final.stopTime?.seconds) * 1000 + Math.round((final.stopTime?.nanos ?? 0) / 1e6);
    expect(final.stopReason).toBe('STOP_REASON_DURATION');
    expect(stoppedAt).toBeGreaterThanOrEqual(windowEnd);
    expect(stoppedAt - windowEnd).toBeLessThan(2000);
    expect(Number(final.stats?.packetsCaptured)).toBe(2 * PACKETS);

    const pcapng = final.files.filter((f) => f.format === 'OUTPUT_FORMAT_PCAPNG');
    expect(pcapng).toHaveLength(1);
    expect(pcapng[0]?.interfaces).toEqual(['eth0', 'eth1']);
    const { stdout } = await run('tshark', ['-r', pcapng[0]!.path, '-T', 'fields', '-e', 'frame.interface_name']);
    const perInterface = stdout
      .trim()
      .split('\n')
      .reduce<Record<string, number>>((counts, name) => ({ ...counts, [name]: (counts[name] ?? 0) + 1 }), {});
    expect(perInterface).toEqual({ eth0: PACKETS, eth1: PACKETS });

    // A pcap file per interface; the two open at the first packet of each, in either order.
    const pcaps = final.files
      .filter((f) => f.format === 'OUTPUT_FORMAT_PCAP')
      .sort((a, b) => (a.interfaces[0] ?? '').localeCompare(b.interfaces[0] ?? ''));
    expect(pcaps.map((f) => f.interfaces)).toEqual([['eth0'], ['eth1']]);
    for (const [i, file] of pcaps.entries()) {
      expect(await tsharkCount(file.path, `ip.src == ${LINKS[i]!.peer} && udp.dstport == ${PORT}`)).toBe(PACKETS);
      expect(await tsharkCount(file.path)).toBe(PACKETS);
      expect(file.linkType).toBe(1);
    }
    process.stderr.write(
      `agent-interfaces: pcapng ${JSON.stringify(perInterface)}; pcap files ${pcaps.map((f) => f.packets).join('+')}; ` +
        `stopped ${stoppedAt - windowEnd} ms after window_end\n`,
    );
  });
});
