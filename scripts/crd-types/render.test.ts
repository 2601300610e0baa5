import { describe, expect, it } from 'vitest';
import { docComment, RenderError, renderTypes } from './render.js';
import type { SchemaNode } from './schema.js';

const render = (schema: SchemaNode, names: Record<string, string> = {}): string =>
  renderTypes(schema, { rootName: 'Thing', names });

const rootWith = (properties: Record<string, SchemaNode>, required: string[] = []): SchemaNode => ({
  type: 'object',
  properties,
  required,
});

describe('renderTypes', () => {
  it.each<[string, SchemaNode, string]>([
    ['string', { type: 'string' }, 'string'],
    ['integer', { type: 'integer', format: 'int64' }, 'number'],
    ['number', { type: 'number' }, 'number'],
    ['boolean', { type: 'boolean' }, 'boolean'],
    ['int-or-string', { 'x-kubernetes-int-or-string': true, anyOf: [] } as SchemaNode, 'number | string'],
    ['unnamed enum', { type: 'string', enum: ['a', 'b'] }, '"a" | "b"'],
    ['array of strings', { type: 'array', items: { type: 'string' } }, 'string[]'],
    ['array of a union', { type: 'array', items: { type: 'string', enum: ['a', 'b'] } }, '("a" | "b")[]'],
    ['string map', { type: 'object', additionalProperties: { type: 'string' } }, 'Record<string, string>'],
    ['free-form object', { type: 'object' }, 'Record<string, unknown>'],
    ['preserved unknown fields', { 'x-kubernetes-preserve-unknown-fields': true }, 'unknown'],
  ])('should map a %s property to its TypeScript type', (_kind, schema, expected) => {
    expect(render(rootWith({ field: schema }, ['field']))).toContain(`  field: ${expected};\n`);
  });

  it('should make a property required when the schema requires it or defaults it', () => {
    const output = render(
      rootWith(
        { needed: { type: 'string' }, defaulted: { type: 'string', default: 'x' }, optional: { type: 'string' } },
        ['needed'],
      ),
    );
    expect(output).toContain('  needed: string;\n');
    expect(output).toContain('  defaulted: string;\n');
    expect(output).toContain('  optional?: string;\n');
  });

  it('should name nested objects from the table and fall back to parent and property names', () => {
    const output = render(
      rootWith({
        spec: rootWith({ inner: rootWith({ leaf: { type: 'string' } }) }),
        other: rootWith({ leaf: { type: 'string' } }),
      }),
      { spec: 'ThingSpec' },
    );
    expect(output).toContain('export interface Thing {\n');
    expect(output).toContain('  spec?: ThingSpec;\n');
    expect(output).toContain('export interface ThingSpecInner {\n');
    expect(output).toContain('  other?: ThingOther;\n');
    expect(output.indexOf('interface ThingSpec ')).toBeLessThan(output.indexOf('interface ThingSpecInner '));
  });

  it('should declare a named string enum as an as-const object and a union type', () => {
    const output = render(rootWith({ phase: { type: 'string', enum: ['Pending', 'True'] } }), { phase: 'Phase' });
    expect(output).toContain('export const Phase = {\n  Pending: "Pending",\n  True: "True",\n} as const;\n');
    expect(output).toContain('export type Phase = (typeof Phase)[keyof typeof Phase];\n');
    expect(output).toContain('  phase?: Phase;\n');
  });

  it('should declare a shared name once when both shapes are equal', () => {
    const ref: SchemaNode = rootWith({ name: { type: 'string' } }, ['name']);
    const output = render(rootWith({ a: ref, b: ref }), { a: 'Ref', b: 'Ref' });
    expect(output.match(/export interface Ref /g)).toHaveLength(1);
  });

  it.each<[string, SchemaNode, Record<string, string>]>([
    [
      'a shared name with two shapes',
      rootWith({ a: rootWith({ x: { type: 'string' } }), b: rootWith({ y: { type: 'string' } }) }),
      { a: 'Ref', b: 'Ref' },
    ],
    ['an array without items', rootWith({ list: { type: 'array' } }), {}],
    ['a numeric enum', rootWith({ n: { type: 'integer', enum: [1, 2] } }), {}],
    ['an unknown type', rootWith({ n: { type: 'null' } }), {}],
  ])('should refuse %s', (_case, schema, names) => {
    expect(() => render(schema, names)).toThrow(RenderError);
  });

  it('should apply overrides by path', () => {
    const output = renderTypes(rootWith({ metadata: { type: 'object' } }), {
      rootName: 'Thing',
      names: {},
      overrides: { metadata: 'V1ObjectMeta' },
      alwaysPresent: ['metadata'],
    });
    expect(output).toContain('  metadata: V1ObjectMeta;\n');
  });
});

describe('docComment', () => {
  it.each<[string | undefined, unknown, string]>([
    [undefined, undefined, ''],
    ['Says what.', undefined, '/**\n * Says what.\n */\n'],
    ['Says what.', '60m', '/**\n * Says what.\n * @default "60m"\n */\n'],
    ['Ends */ early', undefined, '/**\n * Ends *\\/ early\n */\n'],
    [undefined, ['any'], '/**\n * @default ["any"]\n */\n'],
  ])('should document %j with default %j', (description, defaultValue, expected) => {
    expect(docComment(description, defaultValue)).toBe(expected);
  });
});
