// npm run bench:capture [-- --runs 3 --seconds 10 --buffer-bytes 33554432
//                          --writer session|raw --format pcap|pcapng --formats pcap,json --sha256
//                          --batch-bytes N --batch-count N]
//
// iperf3 sends 64-byte UDP datagrams over loopback as fast as it can; the
// agent's capture path (a CaptureSession over the native engine writing
// through agent/output's writer, see capture-engine.ts) and tcpdump (-w, same
// filter, same kernel buffer) capture the same traffic in the same run.
// Prints packets sent / captured / dropped and CPU seconds per million
// packets for both, the engine's peak RSS and CPU per thread, the ratios of
// each run, and with --runs > 1 their spread.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CAPTURE_DEFAULTS } from '../../agent/capture/native-capture.js';
import { capinfosCount, compileEngine, startEngine, startTcpdump, waitForLine } from './capture-tools.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    'buffer-bytes': { type: 'string', default: String(CAPTURE_DEFAULTS.bufferBytes) },
    runs: { type: 'string', default: '1' },
    'batch-bytes': { type: 'string' }, // engine tuning, default CAPTURE_DEFAULTS
    'batch-count': { type: 'string' },
    writer: { type: 'string', default: 'session' },
    format: { type: 'string', default: 'pcap' },
    // Several formats at once (session writer), e.g. pcap,json: the flow engine then runs on the capture path.
    formats: { type: 'string' },
    // The agent does not hash on the capture path (the export hashes as it uploads); --sha256 measures what it would cost.
    sha256: { type: 'boolean', default: false },
    // The agent runs compiled JavaScript (dist/); --tsx runs the engine's TypeScript under tsx instead.
    tsx: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const bufferBytes = Number(values['buffer-bytes']);
const runs = Number(values.runs);
const writer = values.writer === 'raw' ? 'raw' : 'session';
const format = writer === 'session' && values.format === 'pcapng' ? 'pcapng' : 'pcap';
const sha256 = writer === 'session' && values.sha256;
const formats = writer === 'session' ? values.formats : undefined;
const formatLabel = formats ?? format;
const dir = mkdtempSync(join(tmpdir(), 'tapedeck-bench-'));
const compiled = values.tsx ? undefined : await compileEngine();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface IperfResult {
  end: { sum: { packets: number; lost_packets?: number; seconds: number } };
}

const cleanups: (() => void)[] = [];

interface RunResult {
  cpuRatio: number;
  /** Also counting both opens and the agent's close (tcpdump's close is not counted). */
  cpuRatioWithClose: number;
  packetRatio: number;
  peakRssMiB: number;
}

