// Leader-epoch fencing on the real agent: a request of a leader older than the
// highest epoch seen is refused with FAILED_PRECONDITION, logged at warn with
// both epochs, and still refused after the agent restarts (the epoch is kept
// in the state store on the data volume).
import { status, type ServiceError } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../env/readiness.js';
import { unary } from './agent-clients.js';
import { sessionSpec, startTestAgent, type TestAgent } from './agent-harness.js';

async function refusal(work: Promise<unknown>): Promise<ServiceError> {
  try {
    await work;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the request was accepted');
}

async function serving(call: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await call();
      return;
    } catch (error) {
      if ((error as ServiceError).code !== status.UNAVAILABLE || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('tapedeck-agent leader epoch fencing', () => {
  let t: TestAgent;

  beforeAll(async () => {
    t = await startTestAgent();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('should refuse a stale leader before and after a restart and admit the current one', async () => {
    const api = (): typeof t.api => t.api;
    const spec = sessionSpec(randomUUID());
    const started = await unary(api().StartSession.bind(api()), { spec, leaderEpoch: 5 });
    const id = started.session?.id ?? '';
    expect(started.created).toBe(true);

    const stale = await refusal(unary(api().StopSession.bind(api()), { id, leaderEpoch: 3 }));
    expect(stale.code).toBe(status.FAILED_PRECONDITION);
    expect(stale.details).toBe('leader_epoch: stale leader epoch 3 < 5');
    // The refusal answers the call before its log line has come through the agent's stdout: wait for it.
    const refusedLine = async (): Promise<boolean> =>
      t.agent.logs.some((l) => l.msg === 'Refused request from a stale leader');
    await waitUntil(refusedLine, { what: 'the stale-leader log line', timeoutMs: 5000, intervalMs: 20 });
    expect(t.agent.logs).toContainEqual(
      expect.objectContaining({ msg: 'Refused request from a stale leader', epoch: 3, highestEpoch: 5 }),
    );

    await t.restart('SIGKILL');
    // The client's channel may still hold the killed agent's connection: wait until it reaches the new one.
    await serving(() => unary(api().ListSessions.bind(api()), {}));
    const afterRestart = await refusal(
      unary(api().UpdateSession.bind(api()), { id, filter: { bpf: 'udp' }, leaderEpoch: 4 }),
    );
    expect(afterRestart.details).toBe('leader_epoch: stale leader epoch 4 < 5');
    const other = await refusal(
      unary(api().StartSession.bind(api()), { spec: sessionSpec(randomUUID()), leaderEpoch: 1 }),
    );
    expect(other.code).toBe(status.FAILED_PRECONDITION);

    // Unfenced (Hubble-style) and current-leader requests still work.
    const listed = await unary(api().ListSessions.bind(api()), {});
    expect(listed.nodeName).toBe('node-a');
    const next = await unary(api().StartSession.bind(api()), { spec: sessionSpec(randomUUID()), leaderEpoch: 6 });
    expect(next.created).toBe(true);
    const stopped = await unary(api().StopSession.bind(api()), { id: next.session?.id ?? '', leaderEpoch: 6 });
    expect(stopped.state).toBe('SESSION_STATE_STOPPED');
  });
});
