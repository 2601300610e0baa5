// The agent serves its first call with TLS: grpc-js reads the certificate files on the libuv thread pool
// after bind and resets every connection until it holds them, so startAgentServer must not report the
// server as serving before then. The pool is kept busy here, as a loaded node keeps it busy, so that
// the first read lands well after the bind.
import { pbkdf2 } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListSessionsResponse__Output } from '../../proto/generated/tapedeck/agent/v1/ListSessionsResponse.js';
import { startAgentServer } from '../../agent/server/grpc-server.js';
import { LeaderFence, memoryEpochStore } from '../../agent/server/leader-fence.js';
import { managerWithFakes } from '../../agent/session/fakes.js';
import { agentClient, channelCredentials, unary } from './agent-clients.js';
import { clientPem, makePki, type Pki } from './agent-pki.js';

/** Occupies every libuv pool thread for a while (UV_THREADPOOL_SIZE, 4 by default). */
function busyThreadPool(threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4)): Promise<unknown> {
  const job = (): Promise<void> =>
    new Promise((resolve, reject) =>
      pbkdf2('tapedeck', 'salt', 400_000, 64, 'sha512', (error) => (error ? reject(error) : resolve())),
    );
  return Promise.all(Array.from({ length: threads }, job));
}

describe('agent gRPC server start with TLS', () => {
  let dir = '';
  let pki: Pki;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-tls-start-'));
    pki = await makePki(dir);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should answer a call made the moment it reports serving, with the thread pool busy', async () => {
    const logger = pino({ level: 'silent' });
    const { manager } = managerWithFakes({ dataDir: dir, maxConcurrentSessions: 1 });
    // Read before the pool is busy: the client must not wait behind the server's own reads.
    const creds = channelCredentials(await clientPem(pki));
    const busy = busyThreadPool();
    const server = await startAgentServer({
      listen: '127.0.0.1:0',
      tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert },
      manager,
      buildFilter: () => 'udp',
      hubbleInterface: 'any',
      logger,
      fence: new LeaderFence(memoryEpochStore(), logger),
    });
    const client = agentClient(`127.0.0.1:${server.port}`, creds);
    try {
      const response = await unary<object, ListSessionsResponse__Output>(client.ListSessions.bind(client), {});
      expect(response.sessions).toEqual([]);
    } finally {
      client.close();
      await busy;
      await manager.shutdown();
      await server.shutdown(1000);
    }
  });

  it('should refuse to start, naming the file, when the certificate cannot be read', async () => {
    const logger = pino({ level: 'silent' });
    const { manager } = managerWithFakes({ dataDir: dir, maxConcurrentSessions: 1 });
    const missing = path.join(dir, 'missing.crt');
    await expect(
      startAgentServer({
        listen: '127.0.0.1:0',
        tls: { cert: missing, key: pki.serverKey, ca: pki.caCert },
        manager,
        buildFilter: () => 'udp',
        hubbleInterface: 'any',
        logger,
        fence: new LeaderFence(memoryEpochStore(), logger),
      }),
    ).rejects.toThrow(missing);
    await manager.shutdown();
  });
});
