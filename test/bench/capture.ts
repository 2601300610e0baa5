// npm run bench:capture [-- --seconds 10 --buffer-bytes 33554432 --writer agent|raw]
//
// iperf3 sends 64-byte UDP datagrams over loopback as fast as it can; the
// capture engine (writing pcap through agent/output's writer) and tcpdump
// (-w, same filter, same kernel buffer) capture the same traffic in the same
// run. Prints packets sent / captured / dropped and CPU seconds per million
// packets for both, the engine's peak RSS, and last the two ratios.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CAPTURE_DEFAULTS } from '../../agent/capture/native-capture.js';
import { capinfosCount, startEngine, startTcpdump, waitForLine } from './capture-tools.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    'buffer-bytes': { type: 'string', default: String(CAPTURE_DEFAULTS.bufferBytes) },
    writer: { type: 'string', default: 'agent' },
    // The agent hashes files when they close, not while writing; --sha256 measures hashing on the capture path.
    sha256: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const bufferBytes = Number(values['buffer-bytes']);
const writer = values.writer === 'raw' ? 'raw' : 'agent';
const sha256 = writer === 'agent' && values.sha256;
const port = 20_000 + Math.floor(Math.random() * 40_000);
const filter = `udp and port ${port}`;
const dir = mkdtempSync(join(tmpdir(), 'tapedeck-bench-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface IperfResult {
  end: { sum: { packets: number; lost_packets?: number; seconds: number } };
}

const cleanups: (() => void)[] = [];

async function main(): Promise<void> {
  const server = spawn('iperf3', ['-s', '-B', '127.0.0.1', '-p', String(port), '-1', '--forceflush'], {
    stdio: 'pipe',
  });
  cleanups.push(() => server.kill());
  await waitForLine(server, 'stdout', /Server listening/);
  const engine = await startEngine({
    interface: 'lo',
    filter,
    out: join(dir, 'agent.pcap'),
    writer,
    bufferBytes,
    sha256,
  });
  cleanups.push(engine.kill);
  const tcpdump = await startTcpdump({ interface: 'lo', filter, out: join(dir, 'tcpdump.pcap'), bufferBytes });
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
  const agentFile = agent.files[0] ?? join(dir, 'agent.pcap');
  const [agentInFile, tcpdumpInFile] = await Promise.all([
    capinfosCount(agentFile),
    capinfosCount(join(dir, 'tcpdump.pcap')),
  ]);

  const agentCpu = (agent.cpu.user + agent.cpu.system) / 1e6;
  const agentLost = agent.stats.kernelDropped + agent.stats.agentDropped;
  const perMillion = (cpu: number, packets: number) => (packets > 0 ? (cpu / packets) * 1e6 : NaN);
  const agentPerM = perMillion(agentCpu, agentInFile);
  const tcpdumpPerM = perMillion(reference.cpuSeconds, tcpdumpInFile);
  const rows = [
    ['', 'captured', 'in file', 'dropped', 'cpu s', 'cpu s / M pkt'],
    ['sent (iperf3)', String(sent), '', '', '', ''],
    [
      `tapedeck (${writer}${sha256 ? '+sha256' : ''})`,
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
  console.log(`duration ${seconds} s, kernel buffer ${bufferBytes} bytes on both, filter "${filter}"`);
  console.log(`rate ${Math.round(sent / seconds)} pkt/s sent; tapedeck batches ${agent.batches}`);
  console.log(`tapedeck peak RSS (VmHWM) ${(agent.peakRssKiB / 1024).toFixed(1)} MiB`);
  const packetRatio = tcpdumpInFile > 0 ? agentInFile / tcpdumpInFile : NaN;
  console.log(
    `ratios: packets agent/tcpdump ${(packetRatio * 100).toFixed(3)} %, cpu per packet agent/tcpdump ${(agentPerM / tcpdumpPerM).toFixed(2)}x`,
  );
}

try {
  await main();
} finally {
  for (const cleanup of cleanups) cleanup();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`files kept in ${dir}`);
}
