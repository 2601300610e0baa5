import { describe, expect, it } from 'vitest';
import { ConfigError, parseFlags } from './flags.js';

const TLS = ['--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-ca', 'ca.pem'];

describe('parseFlags', () => {
  it('should parse every flag', () => {
    const config = parseFlags(
      [
        '--node-name',
        'node-a',
        '--listen',
        '127.0.0.1:4244',
        '--data-dir',
        '/data',
        ...TLS,
        '--log-level',
        'debug',
        '--max-sessions',
        '4',
      ],
      {},
    );
    expect(config).toMatchObject({
      nodeName: 'node-a',
      listen: '127.0.0.1:4244',
      dataDir: '/data',
      logLevel: 'debug',
      maxSessions: 4,
      hubbleInterface: 'any',
    });
    expect(config !== 'help' && config.tls?.ca.endsWith('/ca.pem')).toBe(true);
  });

  it('should take the node name from NODE_NAME and allow --insecure without TLS files', () => {
    const config = parseFlags(['--insecure', '--listen', 'unix:/run/tapedeck.sock'], { NODE_NAME: 'worker-1' });
    expect(config).toMatchObject({ nodeName: 'worker-1', tls: undefined, listen: 'unix:/run/tapedeck.sock' });
  });

  it('should take the storage limit from --storage-limit, else TAPEDECK_STORAGE_LIMIT, else none', () => {
    const limit = (args: string[], env: NodeJS.ProcessEnv) => {
      const config = parseFlags(['--insecure', ...args], { NODE_NAME: 'n', ...env });
      return config === 'help' ? -1 : config.storageLimitBytes;
    };
    expect(limit(['--storage-limit', '50Mi'], { TAPEDECK_STORAGE_LIMIT: '5Gi' })).toBe(50 * 2 ** 20);
    expect(limit([], { TAPEDECK_STORAGE_LIMIT: '5Gi' })).toBe(5 * 2 ** 30);
    expect(limit([], {})).toBe(0);
  });

  it('should return help for --help', () => {
    expect(parseFlags(['--help'], {})).toBe('help');
  });

  it.each([
    { args: ['--bogus'], message: "Unknown option '--bogus'" },
    { args: ['--node-name', 'node-a'], message: '--tls-cert, --tls-key and --tls-ca are required' },
    { args: ['--insecure', ...TLS], message: '--insecure cannot be combined' },
    { args: ['--insecure', '--listen', 'nowhere'], message: '--listen "nowhere" must be host:port' },
    { args: ['--insecure', '--listen', '0.0.0.0:70000'], message: '--listen port 70000 is out of range' },
    { args: ['--insecure', '--log-level', 'loud'], message: '--log-level must be one of' },
    { args: ['--insecure', '--max-sessions', '0'], message: '--max-sessions must be an integer between 1 and 256' },
    { args: ['--insecure', '--max-sessions', '2x'], message: '--max-sessions must be an integer' },
    { args: ['--insecure', '--node-name', 'Node_A'], message: '--node-name "Node_A" is not a DNS subdomain' },
    { args: ['--insecure', '--hubble-interface', 'eth0;x'], message: '--hubble-interface is not an interface name' },
    { args: ['--insecure', '--storage-limit', '5GB'], message: '--storage-limit: "5GB" is not a quantity' },
    { args: ['--insecure', '--storage-limit', '1Mi'], message: '--storage-limit must be at least 4194304 bytes' },
  ])('should refuse $args', ({ args, message }) => {
    expect(() => parseFlags(args, { NODE_NAME: 'n' })).toThrow(ConfigError);
    expect(() => parseFlags(args, { NODE_NAME: 'n' })).toThrow(message);
  });
});
