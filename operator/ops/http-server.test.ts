import { afterEach, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { portOf, startHttpServer } from './http-server.js';
import { OperatorMetrics } from './metrics.js';

describe('startHttpServer', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  async function serve(healthy: boolean, ready: boolean): Promise<(path: string) => Promise<[number, string]>> {
    const metrics = new OperatorMetrics();
    metrics.reconciles.inc({ result: 'success' });
    server = await startHttpServer('127.0.0.1', 0, metrics.registry, { healthy: () => healthy, ready: () => ready });
    const base = `http://127.0.0.1:${portOf(server)}`;
    return async (path) => {
      const res = await fetch(base + path);
      return [res.status, await res.text()];
    };
  }

  it.each<[boolean, boolean, string, number]>([
    [true, true, '/healthz', 200],
    [false, true, '/healthz', 503],
    [true, true, '/readyz', 200],
    [true, false, '/readyz', 503],
    [true, true, '/nope', 404],
  ])('should answer (healthy %s, ready %s) %s with %i', async (healthy, ready, path, code) => {
    const get = await serve(healthy, ready);
    expect((await get(path))[0]).toBe(code);
  });

  it('should serve Prometheus metrics', async () => {
    const get = await serve(true, true);
    const [code, body] = await get('/metrics');
    expect(code).toBe(200);
    expect(body).toContain('tapedeck_operator_reconciles_total{result="success"} 1');
    expect(body).toContain('tapedeck_operator_reconcile_duration_seconds_bucket');
  });
});
