// What the HTTP records redact: by default the values of Authorization, Proxy-Authorization, Cookie and
// Set-Cookie (credentials and sessions); a Recording can add header names and query parameters, or turn
// redaction off explicitly. A redacted value reads "[redacted]"; the header or parameter stays visible.
import { canonicalHeaderKey } from './header-key.js';

export const REDACTED = '[redacted]';
export const DEFAULT_REDACTED_HEADERS: readonly string[] = [
  'Authorization',
  'Proxy-Authorization',
  'Cookie',
  'Set-Cookie',
];

export interface RedactionOptions {
  /** Header names redacted on top of the defaults (any case). */
  readonly headers?: readonly string[];
  /** Query parameter names whose values are redacted in `uri` (exact, after percent-decoding). */
  readonly queryParameters?: readonly string[];
  /** True turns every redaction off, the defaults included. */
  readonly disabled?: boolean;
}

export class Redaction {
  private readonly headers: ReadonlySet<string>;
  private readonly query: ReadonlySet<string>;

  constructor(options: RedactionOptions = {}) {
    const headers = options.disabled ? [] : [...DEFAULT_REDACTED_HEADERS, ...(options.headers ?? [])];
    this.headers = new Set(headers.map(canonicalHeaderKey));
    this.query = new Set(options.disabled ? [] : (options.queryParameters ?? []));
  }

  /** Header fields as recorded: `fields` itself when none of them is redacted, else a copy that says which. */
  fields(fields: Record<string, string[]>): Record<string, string[]> {
    for (const name of this.headers) if (Object.hasOwn(fields, name)) return this.redactedCopy(fields);
    return fields;
  }

  uri(uri: string): string {
    if (this.query.size === 0) return uri;
    const q = uri.indexOf('?');
    if (q < 0) return uri;
    const parts = uri.slice(q + 1).split('&');
    let changed = false;
    for (const [i, part] of parts.entries()) {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      if (eq >= 0 && this.query.has(decodeName(name))) {
        parts[i] = `${name}=${REDACTED}`;
        changed = true;
      }
    }
    return changed ? `${uri.slice(0, q)}?${parts.join('&')}` : uri;
  }

  private redactedCopy(fields: Record<string, string[]>): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const name of Object.keys(fields)) {
      const values = fields[name] ?? [];
      const shown = this.headers.has(name) ? values.map(() => REDACTED) : values;
      // defineProperty: a header named __proto__ stays a header.
      if (name === '__proto__') Object.defineProperty(out, name, { value: shown, enumerable: true });
      else out[name] = shown;
    }
    return out;
  }
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
