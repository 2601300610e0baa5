// Two network namespaces joined by a veth pair, for the capture tests: the
// capture side ("node", 192.0.2.1) and a peer that sends traffic (192.0.2.2).
// Addresses are from TEST-NET-1 and exist only inside these namespaces.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface VethPair {
  readonly node: string;
  readonly peer: string;
  readonly nodeIp: string;
  readonly peerIp: string;
  /** Interface name on both sides. */
  readonly link: string;
  destroy(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

export async function createVethPair(tag: string): Promise<VethPair> {
  const node = `tdcap-${process.pid}-${tag}-n`;
  const peer = `tdcap-${process.pid}-${tag}-p`;
  const destroy = async (): Promise<void> => {
    await ip('netns', 'del', node).catch(() => undefined);
    await ip('netns', 'del', peer).catch(() => undefined);
  };
  try {
    await ip('netns', 'add', node);
    await ip('netns', 'add', peer);
    await ip('-n', node, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer);
    for (const [ns, addr] of [
      [node, '192.0.2.1/24'],
      [peer, '192.0.2.2/24'],
    ] as const) {
      await ip('-n', ns, 'addr', 'add', addr, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { node, peer, nodeIp: '192.0.2.1', peerIp: '192.0.2.2', link: 'eth0', destroy };
}

export async function deleteLink(netns: string, link: string): Promise<void> {
  await ip('-n', netns, 'link', 'del', link);
}

// Sends `count` UDP datagrams numbered 0..count-1 (u32 big-endian at the start of a 64-byte payload).
const SENDER = `
import { createSocket } from 'node:dgram';
const [host, port, count] = process.argv.slice(1);
const s = createSocket('udp4');
let sent = 0;
for (let i = 0; i < Number(count); i++) {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(i, 0);
  await new Promise((resolve) => s.send(b, Number(port), host, (err) => { if (!err) sent++; resolve(); }));
}
s.close();
console.log(JSON.stringify({ sent }));
`;

/** Sends numbered UDP datagrams from inside `netns`; resolves with how many sends succeeded. */
export async function sendNumbered(netns: string, host: string, port: number, count: number): Promise<number> {
  const { stdout } = await run('ip', [
    'netns',
    'exec',
    netns,
    process.execPath,
    '--input-type=module',
    '-e',
    SENDER,
    host,
    String(port),
    String(count),
  ]);
  return (JSON.parse(stdout) as { sent: number }).sent;
}

/** Per packet of a capture file: its sequence number and timestamp in nanoseconds, read by tshark. */
export async function readNumbered(file: string, port: number): Promise<Map<number, bigint>> {
  const { stdout } = await run(
    'tshark',
    ['-r', file, '-d', `udp.port==${port},data`, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'data.data'],
    { maxBuffer: 64 << 20 },
  );
  const packets = new Map<number, bigint>();
  for (const line of stdout.split('\n')) {
    const [epoch, data] = line.split('\t');
    if (epoch === undefined || data === undefined || data.length < 8) continue;
    const [sec = '0', frac = ''] = epoch.split('.');
    packets.set(parseInt(data.slice(0, 8), 16), BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0')));
  }
  return packets;
}
