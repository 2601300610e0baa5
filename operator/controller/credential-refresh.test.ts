import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { SessionExportCredentials, SessionReport } from '../dispatch/agent-client.js';
import type { ExportGrant } from '../export/export-grants.js';
import { REFRESH_MARGIN_MS } from '../export/export-grants.js';
import { OperatorMetrics } from '../ops/metrics.js';
import { CredentialRefresh, REFRESH_INTERVAL_MS } from './credential-refresh.js';
import type { AgentReport } from './node-rows.js';
import { recordingFixture } from './recording-fixture.js';
import type { RecordingEvent } from './status-extras.js';

const NOW = 1_800_000_000_000;
const log = pino({ level: 'silent' });
const credentials = { s3: { accessKeyId: 'id', secretAccessKey: 'secret' } } as unknown as SessionExportCredentials;
const recording = recordingFixture({}, undefined, { uid: 'uid-1' });

function session(exportReport: Partial<NonNullable<SessionReport['export']>>): SessionReport {
  return {
    recordingUid: 'uid-1',
    iteration: 1,
    state: 'Running' as SessionReport['state'],
    packetsCaptured: 0,
    bytesCaptured: 0,
    packetsLost: 0,
    bytesLost: 0,
    files: [],
    export: {
      filesPending: 1,
      filesExported: 0,
      failedAttempts: 0,
      lastErrorCode: '',
      lastError: '',
      manifestUrl: '',
      manifestComplete: false,
      filesExpiredUnexported: 0,
      ...exportReport,
    },
  };
}

/** The refresher with the ports it uses faked: grants that mint `credentials`, an agent that records calls. */
function refresher(options: { fail?: string } = {}) {
  let now = NOW;
  const sent: { node: string; key: unknown; credentials: unknown; epoch: number }[] = [];
  const events: RecordingEvent[] = [];
  const metrics = new OperatorMetrics();
  const refresh = new CredentialRefresh({
    grants: {
      grantFor: () => Promise.resolve({ credentials } as unknown as ExportGrant),
      dueForRefresh: (expiresAt) => expiresAt !== undefined && expiresAt - now <= REFRESH_MARGIN_MS,
    },
    agents: {
      refreshCredentials: (node, key, creds, epoch) => {
        if (options.fail !== undefined) return Promise.reject(new Error(options.fail));
        sent.push({ node, key, credentials: creds, epoch });
        return Promise.resolve(session({}));
      },
    } as ConstructorParameters<typeof CredentialRefresh>[0]['agents'],
    metrics,
    emit: (_recording, event) => {
      events.push(event);
      return Promise.resolve();
    },
  });
  const run = (reports: Record<string, AgentReport>) =>
    refresh.refresh(recording, new Map(Object.entries(reports)), 7, now, log);
  const count = async (reason: string) =>
    (await metrics.registry.getMetricsAsJSON())
      .find((m) => m.name === 'tapedeck_operator_credential_refreshes_total')
      ?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  return { refresh, run, sent, events, count, advance: (ms: number) => (now += ms) };
}

describe('CredentialRefresh', () => {
  it('should send new credentials to a session whose credentials expire within the margin, at most every interval', async () => {
    const r = refresher();
    const expiring = { reachable: true as const, sessions: [session({ credentialsExpiry: NOW + 4 * 60_000 })] };
    await r.run({ 'node-a': expiring });
    expect(r.sent).toEqual([{ node: 'node-a', key: { recordingUid: 'uid-1', iteration: 1 }, credentials, epoch: 7 }]);
    expect(await r.count('expiring')).toBe(1);
    r.advance(REFRESH_INTERVAL_MS - 1);
    await r.run({ 'node-a': expiring });
    expect(r.sent).toHaveLength(1);
    r.advance(1);
    await r.run({ 'node-a': expiring });
    expect(r.sent).toHaveLength(2);
  });

  it('should send credentials to a session that holds none (its agent restarted), even right after a start', async () => {
    const r = refresher();
    r.refresh.started('uid-1', 1, 'node-a', NOW - REFRESH_INTERVAL_MS);
    await r.run({
      'node-a': { reachable: true, sessions: [session({ lastErrorCode: 'TD_ERR_EXPORT_NO_CREDENTIALS' })] },
    });
    expect(r.sent.map((s) => s.node)).toEqual(['node-a']);
    expect(await r.count('none-held')).toBe(1);
  });

  it('should leave alone sessions whose credentials last, whose export is complete, other recordings and unreachable agents', async () => {
    const r = refresher();
    await r.run({
      'node-a': { reachable: true, sessions: [session({ credentialsExpiry: NOW + 2 * REFRESH_MARGIN_MS })] },
      'node-b': {
        reachable: true,
        sessions: [session({ credentialsExpiry: NOW + 60_000, manifestComplete: true })],
      },
      'node-c': {
        reachable: true,
        sessions: [{ ...session({ credentialsExpiry: NOW + 60_000 }), recordingUid: 'other' }],
      },
      'node-d': { reachable: false, error: 'unreachable' },
    });
    expect(r.sent).toEqual([]);
  });

  it('should record a Warning Event naming the node when a refresh fails, and try again after the interval', async () => {
    const r = refresher({ fail: 'STS AssumeRole: AccessDenied' });
    const expiring = { reachable: true as const, sessions: [session({ credentialsExpiry: NOW + 60_000 })] };
    await r.run({ 'node-a': expiring });
    expect(r.events).toEqual([
      { type: 'Warning', reason: 'CredentialsRefreshFailed', message: 'Node node-a: STS AssumeRole: AccessDenied' },
    ]);
    await r.run({ 'node-a': expiring });
    expect(r.events).toHaveLength(1);
    r.advance(REFRESH_INTERVAL_MS);
    await r.run({ 'node-a': expiring });
    expect(r.events).toHaveLength(2);
  });
});
