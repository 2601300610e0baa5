import { execFileSync } from 'node:child_process';
import { onExitCleanup } from './cleanup.js';
import { runCommand } from './command.js';
import { TestEnvError, TestEnvErrorCode } from './errors.js';

/**
 * Network plumbing for simulated nodes: one Linux bridge per set in the root namespace (it holds the
 * gateway address, so processes on the host reach every node), and per node a network namespace with
 * loopback up and an `eth0` veth attached to the bridge. Subnets are /24s of 198.18.0.0/15 (RFC 2544,
 * reserved for tests). No default route exists in the namespaces, so their traffic cannot leave the set.
 * Needs root (CAP_NET_ADMIN).
 */
export interface NodeNetwork {
  /** Network namespace name: tapedeck-<runId>-s<subnet>-<index>. */
  netns: string;
  /** The node's address on eth0 (prefix length 24). */
  ip: string;
  /** Host side of the veth pair (attached to the bridge). */
  hostLink: string;
}

export interface NetworkSet {
  bridge: string;
  /** The bridge's address in the root namespace (x.y.z.1). */
  gatewayIp: string;
  /** e.g. 198.18.42.0/24 */
  subnet: string;
  members: NodeNetwork[];
  /** Deletes the namespaces (their veths go with them) and the bridge. Idempotent. */
  destroy(): Promise<void>;
}

const subnetCount = 512; // /24s in 198.18.0.0/15
const maxMembers = 253; // .2 to .254
const aliasPrefix = 'tapedeck:';

function subnetBase(index: number): string {
  return `198.${18 + (index >> 8)}.${index & 255}`;
}

async function ip(...args: string[]): Promise<void> {
  await runCommand('ip', args);
}

interface LinkInfo {
  ifname: string;
  ifalias?: string;
}

async function listBridges(): Promise<LinkInfo[]> {
  const { stdout } = await runCommand('ip', ['-j', 'link', 'show', 'type', 'bridge']);
  return stdout.trim() ? (JSON.parse(stdout) as LinkInfo[]) : [];
}

async function listNetns(): Promise<string[]> {
  const { stdout } = await runCommand('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith('tapedeck-'));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes bridges and namespaces of this run (alias tapedeck:<runId>:<pid>) or, with no runId, of dead processes. */
async function sweep(match: (runId: string, pid: number) => boolean): Promise<void> {
  const runs = new Set<string>();
  for (const link of await listBridges()) {
    const [, runId, pid] = (link.ifalias ?? '').split(':');
    if (!link.ifalias?.startsWith(aliasPrefix) || !runId || !match(runId, Number(pid))) continue;
    runs.add(runId);
    await ip('link', 'del', link.ifname).catch(() => undefined);
  }
  for (const netns of await listNetns()) {
    const runId = netns.split('-')[1] ?? '';
    if (runs.has(runId)) await ip('netns', 'del', netns).catch(() => undefined);
  }
}

/** Deletes every bridge and namespace a run created (global teardown calls this as a safety net). */
export function sweepRunNetworks(runId: string): Promise<void> {
  return sweep((id) => id === runId);
}

/** Deletes what crashed runs on this machine left behind. */
export function sweepStaleNetworks(): Promise<void> {
  return sweep((_id, pid) => pid > 0 && !pidAlive(pid));
}

/** Reserves a free /24 by creating its bridge: a bridge name (td-s<index>) exists at most once per host. */
async function reserveBridge(runId: string): Promise<{ bridge: string; index: number }> {
  const start = Math.floor(Math.random() * subnetCount);
  for (let i = 0; i < subnetCount; i++) {
    const index = (start + i) % subnetCount;
    const bridge = `td-s${index}`;
    try {
      await ip('link', 'add', bridge, 'type', 'bridge');
    } catch {
      continue; // taken by another set
    }
    await ip('link', 'set', 'dev', bridge, 'alias', `${aliasPrefix}${runId}:${process.pid}`);
    return { bridge, index };
  }
  throw new TestEnvError(TestEnvErrorCode.NoFreeSubnet, 'No free /24 left in 198.18.0.0/15 for simulated nodes');
}

async function addMember(runId: string, bridge: string, index: number, n: number): Promise<NodeNetwork> {
  const netns = `tapedeck-${runId}-s${index}-${n}`;
  const hostLink = `${bridge}-${n}`;
  const address = `${subnetBase(index)}.${n + 2}`;
  await ip('netns', 'add', netns);
  try {
    await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    await ip('link', 'set', 'dev', hostLink, 'master', bridge, 'up');
    await ip('-n', netns, 'link', 'set', 'dev', 'lo', 'up');
    await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    await ip('-n', netns, 'link', 'set', 'dev', 'eth0', 'up');
  } catch (err) {
    await ip('netns', 'del', netns).catch(() => undefined);
    throw err;
  }
  return { netns, ip: address, hostLink };
}

/** Creates `count` namespaces on a new bridge. runId ties them to a test run for sweeping. */
export async function createNetworkSet(runId: string, count: number): Promise<NetworkSet> {
  if (count < 1 || count > maxMembers) throw new RangeError(`count must be 1..${maxMembers}, got ${count}`);
  await sweepStaleNetworks();
  const { bridge, index } = await reserveBridge(runId);
  const members: NodeNetwork[] = [];
  const destroySync = (): void => {
    for (const m of members) {
      try {
        execFileSync('ip', ['netns', 'del', m.netns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    try {
      execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  const unregister = onExitCleanup(destroySync);
  let destroyed = false;
  const set: NetworkSet = {
    bridge,
    gatewayIp: `${subnetBase(index)}.1`,
    subnet: `${subnetBase(index)}.0/24`,
    members,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const m of members) await ip('netns', 'del', m.netns).catch(() => undefined);
      await ip('link', 'del', bridge).catch(() => undefined);
      unregister();
    },
  };
  try {
    await ip('addr', 'add', `${set.gatewayIp}/24`, 'dev', bridge);
    await ip('link', 'set', 'dev', bridge, 'up');
    // Sequential on purpose: partial failures leave a members list that destroy() can clean.
    for (let n = 0; n < count; n++) members.push(await addMember(runId, bridge, index, n));
  } catch (err) {
    await set.destroy();
    throw err;
  }
  return set;
}
