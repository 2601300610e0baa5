// Validates records against core/records/record.schema.json with ajv (JSON Schema 2020-12; ajv is the
// maintained reference validator for Node and reports every violation with its path).
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

const schema = JSON.parse(readFileSync(new URL('../records/record.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

export function recordErrors(record: unknown): string[] {
  if (validate(record)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

export function assertValidRecord(record: unknown): void {
  const errors = recordErrors(record);
  if (errors.length > 0)
    throw new Error(`record does not match the schema: ${errors.join('; ')}\n${JSON.stringify(record)}`);
}
