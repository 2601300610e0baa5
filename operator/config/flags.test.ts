import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags, parseLabels } from './flags.js';

describe('parseFlags', () => {
  it('should default to in-cluster config, leader election and TLS to agents', () => {
    const config = parseFlags(['--tls-ca', 'ca', '--tls-cert', 'c', '--tls-key', 'k'], { POD_NAMESPACE: 'ops' });
    expect(config).toMatchObject({
      kubeconfig: undefined,
      namespace: 'ops',
      leaderElect: true,
      leaseName: 'tapedeck-operator',
      httpHost: '0.0.0.0',
      httpPort: 8080,
      agentNamespace: 'tapedeck-system',
      agentPort: 9443,
      tls: { ca: 'ca', cert: 'c', key: 'k', serverName: 'tapedeck-agent' },
      watchNamespace: undefined,
    });
  });

  it('should read every flag', () => {
    const config = parseFlags(
      [
        ...['--kubeconfig', '/k', '--namespace', 'n', '--leader-elect', 'false', '--identity', 'me'],
        ...['--lease-duration', '3000', '--renew-deadline', '2000', '--retry-period', '250'],
        ...['--http-bind', '127.0.0.1:0', '--agent-selector', 'a=b,c=d'],
        ...['--agent-port', '7000', '--insecure', '--watch-namespace', 'w', '--log-level', 'debug'],
      ],
      {},
    );
    expect(config).toMatchObject({
      kubeconfig: '/k',
      namespace: 'n',
      leaderElect: false,
      identity: 'me',
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 250,
      httpHost: '127.0.0.1',
      httpPort: 0,
      agentLabels: { a: 'b', c: 'd' },
      agentPort: 7000,
      tls: undefined,
      watchNamespace: 'w',
      logLevel: 'debug',
    });
  });

  it('should issue certificates from a CA into its identity dir and the agent Secret instead of reading --tls-*', () => {
    const config = parseFlags(
      [
        ...['--issuer-ca-cert', '/ca/tls.crt', '--issuer-ca-key', '/ca/tls.key', '--identity-dir', '/run/id'],
        ...['--agent-secret', 'rel-agent-tls', '--operator-identity', 'op', '--certificate-days', '30'],
      ],
      {},
    );
    expect(config.issuer).toEqual({
      caCert: '/ca/tls.crt',
      caKey: '/ca/tls.key',
      agentSecret: 'rel-agent-tls',
      ownDir: '/run/id',
      operatorIdentity: 'op',
      validityDays: 30,
    });
    expect(config.tls).toEqual({
      ca: '/run/id/ca.crt',
      cert: '/run/id/tls.crt',
      key: '/run/id/tls.key',
      serverName: 'tapedeck-agent',
    });
    expect(parseFlags(['--tls-ca', 'a', '--tls-cert', 'b', '--tls-key', 'c'], {}).issuer).toBeUndefined();
  });

  it.each<[string, string[], RegExp]>([
    [
      '--tls-* with --issuer-*',
      ['--tls-ca', 'a', '--tls-cert', 'b', '--tls-key', 'c', '--issuer-ca-cert', 'x', '--issuer-ca-key', 'y'],
      /exclude each other/,
    ],
    ['half an issuer', ['--issuer-ca-cert', 'x'], /go together/],
    ['--insecure with an issuer', ['--insecure', '--issuer-ca-cert', 'x', '--issuer-ca-key', 'y'], /--insecure cannot/],
    ['zero days', ['--issuer-ca-cert', 'x', '--issuer-ca-key', 'y', '--certificate-days', '0'], /at least 1/],
  ])('should reject %s, saying why', (_name, argv, why) => {
    expect(() => parseFlags(argv, {})).toThrow(why);
  });

  it.each<[string, string[]]>([
    ['missing TLS files', ['--tls-ca', 'ca']],
    ['TLS with --insecure', ['--insecure', '--tls-ca', 'ca']],
    ['a bad bind', ['--insecure', '--http-bind', '8080']],
    ['a bad number', ['--insecure', '--agent-port', 'x']],
    ['a bad boolean', ['--insecure', '--leader-elect', 'yes']],
  ])('should reject %s', (_name, argv) => {
    expect(() => parseFlags(argv, {})).toThrow(FlagError);
  });

  it('should reject lease timings where a renewal could outlast the lease', () => {
    expect(() => parseFlags(['--insecure', '--lease-duration', '3000'], {})).toThrow(
      'leader election needs --retry-period < --renew-deadline < --lease-duration',
    );
  });

  it('should reject unknown flags', () => {
    expect(() => parseFlags(['--nope'], {})).toThrow();
  });
});

describe('parseLabels', () => {
  it('should reject a pair without a value', () => {
    expect(() => parseLabels('a')).toThrow(FlagError);
  });
});
