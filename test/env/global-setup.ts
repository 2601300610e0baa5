import type { TestProject } from 'vitest/node';
import { exitOnSignals } from './cleanup.js';
import './facts.js';
import { sweepRunNetworks } from './netns.js';
import { startTestEnv, type TestEnv } from './test-env.js';

/**
 * vitest globalSetup for the integration and e2e projects: starts the test environment once per vitest
 * process (both projects share it), provides its facts as `inject('testEnv')`, and stops it when the last
 * project is done. Missing binaries fail the run under CI=true.
 */
interface Shared {
  env: Promise<TestEnv>;
  users: number;
}
const key = Symbol.for('tapedeck.testEnv');
const holder = globalThis as typeof globalThis & { [key]?: Shared };

function log(message: string): void {
  process.stderr.write(`[testenv] ${message}\n`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = holder[key];
  if (!shared) {
    exitOnSignals();
    shared = { env: startTestEnv({ log }), users: 0 };
    holder[key] = shared;
  }
  shared.users += 1;
  const env = await shared.env;
  if (shared.users === 1) {
    log(`Test environment ready in ${env.startupMs} ms (run ${env.facts.runId}, dir ${env.facts.tempDir})`);
    for (const reason of Object.values(env.facts.missing)) log(`Not available: ${reason}`);
  }
  project.provide('testEnv', env.facts);
  const current = shared;
  return async () => {
    current.users -= 1;
    if (current.users > 0) return;
    delete holder[key];
    await sweepRunNetworks(env.facts.runId);
    await env.stop();
  };
}
