// Go's textproto.CanonicalMIMEHeaderKey, so header names read as gost records them ("Etag",
// "Content-Type", "X-Api-Key"): upper case at the start and after each hyphen, lower case elsewhere;
// a name with a character outside the token set is kept as it is.
const cache = new Map<string, string>();
const MAX_CACHED = 4096;

export function canonicalHeaderKey(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let out = name;
  if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    let upper = true;
    out = '';
    for (const c of name) {
      out += upper ? c.toUpperCase() : c.toLowerCase();
      upper = c === '-';
    }
  }
  if (cache.size < MAX_CACHED) cache.set(name, out);
  return out;
}
