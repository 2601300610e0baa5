// Go's textproto.CanonicalMIMEHeaderKey, so header names read as gost records them ("Etag",
// "Content-Type", "X-Api-Key"): upper case at the start and after each hyphen, lower case elsewhere;
// a name with a character outside the token set is kept as it is. Remembered, as the same few names recur.
const cache = new Map<string, string>();
const MAX_CACHED = 4096;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function canonicalHeaderKey(name: string): string {
  return headerKey(name) ?? name;
}

/** The canonical form of a header field name, or undefined when `name` is not a token (RFC 9110). */
export function headerKey(name: string): string | undefined {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  if (!TOKEN.test(name)) return undefined;
  let out = '';
  let upper = true;
  for (const c of name) {
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  // The key is a copy: a slice of a head's text would keep all of that text alive.
  if (cache.size < MAX_CACHED) cache.set([...name].join(''), out);
  return out;
}
