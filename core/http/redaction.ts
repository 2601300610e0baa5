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

  /** `name` in canonical form. */
  header(name: string): boolean {
    return this.headers.has(name);
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
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
