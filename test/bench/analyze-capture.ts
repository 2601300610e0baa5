// Makes the analyze benchmark's capture: wrk (HTTP/1.1 keep-alive) against a Node HTTP server between two
// network namespaces, recorded by tcpdump on the server's eth0, until the file reaches the target size.
// A few DNS queries to dnsmasq on the same link go into the same capture.
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../env/command.js';
import { createNetworkSet, type NetworkSet } from '../env/netns.js';

const SERVER = `
import { createServer } from 'node:http';
const body = Buffer.alloc(Number(process.argv[2]), 'x');
createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(body); })
  .listen(8080, process.argv[1], () => console.log('listening'));
`;

function started(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before "${text}": ${seen.slice(-400)}`)));
  });
}

export interface BenchCapture {
  readonly file: string;
  readonly bytes: number;
}

export async function makeHttpCapture(dir: string, targetBytes: number, bodyBytes: number): Promise<BenchCapture> {
  const net: NetworkSet = await createNetworkSet(`bench${process.pid}`, 2);
  const children: ChildProcess[] = [];
  try {
    const [server, client] = net.members as [NetworkSet['members'][0], NetworkSet['members'][0]];
    const file = join(dir, 'http.pcap');
    const hosts = join(dir, 'hosts');
    writeFileSync(hosts, `${server.ip} www.bench.test\n`);
    const dnsmasq = spawn(
      'ip',
      [
        'netns',
        'exec',
        server.netns,
        'dnsmasq',
        '--no-daemon',
        '--no-resolv',
        '--no-hosts',
        `--addn-hosts=${hosts}`,
        `--listen-address=${server.ip}`,
        '--bind-interfaces',
        '--local-ttl=60',
        '--pid-file=',
      ],
      { stdio: 'pipe' },
    );
    children.push(dnsmasq);
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
        String(bodyBytes),
      ],
      { stdio: 'pipe' },
    );
    children.push(http);
    await started(http, 'listening');
    const tcpdump = spawn(
      'ip',
      ['netns', 'exec', server.netns, 'tcpdump', '-i', 'eth0', '-s', '0', '-B', '65536', '-w', file, '-Z', 'root'],
      { stdio: 'pipe' },
    );
    children.push(tcpdump);
    await started(tcpdump, 'listening on');
    for (const name of ['www.bench.test', 'missing.bench.test']) {
      await runCommand('ip', ['netns', 'exec', client.netns, 'dig', '+tries=1', '+time=2', `@${server.ip}`, name]);
    }
    const size = (): number => {
      try {
        return statSync(file).size;
      } catch {
        return 0;
      }
    };
    for (let round = 0; round < 60 && size() < targetBytes; round++) {
      await runCommand('ip', [
        'netns',
        'exec',
        client.netns,
        'wrk',
        '-t',
        '1',
        '-c',
        '16',
        '-d',
        '2s',
        `http://${server.ip}:8080/`,
      ]);
    }
    tcpdump.kill('SIGINT');
    await new Promise((resolve) => tcpdump.once('exit', resolve));
    return { file, bytes: size() };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await net.destroy();
  }
}
