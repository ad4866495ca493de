// The pages (README.md, docs/*.md) name only things that exist: every file or folder they link
// to or name in code, every npm script they tell you to run, and every environment variable of
// ours they mention. A renamed file, a removed script or a variable that was dropped from the
// configuration fails here, naming the page and what it names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serviceOptions } from "../src/config.js";
import type { OptionsSpec } from "../src/config-schema.js";
import { receiverEnvSchema } from "../src/receiver/receiver-config.js";
import { PROGRAM_VARIABLES } from "../scripts/test-programs.mjs";
import { PROPERTY_TEST_VARIABLES } from "./support/property-runs.js";

// From dist/test/ or test/ (under tsx) to the repository.
const here = dirname(fileURLToPath(import.meta.url));
const ROOT = existsSync(join(here, "..", "package.json")) ? resolve(here, "..") : resolve(here, "..", "..");

const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** Source files that read environment variables, and the names they read. */
function variablesReadBySources(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === "results") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mjs|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
        for (const m of readFileSync(path, "utf8").matchAll(
          /\benv(?:\[["']([A-Z][A-Z0-9_]*)["']\]|\.([A-Z][A-Z0-9_]*))/g,
        ))
          names.add(m[1] ?? m[2]!);
    }
  };
  for (const dir of ["src", "test", "bench", "scripts", "docs/examples"]) walk(join(ROOT, dir));
  return names;
}

/** Every environment variable that exists: the service's and the receiver's schemas, what the code reads, the Collector's. */
function knownVariables(): Set<string> {
  const known = new Set<string>([
    ...Object.keys(serviceOptions),
    // Deprecated former names are still read.
    ...Object.values(serviceOptions).flatMap((opt: OptionsSpec[string]) => opt.formerNames ?? []),
    ...Object.keys(receiverEnvSchema.shape),
    ...Object.values(PROGRAM_VARIABLES),
    ...PROPERTY_TEST_VARIABLES,
    ...variablesReadBySources(),
  ]);
  for (const file of readdirSync(join(ROOT, "deploy")))
    for (const m of readFileSync(join(ROOT, "deploy", file), "utf8").matchAll(/\$\{env:([A-Z][A-Z0-9_]*)\}/g))
      known.add(m[1]!);
  return known;
}

interface Parts {
  /** Inline code spans, outside fenced blocks. */
  inline: string[];
  /** Fenced code blocks. */
  fenced: string[];
  /** Link and image targets. */
  links: string[];
  /** Everything but fenced blocks. */
  prose: string;
}

