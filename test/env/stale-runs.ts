import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A record of a run's processes in its temp dir, so that a later run can stop what a run killed with
 * SIGKILL (which skips every exit handler) left behind on this shared machine.
 */
export const tempDirPrefix = 'tapedeck-testenv-';
const ownerFile = 'owner.json';
const keptFile = 'KEPT';

interface Owner {
  pid: number;
  processes: { pid: number; command: string }[];
}

export class RunRecord {
  private readonly owner: Owner = { pid: process.pid, processes: [] };
  constructor(private readonly dir: string) {}

  async addProcess(pid: number, command: string): Promise<void> {
    this.owner.processes.push({ pid, command });
    await writeFile(join(this.dir, ownerFile), JSON.stringify(this.owner));
  }

  /** Marks the dir as kept for inspection: sweeps leave it alone. */
  async markKept(): Promise<void> {
    await writeFile(join(this.dir, keptFile), 'logs kept for inspection\n');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function commandOf(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0];
  } catch {
    return undefined;
  }
}

/** Kills the process groups of runs whose owner died (only when the pid still runs the recorded binary). */
export async function sweepStaleRuns(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith(tempDirPrefix))) {
    const dir = join(tmpdir(), entry);
    let owner: Owner;
    try {
      owner = JSON.parse(await readFile(join(dir, ownerFile), 'utf8')) as Owner;
    } catch {
      continue; // starting right now, or not ours
    }
    if (alive(owner.pid)) continue;
    for (const { pid, command } of owner.processes) {
      if ((await commandOf(pid)) !== command) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    const kept = await readFile(join(dir, keptFile)).then(
      () => true,
      () => false,
    );
    if (!kept) await rm(dir, { recursive: true, force: true });
  }
}
