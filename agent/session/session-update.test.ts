import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES } from '../capture/packet-batch.js';
import { managerWithFakes, type FakeCapture } from './fakes.js';
import { SessionError, SessionErrorCode } from './session-error.js';
import type { SessionManager } from './session-manager.js';
import type { SessionSpec } from './session-spec.js';
import { NO_LIMITS } from './stop-condition.js';

const spec: SessionSpec = {
  id: 'uid-1-1',
  recording: { namespace: 'shop', name: 'checkout', uid: 'uid-1', iteration: 1 },
  interfaces: ['lo'],
  include: [],
  bpf: '(host 10.0.0.1)',
  endpointIps: [],
  filter: '(host 10.0.0.1)',
  snaplen: 0,
  limits: NO_LIMITS,
  formats: ['pcap'],
  rotation: { maxFileBytes: 0, maxFileAgeMs: 0 },
  filePrefix: 'tapedeck',
  labels: {},
};
const wider = {
  include: [],
  endpointIps: [],
  bpf: '(host 10.0.0.1 or host 10.0.0.2)',
  filter: '(host 10.0.0.1 or host 10.0.0.2)',
};

describe('SessionManager.update', () => {
  let dataDir = '';
  let captures: FakeCapture[];
  let manager: SessionManager;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tapedeck-update-'));
    ({ manager, captures } = managerWithFakes({ dataDir, maxConcurrentSessions: 2 }));
  });

  afterEach(async () => {
    await manager.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should write the packets of both handles into the same file and show the new filter', async () => {
    await manager.start(spec);
    captures[0]?.emit([40, 40]);
    const updated = await manager.update(spec.id, wider);
    captures[1]?.emit([40, 40, 40]);
    const final = await manager.stop(spec.id);

    expect(updated.spec).toMatchObject(wider);
    expect(manager.get(spec.id).snapshot().spec.filter).toBe(wider.filter);
    expect(final.stats.packetsCaptured).toBe(5);
    expect(final.files).toHaveLength(1);
    expect((await readFile(final.files[0]?.path ?? '')).length).toBe(5 * (RECORD_HEADER_BYTES + 40));
  });

  it('should return the session unchanged when the filter is the one it has', async () => {
    await manager.start(spec);
    const same = await manager.update(spec.id, { include: [], endpointIps: [], bpf: spec.bpf, filter: spec.filter });

    expect(same.spec).toEqual(spec);
    expect(captures).toHaveLength(1);
  });

  it.each([
    ['a stopped session', SessionErrorCode.NotRunning, true],
    ['an unknown session', SessionErrorCode.NotFound, false],
  ])('should refuse to update %s', async (_name, code, start) => {
    if (start) {
      await manager.start(spec);
      await manager.stop(spec.id);
    }
    const update = (async () => manager.update(spec.id, wider))();

    await expect(update).rejects.toBeInstanceOf(SessionError);
    await expect(update).rejects.toMatchObject({ code });
  });
});
