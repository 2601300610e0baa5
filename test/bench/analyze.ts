// npm run bench:analyze [-- --mb 200 --runs 3 --body 2048 --keep]
//
// `tapedeck analyze --format json` (compiled JavaScript, as shipped) against tshark printing DNS and HTTP
// fields and against `argus -r` writing flow records, on the same HTTP capture made by wrk between two
// network namespaces (analyze-capture.ts), side by side in one run. Prints wall and CPU seconds per tool,
// the median of the runs, and the ratios; the machine's load average is printed with them.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { makeHttpCapture } from './analyze-capture.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    body: { type: 'string', default: '2048' },
    capture: { type: 'string' }, // an existing capture instead of making one
    keep: { type: 'boolean', default: false },
  },
});
const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'tapedeck-bench-analyze-'));

interface Timing {
  wall: number;
  cpu: number;
  rssMiB: number;
}

/** Runs argv under /usr/bin/time (no shell): wall, user+sys CPU, peak RSS; stdout goes to a file. */
async function timed(argv: string[], out: string): Promise<Timing> {
  const report = join(dir, 'time.txt');
  const script = 'out="$1"; shift; exec "$@" > "$out"';
  await run('/usr/bin/time', ['-f', '%e %U %S %M', '-o', report, 'sh', '-c', script, 'sh', out, ...argv], {
    maxBuffer: 1 << 20,
  });
  const [wall = 0, user = 0, sys = 0, rss = 0] = readFileSync(report, 'utf8').trim().split(/\s+/).map(Number);
  return { wall, cpu: user + sys, rssMiB: rss / 1024 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function compile(): Promise<string> {
  // Under this checkout's dist/, not node_modules/.cache: node_modules may be a link shared by several
  // checkouts, and one checkout's build would overwrite another's.
  const outDir = join(root, 'dist', 'bench-analyze');
  mkdirSync(outDir, { recursive: true });
  const config = join(outDir, 'tsconfig.json'); // inside the repo, so @types/node and node_modules resolve
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { noEmit: false, outDir, rootDir: root, sourceMap: false },
      include: [join(root, 'core'), join(root, 'cli')],
      exclude: [join(root, '**/*.test.ts'), join(root, '**/testing/**')],
    }),
  );
  await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config]);
  return join(outDir, 'cli', 'main.js');
}

try {
  const cli = await compile();
  const capture = values.capture
    ? { file: values.capture, bytes: 0 }
    : await makeHttpCapture(dir, Number(values.mb) * 1e6, Number(values.body));
  const { stdout: info } = await run('capinfos', ['-c', '-s', '-M', capture.file]);
  process.stdout.write(`Capture ${capture.file}\n${info.trim()}\n`);
  const tools: Record<string, string[]> = {
    tapedeck: [process.execPath, cli, 'analyze', '--format', 'json', capture.file],
    tshark: [
      'tshark',
      '-r',
      capture.file,
      '-T',
      'fields',
      '-e',
      'frame.number',
      '-e',
      'dns.id',
      '-e',
      'dns.qry.name',
      '-e',
      'dns.qry.type',
      '-e',
      'dns.flags.rcode',
      '-e',
      'dns.a',
      '-e',
      'http.request.method',
      '-e',
      'http.host',
      '-e',
      'http.request.uri',
      '-e',
      'http.response.code',
      '-e',
      'http.content_length',
    ],
    argus: ['argus', '-r', capture.file, '-w', join(dir, 'flows.argus')],
  };
  const results: Record<string, Timing[]> = { tapedeck: [], tshark: [], argus: [] };
  const runs = Number(values.runs);
  for (let i = 0; i < runs; i++) {
    for (const [name, argv] of Object.entries(tools)) {
      rmSync(join(dir, 'flows.argus'), { force: true });
      const t = await timed(argv, join(dir, `${name}.out`));
      results[name]?.push(t);
      process.stdout.write(
        `run ${i + 1} ${name.padEnd(8)} wall ${t.wall.toFixed(2)} s  cpu ${t.cpu.toFixed(2)} s  rss ${t.rssMiB.toFixed(0)} MiB  (load ${loadavg()[0]?.toFixed(2)})\n`,
      );
    }
  }
  const m = (name: string, key: 'wall' | 'cpu'): number => median((results[name] ?? []).map((t) => t[key]));
  const records = readFileSync(join(dir, 'tapedeck.out'), 'utf8').split('\n').filter(Boolean).length;
  process.stdout.write(
    `\nmedian of ${runs}: tapedeck wall ${m('tapedeck', 'wall').toFixed(2)} s cpu ${m('tapedeck', 'cpu').toFixed(2)} s (${records} records); ` +
      `tshark wall ${m('tshark', 'wall').toFixed(2)} s cpu ${m('tshark', 'cpu').toFixed(2)} s; argus wall ${m('argus', 'wall').toFixed(2)} s cpu ${m('argus', 'cpu').toFixed(2)} s\n`,
  );
  process.stdout.write(
    `tshark / tapedeck: wall ${(m('tshark', 'wall') / m('tapedeck', 'wall')).toFixed(1)}x, cpu ${(m('tshark', 'cpu') / m('tapedeck', 'cpu')).toFixed(1)}x faster (target >= 10x)\n`,
  );
  process.stdout.write(
    `tapedeck / argus: wall ${(m('tapedeck', 'wall') / m('argus', 'wall')).toFixed(2)}x, cpu ${(m('tapedeck', 'cpu') / m('argus', 'cpu')).toFixed(2)}x (target <= 1.5x)\n`,
  );
  process.stdout.write(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${(await import('node:os')).cpus().length} cores\n`,
  );
} finally {
  if (values.keep) process.stdout.write(`kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
