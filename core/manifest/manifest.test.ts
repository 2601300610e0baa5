import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, serializeManifest } from './manifest.js';
import type { Manifest } from './manifest.js';
import { manifestKey, objectKey, ObjectKeyError } from './object-key.js';

const schema = JSON.parse(readFileSync(new URL('./manifest.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, validateFormats: false }).compile(schema);

const run = {
  prefix: 'prod/',
  namespace: 'shop',
  recording: 'checkout',
  uid: '1B4E28BA-2FA1-11D2-883F-0016D3CCA427',
  iteration: 3,
  node: 'node-a.example',
};

const manifest: Manifest = {
  schemaVersion: 1,
  recording: { namespace: 'shop', name: 'checkout', uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' },
  iteration: 3,
  node: 'node-a.example',
  complete: true,
  updated: '2026-12-02T08:00:00.000Z',
  files: [
    {
      key: objectKey(run, 'tapedeck_1796198193_1f0c9a2e_node-a.example_000000.pcapng'),
      format: 'pcapng',
      bytes: 1234,
      packets: 10,
      firstPacketTime: '2026-12-02T07:59:00.000000001Z',
      lastPacketTime: '2026-12-02T07:59:59.5Z',
      interfaces: ['eth0', 'eth1'],
      linkType: 1,
      sha256: 'a'.repeat(64),
    },
  ],
};

describe('object keys', () => {
  it('should lay out <prefix>/<namespace>/<recording>/<uid8>/<iteration>/<node>/<file>', () => {
    expect(objectKey(run, 'a.pcap')).toBe('prod/shop/checkout/1b4e28ba/3/node-a.example/a.pcap');
    expect(manifestKey({ ...run, prefix: '' })).toBe('shop/checkout/1b4e28ba/3/node-a.example/manifest.json');
  });

  it.each([
    [{ ...run, namespace: '../etc' }, 'a.pcap', /namespace/],
    [{ ...run, node: 'a/b' }, 'a.pcap', /node name/],
    [{ ...run, prefix: 'a/../b' }, 'a.pcap', /prefix segment/],
    [{ ...run, uid: 'x' }, 'a.pcap', /uid/],
    [{ ...run, iteration: 0 }, 'a.pcap', /iteration/],
    [run, '../a.pcap', /file name/],
    [run, 'manifest.json', /reserved/],
  ])('should refuse keys that could escape their place (%#)', (where, file, message) => {
    expect(() => objectKey(where, file)).toThrow(ObjectKeyError);
    expect(() => objectKey(where, file)).toThrow(message);
  });
});

describe('manifest', () => {
  it('should serialize to JSON valid against the published schema and parse back unchanged', () => {
    const text = serializeManifest(manifest);
    expect(validate(JSON.parse(text)), JSON.stringify(validate.errors)).toBe(true);
    expect(parseManifest(text, 'm.json')).toEqual(manifest);
  });

  it.each([
    ['not JSON', '{', /^s\/m\.json: not JSON/],
    ['a newer schema', JSON.stringify({ ...manifest, schemaVersion: 2 }), /schemaVersion 2 is not 1; upgrade tapedeck/],
    [
      'a bad sha256',
      JSON.stringify({ ...manifest, files: [{ ...manifest.files[0], sha256: 'xyz' }] }),
      /files\[0\]\.sha256: expected 64 hex digits/,
    ],
    [
      'a negative size',
      JSON.stringify({ ...manifest, files: [{ ...manifest.files[0], bytes: -1 }] }),
      /files\[0\]\.bytes/,
    ],
    [
      'an unknown format',
      JSON.stringify({ ...manifest, files: [{ ...manifest.files[0], format: 'zip' }] }),
      /files\[0\]\.format/,
    ],
    ['a missing node', JSON.stringify({ ...manifest, node: undefined }), /node: expected a node name/],
  ])('should reject %s with an error naming the field, as the schema does', (_name, text, message) => {
    expect(() => parseManifest(text, 's/m.json')).toThrow(ManifestError);
    expect(() => parseManifest(text, 's/m.json')).toThrow(message);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    expect(validate(parsed)).toBe(false);
  });
});
