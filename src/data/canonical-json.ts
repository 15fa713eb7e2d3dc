/**
 * Canonical JSON: object keys sorted by code unit, `undefined` members dropped, no whitespace. Files a
 * task pins by hash (the data schema, the model topology) are hashed over these bytes, so a reformatted
 * or re-ordered copy of the same document has the same hash.
 */
export function canonicalJson(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v !== null && typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Object.fromEntries(entries.map(([k, x]) => [k, canonical(x)]));
    }
    return v;
  };
  return JSON.stringify(canonical(value));
}
