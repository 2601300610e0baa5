// SessionSpec.redaction (the json format's http redaction) checked and normalised; the CRD bounds the same
// lists, so a refusal here means a client other than the operator sent it.
import type { Redaction__Output } from '../../proto/generated/tapedeck/agent/v1/Redaction.js';
import type { RedactionSpec } from '../session/session-spec.js';
import { invalid } from './request-error.js';

export const MAX_REDACTED_NAMES = 32;
const MAX_NAME_LENGTH = 128;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function redactionSpec(value: Redaction__Output | null | undefined): RedactionSpec | undefined {
  if (!value) return undefined;
  return {
    headers: names('spec.redaction.headers', value.headers, HEADER_NAME),
    queryParameters: names('spec.redaction.queryParameters', value.queryParameters, /^.+$/s),
    disabled: value.disabled,
  };
}

function names(field: string, list: readonly string[], pattern: RegExp): string[] {
  if (list.length > MAX_REDACTED_NAMES) throw invalid(field, `at most ${MAX_REDACTED_NAMES} names`);
  for (const [i, name] of list.entries()) {
    if (name.length > MAX_NAME_LENGTH || !pattern.test(name)) {
      throw invalid(
        `${field}[${i}]`,
        `${JSON.stringify(name.slice(0, 64))} must be 1-${MAX_NAME_LENGTH} characters of a header name token`,
      );
    }
  }
  return [...list];
}
