// npm run bench:http-records [-- --seconds 10 --connections 16 --body-bytes 1000 --runs 1 --tsx]
//
// wrk (HTTP/1.1 keep-alive) against a Node HTTP server between two network namespaces; the agent's
// capture path (capture-engine.ts: a CaptureSession writing pcap + json, as agent/main.ts builds it) and
// tcpdump capture the server's eth0 in the same run. Prints the requests wrk completed, the http records
// the agent wrote (answered with 200) as a ratio of them, and the CPU per packet of both captures.
// Needs root (network namespaces), wrk and tcpdump.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCommand } from '../env/command.js';
import { createNetworkSet, type NetworkSet } from '../env/netns.js';
import { capinfosCount, compileEngine, startEngine, startTcpdump, waitForLine } from './capture-tools.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    'body-bytes': { type: 'string', default: '1000' },
    'buffer-bytes': { type: 'string', default: String(32 << 20) },
    tsx: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const bufferBytes = Number(values['buffer-bytes']);

const SERVER = `
import { createServer } from 'node:http';
const body = Buffer.alloc(Number(process.argv[2]), 'x');
createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(body); })
  .listen(8080, process.argv[1], () => console.log('listening'));
`;

const dir = mkdtempSync(join(tmpdir(), 'tapedeck-bench-http-'));
const net: NetworkSet = await createNetworkSet(`benchhttp${process.pid}`, 2);
const cleanups: (() => void)[] = [];
try {
  const [server, client] = net.members as [NetworkSet['members'][0], NetworkSet['members'][0]];
  const http = spawn(
    'ip',
    [
      'netns',
      'exec',
      server.netns,
      process.execPath,
      '--input-type=module',
      '-e',
      SERVER,
      server.ip,
      values['body-bytes'],
    ],
    { stdio: 'pipe' },
  );
  cleanups.push(() => http.kill());
  await waitForLine(http, 'stdout', /listening/);
  const filter = 'tcp port 8080';
  const compiled = values.tsx ? undefined : await compileEngine();
  const engine = await startEngine({
    netns: server.netns,
    interface: 'eth0',
    filter,
    out: join(dir, 'agent'),
    writer: 'session',
    formats: 'pcap,json',
    bufferBytes,
    ...(compiled === undefined ? {} : { compiled }),
  });
  cleanups.push(engine.kill);
  const tcpdump = await startTcpdump({
    netns: server.netns,
    interface: 'eth0',
    filter,
    out: join(dir, 'tcpdump.pcap'),
    bufferBytes,
  });
  cleanups.push(tcpdump.kill);
  const url = `http://${server.ip}:8080/`;
  const wrkArgs = ['-t', '1', '-c', values.connections, '-d', `${seconds}s`, url];
  const { stdout } = await runCommand('ip', ['netns', 'exec', client.netns, 'wrk', ...wrkArgs]);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  await new Promise((r) => setTimeout(r, 1500)); // let the last ring blocks retire
  const reference = await tcpdump.stop();
  const agent = await engine.stop();
  let answered = 0;
  let records = 0;
  for (const file of agent.files.filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      records++;
      const r = JSON.parse(line) as { kind: string; http?: { statusCode?: number } };
      if (r.kind === 'http' && r.http?.statusCode === 200) answered++;
    }
  }
  const pcap = agent.files.find((f) => f.endsWith('.pcap')) ?? join(dir, 'missing');
  const [agentPackets, tcpdumpPackets] = await Promise.all([
    capinfosCount(pcap),
    capinfosCount(join(dir, 'tcpdump.pcap')),
  ]);
  const agentCpu = (agent.cpu.user + agent.cpu.system) / 1e6;
  const perM = (cpu: number, packets: number): number => (cpu / packets) * 1e6;
  console.log(`wrk: ${requests} requests in ${seconds} s over ${values.connections} connections`);
  console.log(`tapedeck: ${records} records, ${answered} http records answered 200`);
  console.log(`packets: tapedeck ${agentPackets}, tcpdump ${tcpdumpPackets}`);
  console.log(
    `cpu s: tapedeck ${agentCpu.toFixed(2)} (${perM(agentCpu, agentPackets).toFixed(3)} / M pkt), ` +
      `tcpdump ${reference.cpuSeconds.toFixed(2)} (${perM(reference.cpuSeconds, tcpdumpPackets).toFixed(3)} / M pkt)`,
  );
  console.log(`tapedeck peak RSS (VmHWM) ${(agent.peakRssKiB / 1024).toFixed(1)} MiB`);
  console.log(
    `ratios: http records / wrk requests ${((answered / requests) * 100).toFixed(3)} %, ` +
      `cpu per packet tapedeck/tcpdump ${(perM(agentCpu, agentPackets) / perM(reference.cpuSeconds, tcpdumpPackets)).toFixed(2)}x`,
  );
} finally {
  for (const cleanup of cleanups) cleanup();
  await net.destroy();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`files kept in ${dir}`);
}
