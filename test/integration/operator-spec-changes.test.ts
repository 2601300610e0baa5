// Spec changes during a run, against the real API server with the CRD that ships and a
// running operator (agents behind the AgentClient port are the fake that behaves like the
// real agent): what a session was started with is refused while the iteration runs, with a
// field-specific message; filter and dailyIterations edits are applied to the running
// sessions, observedGeneration follows, and a SpecUpdated Event says what became of each
// generation. Between iterations the same edit is accepted, for the next sessions.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Recording } from '../../operator/api/recording.js';
import type { SessionReport } from '../../operator/dispatch/agent-client.js';
import { apiErrorCode, apiErrorMessage } from './crd-fixtures.js';
import { FakeAgents } from './operator-fake-agents.js';
import { OperatorHarness, coords, waitFor } from './operator-harness.js';

const h = new OperatorHarness();
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  await h.setup([{ pool: 'a' }, { pool: 'a' }]);
});
afterEach(async () => {
  await h.stopAll();
});
afterAll(async () => {
  await h.teardown();
});

async function patchSpec(name: string, spec: Record<string, unknown>): Promise<Recording> {
  return (await h.custom.patchNamespacedCustomObject(
    { ...coords, namespace: h.namespace, name, body: { spec } },
    mergePatch,
  )) as Recording;
}

async function refusal(name: string, spec: Record<string, unknown>): Promise<[number | undefined, string]> {
  try {
    await patchSpec(name, spec);
    return [0, ''];
  } catch (error) {
    return [apiErrorCode(error), apiErrorMessage(error)];
  }
}

const capturingOn = (r: Recording, n: number): boolean =>
  (r.status?.nodes ?? []).filter((x) => x.phase === 'Capturing').length === n;

