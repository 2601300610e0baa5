import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_NODE_LABEL,
  nodeLabel,
  outputFileName,
  resolveInside,
  validateFilePrefix,
  validateNodeName,
} from './file-naming.js';
import { OutputErrorCode } from './output-error.js';

const parts = {
  prefix: 'hubble',
  openedAtMs: 1_700_000_000_999,
  random: '3fa9c2d1',
  node: 'node-a',
  index: 0,
  extension: 'pcap',
};

describe('file-naming', () => {
  it.each([
    ['', 'hubble'],
    ['hubble', 'hubble'],
    ['a', 'a'],
    ['tap3deck', 'tap3deck'],
    ['a1234567890123456789', 'a1234567890123456789'],
  ])('should accept the file prefix %j as %j', (prefix, expected) => {
    expect(validateFilePrefix(prefix)).toBe(expected);
  });

  it.each(['../x', 'x/y', 'Hubble', '1abc', 'a_b', 'a-b', 'a.b', 'a12345678901234567890', ' a', 'a\n', '..', '%2e%2e'])(
    'should reject the file prefix %j',
    (prefix) => {
      expect(() => validateFilePrefix(prefix)).toThrow(expect.objectContaining({ code: OutputErrorCode.InvalidName }));
    },
  );

  it.each(['node-a', 'ip-10-0-0-1.eu-west-1.compute.internal', 'a', '0', 'a'.repeat(253)])(
    'should accept the node name %j',
    (node) => {
      expect(validateNodeName(node)).toBe(node);
    },
  );

  it.each(['', 'Node-A', '-a', 'a-', 'a..b', 'a_b', '../etc', 'a/b', 'a b', '.a', 'a.', 'a'.repeat(254)])(
    'should reject the node name %j',
    (node) => {
      expect(() => validateNodeName(node)).toThrow(expect.objectContaining({ code: OutputErrorCode.InvalidName }));
    },
  );

  it('should build Hubble-style names with a rotation index', () => {
    expect(outputFileName(parts)).toBe('hubble_1700000000_3fa9c2d1_node-a_000000.pcap');
    expect(outputFileName({ ...parts, index: 1_234_567, extension: 'pcapng' })).toBe(
      'hubble_1700000000_3fa9c2d1_node-a_1234567.pcapng',
    );
  });

  it('should produce names that sort by opening time, then by rotation index', () => {
    const opened = [
      { openedAtMs: 1_700_000_000_000, index: 0 },
      { openedAtMs: 1_700_000_000_500, index: 1 },
      { openedAtMs: 1_700_000_001_000, index: 2 },
      { openedAtMs: 1_700_000_100_000, index: 3 },
      { openedAtMs: 1_700_000_100_000, index: 10 },
    ];
    const names = opened.map((o) => outputFileName({ ...parts, ...o }));
    expect([...names].sort()).toEqual(names);
  });

  it('should keep file names under NAME_MAX for the longest node names', () => {
    const node = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    const name = outputFileName({
      ...parts,
      prefix: 'a1234567890123456789',
      node,
      index: 9_999_999,
      extension: 'pcapng',
    });
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(nodeLabel(node)).toHaveLength(MAX_NODE_LABEL);
    expect(nodeLabel(node)).not.toBe(nodeLabel(`${node.slice(0, -1)}e`));
  });

  it.each([
    ['random', { random: '../../../x' }],
    ['random', { random: 'ABCDEF12' }],
    ['extension', { extension: 'pcap/../x' }],
    ['index', { index: -1 }],
    ['openedAtMs', { openedAtMs: Number.NaN }],
  ])('should reject an invalid %s part', (_field, override) => {
    expect(() => outputFileName({ ...parts, ...override })).toThrow(
      expect.objectContaining({ code: OutputErrorCode.InvalidName }),
    );
  });

  it('should resolve a name directly inside the directory', () => {
    expect(resolveInside('/data/session/', 'a.pcap')).toBe(path.join('/data/session', 'a.pcap'));
  });

  it.each(['../a.pcap', '/etc/passwd', 'sub/a.pcap', '', '.', '..'])('should refuse the name %j', (name) => {
    expect(() => resolveInside('/data/session', name)).toThrow(
      expect.objectContaining({ code: OutputErrorCode.InvalidName }),
    );
  });
});
