// A query string as Langfuse's Next.js routes see it (req.query), for their zod schemas to read.

/** Next.js' req.query: one value a string, a repeated parameter an array. */
export function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}
