// What every budget of bench/budgets.json has, whatever it judges: an id unique in the whole file,
// a description for the benchmarks that show one, and a finite limit. Each section's validator
// checks these here (validateBudgetSection walks its list) and its own fields itself.

/** Checks an entry's id (recorded in `ids`), description and `max`; returns the "<kind> budget <id>" its own errors start with. */
export function validateBudgetEntry(
  entry: { id?: unknown; description?: unknown; max?: unknown } | null | undefined,
  kind: string,
  ids: Set<string>,
): string {
  const where = `${kind} budget ${JSON.stringify(entry?.id)}`;
  if (typeof entry?.id !== "string" || entry.id === "") throw new Error(`${where}: id must be a non-empty string`);
  if (ids.has(entry.id)) throw new Error(`${where}: duplicate id`);
  ids.add(entry.id);
  if (typeof entry.description !== "string" || entry.description === "")
    throw new Error(`${where}: description must say what is budgeted`);
  if (typeof entry.max !== "number" || !Number.isFinite(entry.max)) throw new Error(`${where}: max must be a number`);
  return where;
}

/**
 * A section of budgets.json (`section`, e.g. "tracingCost"): a list whose every entry passes
 * validateBudgetEntry and then `own`, the section's checks of its own fields (which throw).
 */
export function validateBudgetSection<T extends { id?: unknown; description?: unknown; max?: unknown }>(
  value: unknown,
  section: string,
  kind: string,
  ids: Set<string>,
  own: (entry: T, where: string) => void,
): T[] {
  if (!Array.isArray(value)) throw new Error(`budgets: ${section} must be a list`);
  for (const entry of value as T[]) own(entry, validateBudgetEntry(entry, kind, ids));
  return value as T[];
}
