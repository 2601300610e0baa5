// Test traffic and independent checks of the files the agent writes.
import { spawn, execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Flood {
  /** Datagrams sent so far, per target. */
  readonly sent: number[];
  stop(): void;
}

/** Sends a burst of small UDP datagrams to every target every `intervalMs` until stopped. */
export function udpFlood(targets: readonly { host: string; port: number }[], burst = 20, intervalMs = 5): Flood {
  const socket = createSocket('udp4');
  const sent = targets.map(() => 0);
  const payload = Buffer.alloc(32, 0x61);
  const timer = setInterval(() => {
    for (const [i, target] of targets.entries()) {
      for (let n = 0; n < burst; n += 1) {
        socket.send(payload, target.port, target.host);
        sent[i] = (sent[i] ?? 0) + 1;
      }
    }
  }, intervalMs);
  return {
    sent,
    stop: () => {
      clearInterval(timer);
      socket.close();
    },
  };
}

/**
 * Runs a UDP sender inside a network namespace: `count` datagrams to each
 * target (host:port arguments), `burst` per 2 ms. The script is a constant;
 * addresses travel as arguments.
 */
const SENDER = `
const dgram = require('node:dgram');
const [count, burst, ...targets] = process.argv.slice(1);
const socket = dgram.createSocket('udp4');
const payload = Buffer.alloc(32, 0x62);
let sent = 0;
const timer = setInterval(() => {
  for (let n = 0; n < Number(burst) && sent < Number(count); n += 1, sent += 1) {
    for (const target of targets) {
      const [host, port] = target.split(':');
      socket.send(payload, Number(port), host);
    }
  }
  if (sent >= Number(count)) { clearInterval(timer); setTimeout(() => socket.close(), 200); }
}, 2);
`;

export function netnsUdpSender(
  netns: string,
  count: number,
  targets: readonly string[],
  burst = 10,
): Promise<number | null> {
  const child = spawn(
    'ip',
    ['netns', 'exec', netns, process.execPath, '-e', SENDER, String(count), String(burst), ...targets],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Number of packets tshark reads from `file` (optionally matching a display filter). */
export async function tsharkCount(file: string, displayFilter = ''): Promise<number> {
  const args = ['-r', file, '-T', 'fields', '-e', 'frame.number'];
  if (displayFilter) args.push('-Y', displayFilter);
  const { stdout } = await run('tshark', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter((line) => line.trim() !== '').length;
}
