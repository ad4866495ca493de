// A node:test reporter that writes one JSON line per test or suite that did not really run:
// skipped (`{ skip }`, `t.skip()`) or todo (its failure would not count). node:test counts a
// skipped suite as passing and a todo as not failing; scripts/run-tests.mjs reads these lines
// and fails the run, so a missing browser or database can never pass for a green suite.
import { relative } from "node:path";

export default async function* unrunTestsReporter(source) {
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { name, skip, todo, file } = event.data;
    if (skip === undefined && todo === undefined) continue;
    yield `${JSON.stringify({ name, file: file ? relative(process.cwd(), file) : null, kind: skip !== undefined ? "skipped" : "todo", reason: skip ?? todo })}\n`;
  }
}