describe('operator spec changes during a run', () => {
  it('should start no session of an iteration with a spec edited while it was starting', async () => {
    // The edit lands at the window start while the operator asks the agents what runs, after it read the
    // Recording: status does not say Running yet, so the CRD accepts it. The operator writes Running before
    // it starts sessions, conditional on what it read: that write conflicts and it starts over.
    // First in this file: no other Recording exists whose reconcile could trigger the edit.
    const start = Math.ceil(Date.now() / 1000) * 1000 + 3_000;
    let edit: Promise<Recording> | undefined;
    class EditingAgents extends FakeAgents {
      override async listSessions(node: string): Promise<SessionReport[]> {
        if (edit === undefined && Date.now() >= start) edit = patchSpec('raced', { maxCaptureLength: 96 });
        await edit;
        return super.listSessions(node);
      }
    }
    const agents = new EditingAgents(new Set(h.nodes));
    await h.startController(agents);
    const created = await h.create('raced', {
      target: { nodeSelector: h.selector({ pool: 'a' }) },
      schedule: { startTime: new Date(start).toISOString().replace('.000Z', 'Z'), duration: '5m' },
    });
    const scheduled = await h.waitPhase('raced', 'Scheduled');
    expect(scheduled.metadata.finalizers).toEqual(['tapedeck.dev/stop-sessions']);
    const running = await waitFor('both nodes capturing', async () => {
      const r = await h.get('raced');
      return capturingOn(r, 2) ? r : undefined;
    });
    const edited = await edit;
    expect(edited?.spec.maxCaptureLength).toBe(96);
    const specs = [...agents.specs.values()].filter((spec) => spec.recording?.uid === created.metadata.uid);
    expect(specs.map((spec) => spec.maxCaptureLength)).toEqual([96, 96]);
    expect(running.status?.observedGeneration).toBe(edited?.metadata.generation);
  });

  it('should refuse what running sessions were started with, and apply filter and dailyIterations edits', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    await h.startController(agents);
    const created = await h.create('edits', {
      target: { nodeSelector: h.selector({ pool: 'a' }) },
      schedule: { duration: '5m', dailyIterations: 3 },
      filter: { bpf: 'tcp' },
    });
    await waitFor('both nodes capturing', async () => {
      const r = await h.get('edits');
      return r.status?.phase === 'Running' && capturingOn(r, 2) ? r : undefined;
    });

    const refused: [string, Record<string, unknown>][] = [
      ['spec.output', { output: { formats: ['pcapng'] } }],
      ['spec.maxCaptureLength', { maxCaptureLength: 96 }],
      ['spec.target.interfaces', { target: { interfaces: ['eth0'] } }],
      ['spec.stopCondition', { stopCondition: { packetsCapturedCount: 10 } }],
      ['spec.retention', { retention: { expireAfter: '1h' } }],
      ['spec.schedule.duration', { schedule: { duration: '10m' } }],
      ['spec.export', { export: { s3: { bucket: 'traffic' } } }],
    ];
    for (const [field, spec] of refused) {
      const [code, message] = await refusal('edits', spec);
      expect([field, code]).toEqual([field, 422]);
      expect(message).toContain(
        `${field}: Invalid value: cannot change while an iteration runs (status.phase Running)`,
      );
    }
    process.stdout.write(`[operator-spec-changes] refused: ${(await refusal('edits', refused[0]?.[1] ?? {}))[1]}\n`);

    // Accepted while running: a filter (applied to both sessions through UpdateSession) and dailyIterations.
    const edited = await patchSpec('edits', { filter: { bpf: 'udp' }, schedule: { dailyIterations: 2 } });
    const applied = await waitFor('the new generation applied', async () => {
      const r = await h.get('edits');
      return r.status?.observedGeneration === edited.metadata.generation ? r : undefined;
    });
    const uid = created.metadata.uid ?? '';
    const ours = agents.running().filter((s) => s.session.recordingUid === uid);
    expect(ours.map((s) => s.session.filter?.bpf)).toEqual(['udp', 'udp']);
    expect(agents.updates.filter((u) => u.session.endsWith(`${uid}-1`)).map((u) => u.bpf)).toEqual(['udp', 'udp']);
    expect(applied.status?.conditions?.every((c) => c.observedGeneration === edited.metadata.generation)).toBe(true);
    const events = await h.eventsWith('edits', ['SpecUpdated']);
    const messages = events.filter((e) => e.reason === 'SpecUpdated').map((e) => e.message);
    expect(messages).toContain(
      `Spec generation ${edited.metadata.generation} applied to the running sessions of iteration 1 (filter, target selectors, dailyIterations)`,
    );
    process.stdout.write(`[operator-spec-changes] events: ${JSON.stringify(messages)}\n`);
  });

  it('should refuse dailyIterations below the running iteration', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    await h.startController(agents);
    await h.create('shrink', { target: { nodeSelector: h.selector({ pool: 'a' }) }, schedule: { duration: '5m' } });
    await h.waitPhase('shrink', 'Running');
    // Iteration 1 runs, and no dailyIterations is lower: status says iteration 3 to see the bound (written
    // through /status with the operator stopped, so that it does not rewrite it).
    await h.stopAll();
    await h.custom.patchNamespacedCustomObjectStatus(
      { ...coords, namespace: h.namespace, name: 'shrink', body: { status: { iteration: 3 } } },
      mergePatch,
    );
    const [code, message] = await refusal('shrink', { schedule: { dailyIterations: 2 } });
    expect(code).toBe(422);
    expect(message).toContain('spec.schedule.dailyIterations: Invalid value: cannot drop below the running iteration');
    expect(await refusal('shrink', { schedule: { dailyIterations: 3 } })).toEqual([0, '']);
    expect(await refusal('shrink', { schedule: { dailyIterations: 0 } })).toEqual([0, '']);
  });

  it('should accept the same edit between iterations, for the next sessions, and say so', async () => {
    const agents = new FakeAgents(new Set(h.nodes));
    await h.startController(agents);
    await h.create('between', {
      target: { nodeSelector: h.selector({ pool: 'a' }) },
      schedule: { duration: '2s', dailyIterations: 2 },
    });
    await h.waitPhase('between', 'Running');
    const scheduled = await h.waitPhase('between', 'Scheduled');
    expect(scheduled.status?.iteration).toBe(1);
    const edited = await patchSpec('between', { output: { formats: ['pcapng'] }, maxCaptureLength: 96 });
    expect(edited.spec.output.formats).toEqual(['pcapng']);
    const events = await h.eventsWith('between', ['SpecUpdated']);
    const message = events.find((e) => e.reason === 'SpecUpdated')?.message;
    expect(message).toBe(
      `Spec generation ${edited.metadata.generation} applies from the next sessions started, at ${scheduled.status?.nextStartTime}`,
    );
  });
});
