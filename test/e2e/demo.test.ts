// End to end: `npm run demo`, the README's first command, as a user runs it — a child process
// that starts its own control plane, agent and operator. It must exit 0 after a Completed
// Recording, and every capture file it prints must exist and be readable by tshark.
import { spawn } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tsharkCount } from '../integration/agent-traffic.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DEMO_TIMEOUT_MS = 240_000;
const PORT = 5555; // scripts/demo/loopback.yaml

interface DemoRun {
  code: number | null;
  output: string;
}

function runDemo(): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'demo'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), DEMO_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

let demoDir: string | undefined;

afterAll(async () => {
  if (demoDir !== undefined) await rm(demoDir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it(
    'should end with a Completed Recording and pcap files that tshark reads',
    async () => {
      const { code, output } = await runDemo();
      demoDir = /files in (\/\S+tapedeck-demo-[A-Za-z0-9]+)\)/.exec(output)?.[1];
      expect(code, output).toBe(0);
      expect(output).toMatch(/^Recording demo\/loopback Completed \(stopReason \w+\)$/m);
      expect(output).toMatch(/^loopback\s+Completed\s+1\/1\s+[1-9]\d*\s/m); // kubectl get rec -o wide

      const files = [...output.matchAll(/^ {2}(\/\S+\.(pcapng|pcap)): (\d+) packets$/gm)].map((m) => ({
        path: m[1] ?? '',
        format: m[2],
        printed: Number(m[3]),
      }));
      expect(files.map((f) => f.format).sort(), output).toEqual(['pcap', 'pcapng']);
      for (const file of files) {
        expect(file.path.startsWith(`${demoDir}/`)).toBe(true);
        expect((await stat(file.path)).size).toBeGreaterThan(0);
        const packets = await tsharkCount(file.path);
        expect(packets).toBeGreaterThan(0);
        expect(packets).toBe(file.printed);
        expect(await tsharkCount(file.path, `udp.dstport == ${PORT} && ip.dst == 127.0.0.1`)).toBe(packets);
      }
    },
    DEMO_TIMEOUT_MS + 30_000,
  );
});
