// Prompt versions in the receiver's SQLite file, kept as Langfuse's `prompts` table keeps them
// (packages/shared/prisma/schema.prisma, model Prompt) and changed as its prompt actions change
// them (web/src/features/prompts/server/actions/*.ts): a new version is the highest one + 1,
// always labelled `latest`; a label lives on one version of a name at a time, so giving it to one
// version takes it from the others; tags are the same on every version of a name. Each change is
// one transaction.
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { HttpError } from "../http-responses.js";
import { LOCAL_PROJECT_ID } from "../observations-v2-view.js";
import {
  LATEST_LABEL,
  PRODUCTION_LABEL,
  variablesOf,
  type ChatMessage,
  type CreatePromptInput,
  type ListPromptsQuery,
} from "./prompt-schemas.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS prompts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  type TEXT NOT NULL,
  prompt TEXT NOT NULL,
  config TEXT NOT NULL,
  labels TEXT NOT NULL,
  tags TEXT NOT NULL,
  commit_message TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (name, version)
);
`;

interface PromptRow {
  id: string;
  name: string;
  version: number;
  type: string;
  prompt: string;
  config: string;
  labels: string;
  tags: string;
  commit_message: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** A prompt version as Langfuse's Prisma model returns it (what POST answers). */
export interface PromptVersion {
  id: string;
  createdAt: string;
  updatedAt: string;
  projectId: string;
  createdBy: string;
  prompt: string | ChatMessage[];
  name: string;
  version: number;
  type: "text" | "chat";
  /** Deprecated in Langfuse and never set by its API: null on the row, derived from `production` on a GET. */
  isActive: boolean | null;
  config: unknown;
  tags: string[];
  labels: string[];
  commitMessage: string | null;
}

/** One row of GET /api/public/v2/prompts (getPromptsMeta). */
export interface PromptMeta {
  name: string;
  /** Distinct versions, ascending. */
  versions: number[];
  /** Distinct labels over those versions, sorted. */
  labels: string[];
  tags: string[];
  lastUpdatedAt: string;
  type: "text" | "chat";
  lastConfig: unknown;
}

function toVersion(row: PromptRow): PromptVersion {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    projectId: LOCAL_PROJECT_ID,
    createdBy: row.created_by,
    prompt: JSON.parse(row.prompt) as string | ChatMessage[],
    name: row.name,
    version: row.version,
    type: row.type as "text" | "chat",
    isActive: null,
    config: JSON.parse(row.config) as unknown,
    tags: JSON.parse(row.tags) as string[],
    labels: JSON.parse(row.labels) as string[],
    commitMessage: row.commit_message,
  };
}

function invalid(message: string): HttpError {
  return new HttpError(400, message, {}, "InvalidRequestError");
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  JSON.stringify([...new Set(a)].sort()) === JSON.stringify([...new Set(b)].sort());

export class PromptStore {
  readonly #byVersion: Database.Statement;
  readonly #byLabel: Database.Statement;
  readonly #latestOf: Database.Statement;
  readonly #versionsOf: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #setLabels: Database.Statement;
  readonly #setTags: Database.Statement;
  readonly #idOf: Database.Statement;

  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#byVersion = db.prepare("SELECT * FROM prompts WHERE name = ? AND version = ?");
    // A label is on at most one version of a name; the newest first should a file ever hold two.
    this.#byLabel = db.prepare(
      "SELECT * FROM prompts WHERE name = ? AND EXISTS (SELECT 1 FROM json_each(labels) WHERE value = ?) ORDER BY version DESC LIMIT 1",
    );
    this.#latestOf = db.prepare("SELECT * FROM prompts WHERE name = ? ORDER BY version DESC LIMIT 1");
    this.#versionsOf = db.prepare("SELECT * FROM prompts WHERE name = ? ORDER BY version DESC");
    this.#insert = db.prepare(
      `INSERT INTO prompts (id, name, version, type, prompt, config, labels, tags, commit_message, created_by, created_at, updated_at)
       VALUES (@id, @name, @version, @type, @prompt, @config, @labels, @tags, @commit_message, @created_by, @created_at, @updated_at)`,
    );
    this.#setLabels = db.prepare("UPDATE prompts SET labels = ?, updated_at = ? WHERE id = ?");
    this.#setTags = db.prepare("UPDATE prompts SET tags = ?, updated_at = ? WHERE name = ?");
    this.#idOf = db.prepare("SELECT id FROM prompts WHERE name = ? AND version = ?").pluck();
  }

  /** A version by number; null when the name has no such version. */
  byNumber(name: string, version: number): PromptVersion | null {
    const row = this.#byVersion.get(name, version) as PromptRow | undefined;
    return row ? toVersion(row) : null;
  }

  /** The version carrying `label`; null when none does. */
  withLabel(name: string, label: string): PromptVersion | null {
    const row = this.#byLabel.get(name, label) as PromptRow | undefined;
    return row ? toVersion(row) : null;
  }

  /** Every version of a name, newest first. */
  versions(name: string): PromptVersion[] {
    return (this.#versionsOf.all(name) as PromptRow[]).map(toVersion);
  }

  /** The id of a prompt version, as Langfuse links a generation to it at ingestion; "" when there is none. */
  idOfVersion(name: string, version: number): string {
    return (this.#idOf.get(name, version) as string | undefined) ?? "";
  }

  /** createPrompt: the next version of `input.name`, labelled as asked and `latest`. */
  create(input: CreatePromptInput): PromptVersion {
    return this.#db.transaction(() => {
      const type = input.type ?? "text";
      const latest = this.#latestOf.get(input.name) as PromptRow | undefined;
      if (latest && latest.type !== type) {
        throw invalid("Previous versions have different prompt type. Create a new prompt with a different name.");
      }
      if (type === "chat" && Array.isArray(input.prompt)) {
        const placeholders = input.prompt.flatMap((m) => ("type" in m ? [m.name] : []));
        const variables = input.prompt.flatMap((m) => ("content" in m ? variablesOf(m.content) : []));
        const conflicting = [...new Set(variables.filter((v) => placeholders.includes(v)))];
        if (conflicting.length > 0) {
          throw invalid(
            `Cannot create prompt, variables and placeholders must be unique, the following are not: ${conflicting.join(", ")}`,
          );
        }
      }
      const now = new Date().toISOString();
      const labels = [...new Set([...input.labels, LATEST_LABEL])];
      const previousTags = latest ? (JSON.parse(latest.tags) as string[]) : [];
      const tags = [...new Set(input.tags ?? previousTags)];
      this.#takeLabels(input.name, labels, now);
      if (!sameSet(tags, previousTags)) this.#setTags.run(JSON.stringify(tags), now, input.name);
      const row: PromptRow = {
        id: randomUUID(),
        name: input.name,
        version: latest ? latest.version + 1 : 1,
        type,
        prompt: JSON.stringify(input.prompt),
        config: JSON.stringify(input.config ?? {}),
        labels: JSON.stringify(labels),
        tags: JSON.stringify(tags),
        commit_message: input.commitMessage ?? null,
        created_by: "API",
        created_at: now,
        updated_at: now,
      };
      this.#insert.run(row);
      return toVersion(row);
    })();
  }

  /**
   * updatePrompt: adds `newLabels` to a version (its own labels stay) and takes them from the
   * name's other versions. Null when the version does not exist.
   */
  addLabels(name: string, version: number, newLabels: string[]): PromptVersion | null {
    return this.#db.transaction(() => {
      const row = this.#byVersion.get(name, version) as PromptRow | undefined;
      if (!row) return null;
      const now = new Date().toISOString();
      const labels = [...new Set([...newLabels, ...(JSON.parse(row.labels) as string[])])];
      this.#takeLabels(name, [...new Set(newLabels)], now);
      this.#setLabels.run(JSON.stringify(labels), now, row.id);
      return toVersion(this.#byVersion.get(name, version) as PromptRow);
    })();
  }

  /**
   * deletePrompt: removes the versions of a name (all, one version, or the one with a label);
   * when `latest` goes with them, the highest remaining version gets it. Returns how many went.
   */
  delete(name: string, selector: { version?: number; label?: string }): number {
    return this.#db.transaction(() => {
      const all = this.#versionsOf.all(name) as PromptRow[];
      const labelsOf = (row: PromptRow) => JSON.parse(row.labels) as string[];
      const doomed = all.filter(
        (row) =>
          (selector.version === undefined || row.version === selector.version) &&
          (selector.label === undefined || labelsOf(row).includes(selector.label)),
      );
      if (doomed.length === 0) return 0;
      const gone = new Set(doomed.map((row) => row.id));
      const remaining = all.filter((row) => !gone.has(row.id));
      const latestGoes = doomed.some((row) => labelsOf(row).includes(LATEST_LABEL));
      const latestStays = remaining.some((row) => labelsOf(row).includes(LATEST_LABEL));
      if (latestGoes && !latestStays && remaining.length > 0) {
        const highest = remaining[0]!; // newest first
        this.#setLabels.run(
          JSON.stringify([...new Set([...labelsOf(highest), LATEST_LABEL])]),
          new Date().toISOString(),
          highest.id,
        );
      }
      const remove = this.#db.prepare("DELETE FROM prompts WHERE id = ?");
      for (const row of doomed) remove.run(row.id);
      return doomed.length;
    })();
  }

  /**
   * getPromptsMeta: the versions matching the filters, grouped by name (names in order, paged),
   * each with its versions, labels and tags, and the type and config of its highest matching
   * version.
   */
  list(query: ListPromptsQuery): { data: PromptMeta[]; totalItems: number } {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      params.push(value);
    };
    // Langfuse tests each with `if (value)`: version 0 filters nothing.
    if (query.name) add("name = ?", query.name);
    if (query.version) add("version = ?", query.version);
    if (query.label) add("EXISTS (SELECT 1 FROM json_each(labels) WHERE value = ?)", query.label);
    if (query.tag) add("EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)", query.tag);
    if (query.fromUpdatedAt) add("updated_at >= ?", new Date(query.fromUpdatedAt).toISOString());
    if (query.toUpdatedAt) add("updated_at < ?", new Date(query.toUpdatedAt).toISOString());
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const totalItems = this.#db
      .prepare(`SELECT COUNT(DISTINCT name) FROM prompts ${clause}`)
      .pluck()
      .get(...params) as number;
    const names = this.#db
      .prepare(`SELECT DISTINCT name FROM prompts ${clause} ORDER BY name LIMIT ? OFFSET ?`)
      .pluck()
      .all(...params, query.limit, (query.page - 1) * query.limit) as string[];
    const rows = this.#db
      .prepare(
        `SELECT * FROM prompts ${clause ? `${clause} AND` : "WHERE"} name IN (SELECT value FROM json_each(?)) ORDER BY name, version DESC`,
      )
      .all(...params, JSON.stringify(names)) as PromptRow[];
    const data = names.map((name): PromptMeta => {
      const versions = rows.filter((row) => row.name === name);
      const newest = versions[0]!;
      return {
        name,
        versions: versions.map((row) => row.version).sort((a, b) => a - b),
        labels: [...new Set(versions.flatMap((row) => JSON.parse(row.labels) as string[]))].sort(),
        tags: JSON.parse(newest.tags) as string[],
        lastUpdatedAt: versions
          .map((row) => row.updated_at)
          .sort()
          .at(-1)!,
        type: newest.type as "text" | "chat",
        lastConfig: JSON.parse(newest.config) as unknown,
      };
    });
    return { data, totalItems };
  }

  /** Names and version counts, for the receiver's stats. */
  counts(): { names: number; versions: number } {
    return this.#db.prepare("SELECT COUNT(DISTINCT name) AS names, COUNT(*) AS versions FROM prompts").get() as {
      names: number;
      versions: number;
    };
  }

  wipe(): void {
    this.#db.exec("DELETE FROM prompts");
  }

  /** removeLabelsFromPreviousPromptVersions: labels are unique per name. */
  #takeLabels(name: string, labels: readonly string[], now: string): void {
    for (const row of this.#versionsOf.all(name) as PromptRow[]) {
      const current = JSON.parse(row.labels) as string[];
      const kept = current.filter((label) => !labels.includes(label));
      if (kept.length !== current.length) this.#setLabels.run(JSON.stringify(kept), now, row.id);
    }
  }
}

/** GET's answer: the version with `isActive` derived from `production`, and no dependency graph (none is resolved). */
export function withActive(prompt: PromptVersion): PromptVersion & { resolutionGraph: null } {
  return { ...prompt, isActive: prompt.labels.includes(PRODUCTION_LABEL), resolutionGraph: null };
}
