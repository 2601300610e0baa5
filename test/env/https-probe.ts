import { request } from 'node:https';

/** GET over HTTPS with a given CA (or none, for self-signed health endpoints); true on 2xx. */
export function httpsOk(url: string, ca: string | undefined): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, rejectUnauthorized: ca !== undefined, timeout: 2_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.once('error', reject);
    req.end();
  });
}
