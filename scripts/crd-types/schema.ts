// The subset of a CRD's OpenAPI v3 schema (apiextensions.k8s.io/v1 JSONSchemaProps) that the type
// generator understands. Validation-only keywords (pattern, bounds, CEL rules) do not change the
// TypeScript shape and are ignored.
export interface SchemaNode {
  type?: string;
  description?: string;
  format?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  enum?: unknown[];
  default?: unknown;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** Where a schema node sits: `spec.filter.include[].protocol`; `[]` marks an array's items, '' the root. */
export type SchemaPath = string;

export const childPath = (parent: SchemaPath, key: string): SchemaPath => (parent === '' ? key : `${parent}.${key}`);

export const itemsPath = (parent: SchemaPath): SchemaPath => `${parent}[]`;
