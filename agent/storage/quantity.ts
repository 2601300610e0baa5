// Kubernetes resource quantities ("50Mi", "5Gi", "1G", "1.5Gi", "1e9", "1048576") as bytes, for
// --storage-limit / TAPEDECK_STORAGE_LIMIT, which the chart fills from agent.storage.limit.

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^(\d+(?:\.\d+)?)(?:(k|[KMGTPE]i|[MGTPE])|[eE](\d+))?$/;

/** Bytes of a quantity, rounded up to a whole byte; throws RangeError with the reason otherwise. */
export function parseQuantity(text: string): number {
  const match = QUANTITY.exec(text.trim());
  if (match === null) {
    throw new RangeError(`${JSON.stringify(text)} is not a quantity (e.g. 5Gi, 500Mi, 1G or a number of bytes)`);
  }
  const [, number = '', suffix = '', exponent] = match;
  const multiplier = exponent !== undefined ? 10 ** Number(exponent) : SUFFIX[suffix];
  if (multiplier === undefined) throw new RangeError(`${JSON.stringify(text)} has an unknown suffix`);
  const bytes = Math.ceil(Number(number) * multiplier);
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`${JSON.stringify(text)} is too large`);
  return bytes;
}
