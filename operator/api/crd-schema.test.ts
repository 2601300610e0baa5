import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { storageSchema } from '../../scripts/crd-types/generate.js';
import type { SchemaNode } from '../../scripts/crd-types/schema.js';

// House rules for crds/recording.yaml that the API server does not enforce by itself.
const crd: unknown = parse(await readFile(new URL('../../crds/recording.yaml', import.meta.url), 'utf8'));
const { schema } = storageSchema(crd);

type Node = SchemaNode & { maxItems?: number; maxLength?: number; 'x-kubernetes-validations'?: unknown[] };

/** Every schema node below the root with its path; `metadata` is the API server's business. */
function walk(node: Node, path: string, out: [string, Node][] = []): [string, Node][] {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (path === '' && key === 'metadata') continue;
    const at = path === '' ? key : `${path}.${key}`;
    out.push([at, child]);
    walk(child, at, out);
  }
  if (node.items !== undefined) walk(node.items, `${path}[]`, out);
  return out;
}

const nodes = walk(schema, '');

describe('Recording CRD schema', () => {
  it('should describe every field', () => {
    expect(nodes.filter(([, node]) => !node.description).map(([path]) => path)).toEqual([]);
  });

  it('should bound every list with maxItems', () => {
    const unbounded = nodes.filter(([, node]) => node.type === 'array' && node.maxItems === undefined);
    expect(unbounded.map(([path]) => path)).toEqual([]);
  });

  it('should bound every string that a CEL rule reads with maxLength', () => {
    const unbounded = nodes.filter(
      ([, node]) => node.type === 'string' && node['x-kubernetes-validations'] && node.maxLength === undefined,
    );
    expect(unbounded.map(([path]) => path)).toEqual([]);
  });

  it.each([
    ['spec.target.interfaces', ['any']],
    ['spec.output.formats', ['pcap']],
    ['spec.schedule.dailyIterations', 1],
    ['spec.schedule.duration', '60m'],
    ['spec.retention.expireAfter', '72h'],
  ])('should default %s to %j', (path, expected) => {
    expect(nodes.find(([at]) => at === path)?.[1].default).toEqual(expected);
  });
});