async function runOnce(run: number): Promise<RunResult> {
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const filter = `udp and port ${port}`;
  const server = spawn('iperf3', ['-s', '-B', '127.0.0.1', '-p', String(port), '-1', '--forceflush'], {
    stdio: 'pipe',
  });
  cleanups.push(() => server.kill());
  await waitForLine(server, 'stdout', /Server listening/);
  const engine = await startEngine({
    interface: 'lo',
    filter,
    out: writer === 'raw' ? join(dir, `agent-${run}.pcap`) : join(dir, `agent-${run}`),
    writer,
    format,
    ...(formats === undefined ? {} : { formats }),
    bufferBytes,
    sha256,
    ...(compiled === undefined ? {} : { compiled }),
    ...(values['batch-bytes'] === undefined ? {} : { batchBytes: Number(values['batch-bytes']) }),
    ...(values['batch-count'] === undefined ? {} : { batchCount: Number(values['batch-count']) }),
  });
  cleanups.push(engine.kill);
  const tcpdump = await startTcpdump({ interface: 'lo', filter, out: join(dir, `tcpdump-${run}.pcap`), bufferBytes });
  cleanups.push(tcpdump.kill);
  await sleep(500);
  const client = await promisify(execFile)(
    'iperf3',
    ['-c', '127.0.0.1', '-p', String(port), '-u', '-b', '0', '-l', '64', '-t', String(seconds), '--json'],
    { maxBuffer: 16 << 20 },
  );
  const sent = (JSON.parse(client.stdout) as IperfResult).end.sum.packets;
  await sleep(1500); // tcpdump does not drain its ring on SIGINT: let its last block (1 s timeout) retire
  const reference = await tcpdump.stop();
  const agent = await engine.stop();
  const agentFile = agent.files.find((f) => !f.endsWith('.jsonl')) ?? join(dir, 'missing');
  const records = agent.files
    .filter((f) => f.endsWith('.jsonl'))
    .reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 0);
  const [agentInFile, tcpdumpInFile] = await Promise.all([
    capinfosCount(agentFile),
    capinfosCount(join(dir, `tcpdump-${run}.pcap`)),
  ]);

  // CPU per packet: the whole process, every thread, over the same span for both — from its capture being
  // open to the moment the stop is asked for (tcpdump's is read before its SIGINT, so neither close is
  // counted; the agent's is printed apart, as are both opens). Every hash the agent computes on the
  // capture path counts; since only the export hashes, there is none here.
  const cpuS = (u: { user: number; system: number }): number => (u.user + u.system) / 1e6;
  const agentCpu = cpuS(agent.cpuAtStop);
  const agentCpuWithClose = cpuS(agent.cpuTotal);
  const agentLost = agent.stats.kernelDropped + agent.stats.agentDropped;
  const perMillion = (cpu: number, packets: number) => (packets > 0 ? (cpu / packets) * 1e6 : NaN);
  const agentPerM = perMillion(agentCpu, agentInFile);
  const tcpdumpPerM = perMillion(reference.cpuSeconds, tcpdumpInFile);
  const rows = [
    ['', 'captured', 'in file', 'dropped', 'cpu s', 'cpu s / M pkt'],
    ['sent (iperf3)', String(sent), '', '', '', ''],
    [
      `tapedeck (${writer} ${formatLabel}${sha256 ? '+sha256' : ''})`,
      String(agent.packetsWritten),
      String(agentInFile),
      `${agentLost} (kernel ${agent.stats.kernelDropped}, agent ${agent.stats.agentDropped})`,
      agentCpu.toFixed(2),
      agentPerM.toFixed(3),
    ],
    [
      'tcpdump',
      String(reference.captured),
      String(tcpdumpInFile),
      `${reference.droppedByKernel} (kernel)`,
      reference.cpuSeconds.toFixed(2),
      tcpdumpPerM.toFixed(3),
    ],
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  console.log(`engine ${compiled === undefined ? 'TypeScript under tsx' : 'compiled JavaScript'}`);
  console.log(`duration ${seconds} s, kernel buffer ${bufferBytes} bytes on both, filter "${filter}"`);
  if (writer === 'session') console.log('tapedeck writes through the storage budget (8 GiB), as the agent does');
  console.log(`rate ${Math.round(sent / seconds)} pkt/s sent; tapedeck batches ${agent.batches}`);
  console.log(`tapedeck peak RSS (VmHWM) ${(agent.peakRssKiB / 1024).toFixed(1)} MiB`);
  if (formats?.includes('json')) console.log(`tapedeck json records ${records}`);
  const threads = Object.entries(agent.threads).filter(([, s]) => s > 0);
  console.log(`tapedeck cpu s by thread: ${threads.map(([name, s]) => `${name} ${s.toFixed(2)}`).join(', ')}`);
  const packetRatio = tcpdumpInFile > 0 ? agentInFile / tcpdumpInFile : NaN;
  const cpuRatio = agentPerM / tcpdumpPerM;
  // Open to close for the agent against tcpdump's start to its SIGINT: the least favourable reading.
  const cpuRatioWithClose =
    perMillion(agentCpuWithClose, agentInFile) /
    perMillion(reference.cpuSeconds + reference.openCpuSeconds, tcpdumpInFile);
  const peakRssMiB = agent.peakRssKiB / 1024;
  console.log(
    `cpu s opening the capture: tapedeck ${cpuS(agent.cpuOpen).toFixed(2)}, tcpdump (with its start) ${reference.openCpuSeconds.toFixed(2)}`,
  );
  console.log(`tapedeck cpu s from before its open until its session stopped: ${agentCpuWithClose.toFixed(2)}`);
  console.log(
    `ratios: packets agent/tcpdump ${(packetRatio * 100).toFixed(3)} %, cpu per packet agent/tcpdump ${cpuRatio.toFixed(2)}x` +
      ` (${cpuRatioWithClose.toFixed(2)}x counting both opens and the agent's close), peak RSS ${peakRssMiB.toFixed(1)} MiB`,
  );
  return { cpuRatio, cpuRatioWithClose, packetRatio, peakRssMiB };
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
}

function spread(label: string, xs: number[], digits: number, unit: string): string {
  const f = (x: number) => `${x.toFixed(digits)}${unit}`;
  return `${label}: min ${f(Math.min(...xs))} median ${f(median(xs))} max ${f(Math.max(...xs))}`;
}

try {
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    if (runs > 1) console.log(`--- run ${run} of ${runs}`);
    results.push(await runOnce(run));
    for (const cleanup of cleanups.splice(0)) cleanup();
  }
  if (runs > 1) {
    console.log(`--- ${runs} runs`);
    const of = (pick: (r: RunResult) => number) => results.map(pick);
    const rows: [string, (r: RunResult) => number, number, string][] = [
      ['cpu per packet agent/tcpdump', (r) => r.cpuRatio, 2, 'x'],
      ["  counting both opens and the agent's close", (r) => r.cpuRatioWithClose, 2, 'x'],
      ['packets agent/tcpdump', (r) => r.packetRatio * 100, 3, ' %'],
      ['peak RSS', (r) => r.peakRssMiB, 1, ' MiB'],
    ];
    for (const [label, pick, digits, unit] of rows) console.log(spread(label, of(pick), digits, unit));
    const packets = median(of((r) => r.packetRatio * 100)).toFixed(3);
    const cpu = median(of((r) => r.cpuRatio)).toFixed(2);
    const withClose = median(of((r) => r.cpuRatioWithClose)).toFixed(2);
    const rss = median(of((r) => r.peakRssMiB)).toFixed(1);
    console.log(
      `ratios (median of ${runs} runs): packets agent/tcpdump ${packets} %, cpu per packet agent/tcpdump ${cpu}x` +
        ` (${withClose}x counting both opens and the agent's close), peak RSS ${rss} MiB`,
    );
  }
} finally {
  for (const cleanup of cleanups) cleanup();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`files kept in ${dir}`);
}
