// Traffic and measurements of the storage tests: a UDP sender at full rate for a fixed time that
// counts what the kernel accepted, `du -s -B1` sampled while it runs, and packet counts of many
// capture files with one capinfos run.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Sends 32-byte datagrams as fast as the event loop allows for `ms` milliseconds, at most 512
// unacknowledged at a time, and prints how many the kernel accepted (send callbacks without error).
const SENDER = `
const dgram = require('node:dgram');
const [host, port, ms] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const socket = dgram.createSocket('udp4');
const payload = Buffer.alloc(32, 0x64);
const end = Date.now() + ms;
let inFlight = 0, ok = 0, stopped = false;
const pump = () => {
  if (Date.now() >= end) { stopped = true; if (inFlight === 0) { console.log(ok); socket.close(); } return; }
  while (inFlight < 512) {
    inFlight += 1;
    socket.send(payload, port, host, (error) => {
      inFlight -= 1;
      if (!error) ok += 1;
      if (stopped && inFlight === 0) { console.log(ok); socket.close(); }
    });
  }
  setImmediate(pump);
};
pump();
`;

/** Resolves with the datagrams the kernel accepted. */
export function fullRateUdp(host: string, port: number, ms: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', SENDER, host, String(port), String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`sender exited ${code}`)),
    ),
  );
}

export interface DuSampler {
  /** Largest `du -s -B1` seen, and how many samples were taken. */
  stop(): Promise<{ maxBytes: number; samples: number }>;
}

/** Runs `du -s -B1 dir` every `intervalMs` (the next one starts when the previous one ended and the interval passed). */
export function sampleDu(dir: string, intervalMs = 100): DuSampler {
  let maxBytes = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const { stdout } = await run('du', ['-s', '-B1', dir]).catch(() => ({ stdout: '0' }));
      maxBytes = Math.max(maxBytes, Number(stdout.split('\t')[0]));
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started))));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxBytes, samples };
    },
  };
}

/** Packets in each file, counted by capinfos (one run for all of them). */
export async function capinfosCounts(files: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (files.length === 0) return counts;
  const { stdout } = await run('capinfos', ['-T', '-r', '-c', '-M', ...files], { maxBuffer: 16 * 1024 * 1024 });
  for (const line of stdout.split('\n')) {
    const [file, packets] = line.split('\t');
    if (file !== undefined && packets !== undefined && file !== '') counts.set(file, Number(packets));
  }
  return counts;
}