function partsOf(text: string): Parts {
  const fenced: string[] = [];
  const prose = text.replace(/^```[^\n]*\n([^]*?)^```/gm, (_, body: string) => (fenced.push(body), ""));
  const inline = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  const links = [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  return { inline, fenced, links, prose };
}

/** What a page (its text, and the folder it sits in) names, found wrong. */
function problemsIn(page: string, text: string, pageDir: string, known: Set<string>, scripts: Set<string>): string[] {
  const { inline, fenced, links, prose } = partsOf(text);
  const problems: string[] = [];

  // Files and folders: relative link targets, and repository paths named in code.
  for (const link of links) {
    if (/^[a-z]+:|^#|^mailto:/i.test(link)) continue;
    const target = decodeURIComponent(link.split("#")[0]!);
    if (target && !existsSync(resolve(pageDir, target))) problems.push(`links to ${link}, which does not exist`);
  }
  const topLevel = new Set(readdirSync(ROOT).filter((f) => !["node_modules", "dist", "data"].includes(f)));
  const pathsIn = (code: string) =>
    code
      .split(/[\s=(),;'"]+/)
      .map((w) => w.replace(/[.:,]+$/, ""))
      .filter((w) => /^[\w.@-]+(\/[\w.@-]*)+$/.test(w) && !w.includes("//"));
  for (const raw of [...inline, ...fenced].flatMap(pathsIn)) {
    // Relative to code (an import, `../`) or to the working directory's data folder: not the repository's.
    if (raw.startsWith("../")) continue;
    const word = raw.replace(/^\.\//, "");
    const first = word.split("/")[0]!;
    if (first === "data" || first === "node_modules") continue;
    if (first === "dist") {
      // Build output: named by what it is built from.
      const source = word.replace(/^dist\//, "").replace(/\.js$/, "");
      const built = ["", ".ts", ".mjs", ".tsx"].some((ext) => existsSync(join(ROOT, source + ext)));
      if (!built && !word.startsWith("dist/viewer"))
        problems.push(`names ${word}, built from nothing in the repository`);
    } else if (topLevel.has(first) && !existsSync(join(ROOT, word)) && !existsSync(join(pageDir, word)))
      problems.push(`names ${word}, which does not exist`);
    else if (!topLevel.has(first) && existsSync(join(pageDir, first)) && !existsSync(join(pageDir, word)))
      problems.push(`names ${word} (beside the page), which does not exist`);
  }

  // npm scripts.
  for (const code of [...inline, ...fenced])
    for (const m of code.matchAll(/\bnpm (?:run(?:-script)? ([\w:.-]+)|(start|test|stop|restart)\b)/g)) {
      const name = m[1] ?? m[2]!;
      if (!scripts.has(name))
        problems.push(`runs \`npm ${m[1] ? "run " : ""}${name}\`, which package.json does not define`);
    }

  // Environment variables of ours: a name in one of our variables' families (LANGFUSE_, LLM_,
  // RECEIVER_, SWITCHBOARD_, ...) must be a variable; NAME_* must be the prefix of one.
  const families = new Set([...known].map((v) => v.split("_")[0]!).filter((f) => f.length > 1));
  for (const source of [prose, ...fenced])
    // A trailing underscore is part of a name (glibc's MALLOC_MMAP_THRESHOLD_), not of NAME_*.
    for (const m of source.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:_(?!\*))?)(_\*|\*)?/g)) {
      const [name, wildcard] = [m[1]!, m[2]];
      if (!families.has(name.split("_")[0]!)) continue;
      const exists = wildcard
        ? [...known].some((v) => v.startsWith(wildcard === "_*" ? `${name}_` : name))
        : known.has(name);
      if (!exists) problems.push(`names the environment variable ${name}${wildcard ?? ""}, which nothing reads`);
    }
  return [...new Set(problems)].map((p) => `${page} ${p}`);
}

test("README.md and docs/*.md name only files, npm scripts and environment variables that exist", () => {
  const known = knownVariables();
  const scripts = new Set(Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as object));
  const problems = PAGES.flatMap((page) =>
    problemsIn(page, readFileSync(join(ROOT, page), "utf8"), dirname(join(ROOT, page)), known, scripts),
  );
  assert.deepEqual(problems, [], problems.join("\n"));
});

test("the check finds what it looks for: a page naming a missing file, script and variable fails", () => {
  const known = knownVariables();
  const scripts = new Set(["start", "test"]);
  const families = [...known].map((v) => v.split("_")[0]);
  assert.ok(families.includes("LANGFUSE") && families.includes("RECEIVER") && families.includes("SWITCHBOARD"));
  assert.ok(known.has("LANGFUSE_PUBLIC_KEY") && known.has("RECEIVER_PORT") && known.has("SWITCHBOARD_URL"));
  assert.ok(known.has("SWITCHBOARD_TEST_CHROMIUM") && known.has("FUZZ_RUNS") && known.has("LANGFUSE_AUTH"));
  // The variables this issue removed are gone, and a page naming them would fail.
  assert.ok(!known.has("LANGFUSE_EXPORT_THREAD") && !known.has("LANGFUSE_EXPORT_FORMAT"));
  const text = [
    "See [the guide](missing-guide.md), [the API](api.md) and `src/no/such-file.ts`, not `src/config.ts`.",
    "```sh",
    "npm run no-such-script && LANGFUSE_EXPORT_FORMAT=json npm start",
    "```",
    "Set LANGFUSE_LOCAL_RECEIVER_* or `RECEIVER_*`, not NOPE_* (not ours), and `TRACING_DEFAULTS` is a constant.",
  ].join("\n");
  assert.deepEqual(problemsIn("probe.md", text, join(ROOT, "docs"), known, scripts), [
    "probe.md links to missing-guide.md, which does not exist",
    "probe.md names src/no/such-file.ts, which does not exist",
    "probe.md runs `npm run no-such-script`, which package.json does not define",
    "probe.md names the environment variable LANGFUSE_EXPORT_FORMAT, which nothing reads",
  ]);
});
