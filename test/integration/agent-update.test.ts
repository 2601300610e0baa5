// UpdateSession on the real tapedeck-agent with real loopback traffic: a
// session that captures "pod A" only is widened to "pod A or pod B" while it
// runs; both formats keep one file each and hold exactly what was sent.
import { status, type ServiceError } from '@grpc/grpc-js';
import { createSocket } from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Filter } from '../../proto/generated/tapedeck/agent/v1/Filter.js';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import { unary } from './agent-clients.js';
import { PORT_X, sessionSpec, startTestAgent, type TestAgent } from './agent-harness.js';
import { tsharkCount, udpFlood } from './agent-traffic.js';

const POD_A = '127.0.0.2';
const POD_B = '127.0.0.3';
const onlyA: Filter = { include: [], bpf: `udp port ${PORT_X} and (host ${POD_A})` };
const aAndB: Filter = { include: [], bpf: `udp port ${PORT_X} and (host ${POD_A} or host ${POD_B})` };

/** Sends `count` datagrams to each host on PORT_X and resolves once the kernel took them all. */
async function send(hosts: readonly string[], count: number): Promise<void> {
  const socket = createSocket('udp4');
  const payload = Buffer.alloc(48, 0x75);
  try {
    for (let i = 0; i < count; i += 1) {
      await Promise.all(
        hosts.map(
          (host) =>
            new Promise<void>((resolve, reject) =>
              socket.send(payload, PORT_X, host, (e) => (e ? reject(e) : resolve())),
            ),
        ),
      );
    }
  } finally {
    socket.close();
  }
}

describe('tapedeck-agent UpdateSession', () => {
  let t: TestAgent;

  const get = (id: string): Promise<Session__Output> => unary(t.api.GetSession.bind(t.api), { id });
  const update = (id: string, filter: Filter | undefined): Promise<Session__Output> =>
    unary(t.api.UpdateSession.bind(t.api), { id, ...(filter && { filter }) });

  /** Polls GetSession until `packets` were captured (the capture delivers in batches). */
  async function captured(id: string, packets: number): Promise<Session__Output> {
    const until = Date.now() + 10_000;
    for (;;) {
      const session = await get(id);
      if ((session.stats?.packetsCaptured ?? 0) >= packets || Date.now() > until) return session;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    t = await startTestAgent();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('should capture pod B too once the filter was updated, into the same files', async () => {
    const { session } = await t.start(sessionSpec(randomUUID(), { filter: onlyA }));
    const id = session?.id ?? '';
    await send([POD_A, POD_B], 200);
    expect((await captured(id, 200)).stats?.packetsCaptured).toBe(200);

    const updated = await update(id, aAndB);
    expect(updated.state).toBe('SESSION_STATE_RUNNING');
    expect(updated.spec?.filter?.bpf).toBe(aAndB.bpf);
    expect((await get(id)).spec?.filter?.bpf).toBe(aAndB.bpf);
    const listed = await unary(t.api.ListSessions.bind(t.api), { recordingUid: session?.spec?.recording?.uid ?? '' });
    expect(listed.sessions.map((s) => s.spec?.filter?.bpf)).toEqual([aAndB.bpf]);

    await send([POD_A, POD_B], 300);
    expect((await captured(id, 800)).stats?.packetsCaptured).toBe(800);
    const final = await t.stop(id);

    expect(final.stats).toMatchObject({ packetsCaptured: 800, packetsLost: 0 });
    expect(final.files.map((f) => f.format).sort()).toEqual(['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_PCAPNG']);
    for (const file of final.files) {
      expect(file.packets).toBe(800);
      expect(await tsharkCount(file.path, `ip.dst == ${POD_A}`)).toBe(500);
      expect(await tsharkCount(file.path, `ip.dst == ${POD_B}`)).toBe(300);
    }
  });

  it('should lose no packet of traffic that flows while the filter changes', async () => {
    const { session } = await t.start(sessionSpec(randomUUID(), { filter: onlyA }));
    const id = session?.id ?? '';
    const flood = udpFlood([{ host: POD_A, port: PORT_X }], 10, 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await update(id, aAndB);
    await update(id, onlyA);
    await new Promise((resolve) => setTimeout(resolve, 300));
    flood.stop();
    const sent = flood.sent[0] ?? 0;
    await captured(id, sent);
    const final = await t.stop(id);

    const file = final.files.find((f) => f.format === 'OUTPUT_FORMAT_PCAP')?.path ?? '';
    // Two handles overlap during each swap: a packet can be recorded twice, never lost.
    expect(await tsharkCount(file, `ip.dst == ${POD_A}`)).toBeGreaterThanOrEqual(sent);
    expect(final.stats?.packetsCaptured).toBeGreaterThanOrEqual(sent);
    expect(final.spec?.filter?.bpf).toBe(onlyA.bpf);
  });

  it('should return the session unchanged for the filter it already has', async () => {
    const { session } = await t.start(sessionSpec(randomUUID(), { filter: onlyA }));
    const id = session?.id ?? '';
    const again = await update(id, onlyA);
    await t.stop(id);

    expect(again.spec?.filter).toEqual(session?.spec?.filter);
    expect(again.files.map((f) => f.path)).toEqual(session?.files.map((f) => f.path));
  });

  it.each([
    {
      name: 'a bad bpf',
      filter: { include: [], bpf: 'host nope nope' },
      code: status.INVALID_ARGUMENT,
      field: 'filter.bpf',
    },
    {
      name: 'a bad CIDR',
      filter: { include: [{ sourceCidr: '10.0.0.0/33' }], bpf: '' },
      code: status.INVALID_ARGUMENT,
      field: 'filter.include[0].sourceCIDR',
    },
    { name: 'no filter', filter: undefined, code: status.INVALID_ARGUMENT, field: 'filter' },
  ])(
    'should reject $name with INVALID_ARGUMENT naming the field and keep capturing',
    async ({ filter, code, field }) => {
      const { session } = await t.start(sessionSpec(randomUUID(), { filter: onlyA }));
      const id = session?.id ?? '';
      const error = (await update(id, filter).catch((e: unknown) => e)) as ServiceError;
      const after = await get(id);
      await t.stop(id);

      expect(error.code).toBe(code);
      expect(error.details.startsWith(field)).toBe(true);
      expect(after.state).toBe('SESSION_STATE_RUNNING');
      expect(after.spec?.filter?.bpf).toBe(onlyA.bpf);
    },
  );

  it.each([
    { name: 'an unknown session', stopped: false, code: status.NOT_FOUND },
    { name: 'a stopped session', stopped: true, code: status.FAILED_PRECONDITION },
  ])('should refuse to update $name', async ({ stopped, code }) => {
    let id = `${randomUUID()}-1`;
    if (stopped) {
      const { session } = await t.start(sessionSpec(randomUUID(), { filter: onlyA }));
      id = session?.id ?? '';
      await t.stop(id);
    }
    const error = (await update(id, aAndB).catch((e: unknown) => e)) as ServiceError;

    expect(error.code).toBe(code);
  });
});
