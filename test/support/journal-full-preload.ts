// Loaded into a service process a disk-fault test starts (node --import, through
// journalFullEnv()): on SIGUSR2 the trace journal's SQLite database stops growing. Its
// max_page_count is set to the pages the file has now, so the next write that needs a new page
// fails with SQLite's own SQLITE_FULL ("database or disk is full"), the error a full disk gives
// the journal; no root, no mount, the same on Linux and macOS. The file's free pages are handed
// back first, so there is no room inside it either. Writes that need no new page (a batch marked
// "maybe stored", a removal) still succeed; so does a new batch in pages a removal freed.
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

// The service's own better-sqlite3 (same module, same class): connections it opens are seen here.
const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
const journals = new Set<BetterSqlite3.Database>();
const pragma = Database.prototype.pragma;
Database.prototype.pragma = function (this: BetterSqlite3.Database, ...args: Parameters<typeof pragma>) {
  // The journal's file is spool.db; its first statement is a pragma (page size).
  if (this.name.endsWith("spool.db")) journals.add(this);
  return pragma.apply(this, args);
} as typeof pragma;

process.on("SIGUSR2", () => {
  let held = 0;
  for (const db of journals) {
    if (!db.open) continue;
    // Free pages inside the file go back first (as the journal itself does after removals), so
    // "full" means no room inside the file either.
    pragma.call(db, "incremental_vacuum");
    const pages = pragma.call(db, "page_count", { simple: true }) as number;
    pragma.call(db, `max_page_count = ${pages}`);
    held++;
  }
  process.stderr.write(`journal-full fault: ${held} journal database(s) can no longer grow\n`);
});
