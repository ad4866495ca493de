// Codemod: variables, parameters and `#` fields named `o` get a name that says what they hold
// (issue #25, "descriptive names for options"): `options`, `settings`, `observation`, `outcome`...
//
//   node scripts/codemods/descriptive-names.mjs [--dry-run]
//
// Re-runnable: it renames whatever `o` is left (for example after merging a branch that added
// some) and changes nothing once none is. ESLint (`id-denylist`) then keeps new ones out.
//
// The name comes from the declared or inferred type (the rules in NAMES below, then the type's
// own name: `o: ResolvedOptions` -> `resolvedOptions`). Renames go through the language service's
// findRenameLocations, so every reference follows (a shorthand `{ o }` becomes `{ o: options }`).
// A name already visible where `o` is declared or used (it would shadow or be shadowed) is not
// taken: the next candidate is tried. An `o` no rule names, or with no free candidate, is left
// and listed, to be named by hand.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PROJECTS = ["tsconfig.json", "src/viewer/ui/tsconfig.json"];
const OLD = "o";
const dryRun = process.argv.includes("--dry-run");

/** Type text -> candidate names, first match wins. `any` rows in this code are observations. */
const NAMES = [
  [/Settings$/, ["settings"]],
  [/Options$/, ["options"]],
  [/Outcome$/, ["outcome"]],
  [/Generation$/, ["generation"]],
  [/Observation|^any$|^\{ (id|name): string;/, ["observation", "row"]],
  [/^RunResult$/, ["run"]],
];
const lowerCamel = (typeName) => typeName[0].toLowerCase() + typeName.slice(1);

function candidatesFor(typeText, initializer) {
  const names = [];
  // `const o = result.options`: what it was read from names it.
  let source = initializer;
  while (source && (ts.isNonNullExpression(source) || ts.isParenthesizedExpression(source))) source = source.expression;
  if (source && ts.isPropertyAccessExpression(source) && ts.isIdentifier(source.name)) names.push(source.name.text);
  for (const [pattern, list] of NAMES) if (pattern.test(typeText)) names.push(...list);
  if (/^[A-Z][A-Za-z0-9]*$/.test(typeText)) names.push(lowerCamel(typeText));
  return [...new Set(names)].filter((n) => n !== OLD);
}

const isOurs = (file) => !file.isDeclarationFile && !/[\\/](node_modules|dist)[\\/]/.test(file.fileName);
const where = (file, pos) => `${relative(ROOT, file.fileName)}:${file.getLineAndCharacterOfPosition(pos).line + 1}`;

const edits = new Map(); // fileName -> { text, list: [{ start, end, text }] }
const renamed = {};
const left = [];
const walked = new Set();

for (const tsconfig of PROJECTS) {
  const path = join(ROOT, tsconfig);
  const config = ts.readConfigFile(path, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(path));
  const host = {
    getCompilationSettings: () => ({ ...parsed.options, noEmit: true }),
    getScriptFileNames: () => parsed.fileNames,
    getScriptVersion: () => "1",
    getScriptSnapshot: (name) =>
      ts.sys.fileExists(name) ? ts.ScriptSnapshot.fromString(ts.sys.readFile(name)) : undefined,
    getCurrentDirectory: () => dirname(path),
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const service = ts.createLanguageService(host, ts.createDocumentRegistry());
  const program = service.getProgram();
  const checker = program.getTypeChecker();
  const files = program.getSourceFiles().filter((file) => isOurs(file) && !walked.has(file.fileName));
  for (const file of files) walked.add(file.fileName);

  for (const file of files) {
    const declarations = [];
    const visit = (node) => {
      const named = ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node);
      if (named && ts.isIdentifier(node.name) && node.name.text === OLD) declarations.push(node);
      if (ts.isPropertyDeclaration(node) && ts.isPrivateIdentifier(node.name) && node.name.text === `#${OLD}`)
        declarations.push(node);
      ts.forEachChild(node, visit);
    };
    visit(file);

    for (const decl of declarations) {
      const isField = ts.isPropertyDeclaration(decl);
      const typeText = decl.type
        ? decl.type.getText(file)
        : checker.typeToString(checker.getTypeAtLocation(decl.name), undefined, ts.TypeFormatFlags.NoTruncation);
      const locations = service.findRenameLocations(file.fileName, decl.name.getStart(file), false, false, {
        providePrefixAndSuffixTextForRename: true,
      });
      const free = (name) => {
        if (isField) return !decl.parent.members.some((m) => m.name && m.name.getText(file) === `#${name}`);
        // Nothing of that name may be visible where `o` is declared or used.
        const sites = [decl.name, ...(locations ?? []).map((l) => nodeAt(program, l))];
        return sites.every((site) => site && !checker.resolveName(name, site, ts.SymbolFlags.Value, false));
      };
      const name = candidatesFor(typeText, decl.initializer).find(free);
      if (!name || !locations) {
        left.push(`${where(file, decl.name.getStart(file))}  ${isField ? "#" : ""}${OLD}: ${typeText.slice(0, 60)}`);
        continue;
      }
      for (const l of locations) {
        const target = program.getSourceFile(l.fileName);
        if (!edits.has(l.fileName)) edits.set(l.fileName, { text: target.text, list: [] });
        const newText = `${l.prefixText ?? ""}${isField ? "#" : ""}${name}${l.suffixText ?? ""}`;
        edits
          .get(l.fileName)
          .list.push({ start: l.textSpan.start, end: l.textSpan.start + l.textSpan.length, text: newText });
      }
      renamed[name] = (renamed[name] ?? 0) + 1;
    }
  }
}

/** The identifier a rename location covers. */
function nodeAt(program, location) {
  const file = program.getSourceFile(location.fileName);
  let found;
  const visit = (node) => {
    if (node.getStart(file) <= location.textSpan.start && location.textSpan.start < node.getEnd()) {
      if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) found = node;
      ts.forEachChild(node, visit);
    }
  };
  visit(file);
  return found;
}

const changed = [];
for (const [fileName, { text: original, list }] of edits) {
  let text = readFileSync(fileName, "utf8");
  if (text !== original) throw new Error(`${fileName} changed while the codemod ran`);
  const seen = new Set();
  const ordered = list.filter((e) => !seen.has(e.start) && seen.add(e.start)).sort((a, b) => b.start - a.start);
  for (const e of ordered) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  if (!dryRun) writeFileSync(fileName, text);
  changed.push(relative(ROOT, fileName));
}

const total = Object.values(renamed).reduce((a, b) => a + b, 0);
console.log(
  `${dryRun ? "would rename" : "renamed"} ${total} \`${OLD}\` in ${changed.length} files: ` +
    Object.entries(renamed)
      .map(([name, n]) => `${n} -> ${name}`)
      .join(", "),
);
if (left.length) console.log(`\nleft, to name by hand (${left.length}):\n  ${left.join("\n  ")}`);
if (!dryRun && changed.length)
  execFileSync(join(ROOT, "node_modules/.bin/prettier"), ["--write", "--log-level=warn", ...changed], {
    cwd: ROOT,
    stdio: "inherit",
  });
