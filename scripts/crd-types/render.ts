// Renders TypeScript declarations from a CRD's structural schema. Objects with properties become
// interfaces, string enums become `as const` objects plus a union type (STYLE.md: no TS enums),
// everything else an inline type. Names come from a table keyed by schema path, so the output is
// stable and readable; objects without an entry are named after their parent and property.
//
// The types describe objects as read from the API server: a property is required when the schema
// requires it or gives it a default (the server applies defaults whenever the parent is present).
import { childPath, itemsPath } from './schema.js';
import type { SchemaNode, SchemaPath } from './schema.js';

export interface RenderOptions {
  /** Name of the root interface, such as `Recording`. */
  rootName: string;
  /** Type names by schema path, for objects and string enums. */
  names: Readonly<Record<SchemaPath, string>>;
  /** Type expressions that replace a path's schema, such as `metadata` → `V1ObjectMeta`. */
  overrides?: Readonly<Record<SchemaPath, string>>;
  /** Paths that are always present although the schema does not require them (apiVersion, kind...). */
  alwaysPresent?: readonly SchemaPath[];
}

export class RenderError extends Error {
  readonly code = 'CRD_TYPES_RENDER';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RenderError';
  }
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const propertyKey = (key: string): string => (identifier.test(key) ? key : JSON.stringify(key));

const pascal = (key: string): string =>
  key
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** A JSDoc block from a description and a default, or '' when there is neither. */
export function docComment(description: string | undefined, defaultValue: unknown): string {
  const lines: string[] = [];
  if (description !== undefined && description.trim() !== '') {
    lines.push(...description.trim().split('\n'));
  }
  if (defaultValue !== undefined) {
    lines.push(`@default ${JSON.stringify(defaultValue)}`);
  }
  if (lines.length === 0) {
    return '';
  }
  const body = lines.map((line) => ` * ${line.replaceAll('*/', '*\\/')}`.trimEnd()).join('\n');
  return `/**\n${body}\n */\n`;
}

class Renderer {
  private readonly bodies = new Map<string, string>();
  private readonly declarations: string[] = [];

  constructor(private readonly options: RenderOptions) {}

  render(root: SchemaNode): string {
    this.objectType(root, '', this.options.rootName);
    return this.declarations.join('\n');
  }

  private typeOf(node: SchemaNode, path: SchemaPath): string {
    const override = this.options.overrides?.[path];
    if (override !== undefined) {
      return override;
    }
    if (node['x-kubernetes-int-or-string'] === true) {
      return 'number | string';
    }
    if (node.enum !== undefined) {
      return this.enumType(node.enum, path);
    }
    switch (node.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array': {
        if (node.items === undefined) {
          throw new RenderError(`Array without items at ${path}`);
        }
        const item = this.typeOf(node.items, itemsPath(path));
        return item.includes(' ') ? `(${item})[]` : `${item}[]`;
      }
      case 'object':
        return this.objectOrMap(node, path);
      default:
        if (node['x-kubernetes-preserve-unknown-fields'] === true) {
          return 'unknown';
        }
        throw new RenderError(`Unsupported schema type ${JSON.stringify(node.type)} at ${path}`);
    }
  }

  private objectOrMap(node: SchemaNode, path: SchemaPath): string {
    if (node.properties !== undefined) {
      return this.objectType(node, path, this.options.names[path] ?? this.fallbackName(path));
    }
    if (typeof node.additionalProperties === 'object') {
      return `Record<string, ${this.typeOf(node.additionalProperties, itemsPath(path))}>`;
    }
    return 'Record<string, unknown>';
  }

  private fallbackName(path: SchemaPath): string {
    return pascal(`${this.options.rootName} ${path}`);
  }

  private enumType(values: readonly unknown[], path: SchemaPath): string {
    const literals = values.map((value) => {
      if (typeof value !== 'string') {
        throw new RenderError(`Only string enums are supported, found ${JSON.stringify(value)} at ${path}`);
      }
      return value;
    });
    const name = this.options.names[path];
    if (name === undefined) {
      return literals.map((value) => JSON.stringify(value)).join(' | ');
    }
    const members = literals.map((value) => `  ${propertyKey(value)}: ${JSON.stringify(value)},`).join('\n');
    const text =
      `export const ${name} = {\n${members}\n} as const;\n` +
      `export type ${name} = (typeof ${name})[keyof typeof ${name}];\n`;
    this.declare(name, text);
    return name;
  }

  private objectType(node: SchemaNode, path: SchemaPath, name: string): string {
    if (this.bodies.has(name)) {
      // Same name reached again (two selectors, two secret references): the shape must match.
      const body = this.objectBody(node, path);
      if (this.bodies.get(name) !== body) {
        throw new RenderError(`Type name ${name} is used for different shapes, the second at ${path}`);
      }
      return name;
    }
    // Reserve the slot first so that declarations appear parent before children.
    const slot = this.declarations.length;
    this.declarations.push('');
    this.bodies.set(name, '');
    const body = this.objectBody(node, path);
    this.bodies.set(name, body);
    this.declarations[slot] = `${docComment(node.description, undefined)}export interface ${name} {\n${body}}\n`;
    return name;
  }

  private objectBody(node: SchemaNode, path: SchemaPath): string {
    const required = new Set(node.required ?? []);
    const always = new Set(this.options.alwaysPresent ?? []);
    return Object.entries(node.properties ?? {})
      .map(([key, child]) => {
        const childAt = childPath(path, key);
        const present = required.has(key) || child.default !== undefined || always.has(childAt);
        const doc = docComment(child.description, child.default);
        const member = `${doc}${propertyKey(key)}${present ? '' : '?'}: ${this.typeOf(child, childAt)};`;
        return `${member.replaceAll('\n', '\n  ').replace(/^/, '  ')}\n`;
      })
      .join('');
  }

  private declare(name: string, text: string): void {
    const existing = this.bodies.get(name);
    if (existing !== undefined) {
      if (existing !== text) {
        throw new RenderError(`Type name ${name} is used for different enums`);
      }
      return;
    }
    this.bodies.set(name, text);
    this.declarations.push(text);
  }
}

/** TypeScript declarations (unformatted) for a structural schema. */
export function renderTypes(root: SchemaNode, options: RenderOptions): string {
  return new Renderer(options).render(root);
}
