// Codemod: TypeScript `private` members -> ECMAScript `#` private members (issue #25, "one
// private-field style"). `#` is enforced at run time, which TS `private` is not: the tracing
// package is meant for other services, whose code could otherwise reach into its internals.
//
//   node scripts/codemods/private-fields.mjs [--dry-run]
//   npm run format    (the edits are textual; prettier tidies the lines they touch)
//
// Re-runnable: it converts whatever `private` is left (for example after merging a branch that
// added some) and changes nothing on code already converted.
//
// What it converts, in every file of the TypeScript projects (tsconfig.json and the viewer's
// src/viewer/ui/tsconfig.json: src, bench, test, scripts, docs/examples; never node_modules, dist):
// - `private` fields, methods and accessors (static or not): `private x` -> `#x`;
// - constructor parameter properties, `constructor(private readonly x: T)`: the parameter loses
//   its modifiers, a field `readonly #x: T;` is declared before the constructor (with the
//   parameter's doc comment), and `this.#x = x;` is assigned first in the body (after `super()`),
//   where TypeScript assigned it; one never read as a property becomes a plain parameter.
// Every reference is found through the type checker (the member's symbol, as the language
// service's rename does), so a local or another class's member of the same name is never touched.
//
// What it leaves as `private` and lists (exit code 0; the list says why):
// - a member referenced where `#` cannot follow: outside its class body (a test reaching in
//   through `@ts-expect-error`), by a string (`this["x"]`), in destructuring (`const { x } = this`),
//   under `delete`;
// - a member with a decorator, a `declare` or `abstract` member, a name that is not an identifier,
//   a class that already has `#x` for the same name;
// - `private constructor`: ECMAScript has no private constructors (a static factory keeps it).
// It also lists, without changing them, accesses through a cast (`(x as any).name`) to a name it
// converts (the checker cannot see them; after the change they would read `undefined`), and
// `Object.create(instance)` copies of a class it converts (a test spy; the copy has no # fields).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PROJECTS = ["tsconfig.json", "src/viewer/ui/tsconfig.json"];
const dryRun = process.argv.includes("--dry-run");

/** Builds one TypeScript program from a tsconfig (paths relative to the repository). */
function programOf(tsconfig) {
  const path = join(ROOT, tsconfig);
  const config = ts.readConfigFile(path, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(path));
  return ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
}

const isOurs = (file) => !file.isDeclarationFile && !/[\\/](node_modules|dist)[\\/]/.test(file.fileName);
const where = (node) => {
  const file = node.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `${relative(ROOT, file.fileName)}:${line + 1}`;
};
const hasModifier = (node, kind) =>
  (ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined)?.some((m) => m.kind === kind) ?? false;
const modifierOf = (node, kind) => ts.getModifiers(node)?.find((m) => m.kind === kind);
const indentAt = (text, pos) => {
  const lineStart = text.lastIndexOf("\n", pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))[0];
};

/** Edits per file, applied at the end: { start, end, text }. */
const edits = new Map();
const edit = (file, start, end, text) => {
  if (!edits.has(file.fileName)) edits.set(file.fileName, { file, list: [] });
  edits.get(file.fileName).list.push({ start, end, text });
};

const counts = {
  fields: 0,
  methods: 0,
  accessors: 0,
  parameterProperties: 0,
  unusedParameterProperties: 0,
  references: 0,
};
const kept = []; // { at, name, why }
const castAccesses = []; // { at, name }
const copies = []; // where Object.create copies an instance of a class it converts
const walked = new Set(); // a file both projects hold (viewer-links.ts) is converted once

for (const tsconfig of PROJECTS) {
  const program = programOf(tsconfig);
  const checker = program.getTypeChecker();
  const files = program.getSourceFiles().filter((file) => isOurs(file) && !walked.has(file.fileName));
  for (const file of files) walked.add(file.fileName);

  /**
   * The candidates: declaration node -> { name, cls, kind, decl }. For a parameter property the
   * key is the parameter; only references to its property symbol (not the parameter) count.
   */
  const candidates = new Map();
  for (const file of files) {
    const visit = (node) => {
      if (ts.isClassLike(node)) collectClass(node);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  function collectClass(cls) {
    const hashNames = new Set(
      cls.members.filter((m) => m.name && ts.isPrivateIdentifier(m.name)).map((m) => m.name.text.slice(1)),
    );
    const keep = (node, name, why) =>
      kept.push({ at: where(node), name: `${cls.name?.text ?? "(class)"}.${name}`, why });
    const consider = (decl, kind) => {
      const name = decl.name;
      if (!name || !ts.isIdentifier(name)) return keep(decl, name?.getText() ?? "?", "its name is not an identifier");
      if (ts.getDecorators?.(decl)?.length) return keep(decl, name.text, "it has a decorator");
      if (hasModifier(decl, ts.SyntaxKind.DeclareKeyword))
        return keep(decl, name.text, "`declare` cannot apply to `#`");
      if (hasModifier(decl, ts.SyntaxKind.AbstractKeyword))
        return keep(decl, name.text, "`abstract` cannot apply to `#`");
      if (hashNames.has(name.text)) return keep(decl, name.text, `the class already has #${name.text}`);
      candidates.set(decl, { name: name.text, cls, kind, decl, unsafe: [] });
    };
    for (const member of cls.members) {
      if (ts.isConstructorDeclaration(member)) {
        if (hasModifier(member, ts.SyntaxKind.PrivateKeyword))
          kept.push({
            at: where(member),
            name: `${cls.name?.text ?? "(class)"}.constructor`,
            why: "ECMAScript has no private constructors",
          });
        if (!member.body) continue; // an overload signature: the implementation holds the properties
        for (const param of member.parameters)
          if (hasModifier(param, ts.SyntaxKind.PrivateKeyword)) consider(param, "parameterProperty");
        continue;
      }
      if (!hasModifier(member, ts.SyntaxKind.PrivateKeyword)) continue;
      if (ts.isPropertyDeclaration(member)) consider(member, "field");
      else if (ts.isMethodDeclaration(member)) consider(member, "method");
      else if (ts.isGetAccessorDeclaration(member) || ts.isSetAccessorDeclaration(member)) consider(member, "accessor");
    }
  }
  if (candidates.size === 0) continue;

  const classesWithCandidates = new Set([...candidates.values()].map((c) => c.cls));
  const byName = new Map();
  for (const c of candidates.values()) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);

  /** The candidate a symbol is the member of, if any (a parameter's own symbol is not). */
  const candidateOf = (symbol) => {
    if (!symbol?.declarations) return undefined;
    if (!(symbol.flags & (ts.SymbolFlags.Property | ts.SymbolFlags.Method | ts.SymbolFlags.Accessor))) return undefined;
    for (const d of symbol.declarations) if (candidates.has(d)) return candidates.get(d);
    return undefined;
  };
  const within = (node, ancestor) => {
    for (let n = node; n; n = n.parent) if (n === ancestor) return true;
    return false;
  };

  // Every reference to a candidate, in every file of the project.
  const references = new Map(); // candidate -> identifiers to rewrite
  for (const file of files) {
    const visit = (node) => {
      if ((ts.isIdentifier(node) || ts.isStringLiteralLike(node)) && byName.has(node.text)) {
        const c = candidateOf(checker.getSymbolAtLocation(node));
        if (c && node !== c.decl.name) {
          const access = node.parent;
          if (!ts.isIdentifier(node)) c.unsafe.push(`referenced by a string at ${where(node)}`);
          else if (!ts.isPropertyAccessExpression(access) || access.name !== node)
            c.unsafe.push(`referenced by name (destructuring or a type) at ${where(node)}`);
          else if (!within(node, c.cls)) c.unsafe.push(`used outside its class at ${where(node)}`);
          else if (ts.isDeleteExpression(ts.walkUpParenthesizedExpressions(access.parent)))
            c.unsafe.push(`deleted at ${where(node)}`);
          else references.set(c, [...(references.get(c) ?? []), node]);
        }
      }
      // `Object.create(instance)`: the copy has none of the instance's # fields; listed too.
      if (
        ts.isCallExpression(node) &&
        node.expression.getText() === "Object.create" &&
        node.arguments.length > 0 &&
        classesWithCandidates.has(checker.getTypeAtLocation(node.arguments[0]).getSymbol()?.valueDeclaration)
      )
        copies.push(where(node));
      // `(x as any).name`: invisible to the checker; listed for a look by hand.
      if (ts.isPropertyAccessExpression(node) && byName.has(node.name.text)) {
        const target = ts.skipPartiallyEmittedExpressions(ts.skipParentheses(node.expression));
        const toAny =
          (ts.isAsExpression(target) || ts.isTypeAssertionExpression(target)) &&
          target.type.kind === ts.SyntaxKind.AnyKeyword;
        if (toAny && !candidateOf(checker.getSymbolAtLocation(node.name)))
          castAccesses.push({ at: where(node), name: node.name.text });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  const constructorsGivenFields = new Set();
  for (const c of candidates.values()) {
    const file = c.decl.getSourceFile();
    const className = c.cls.name?.text ?? "(class)";
    if (c.unsafe.length) {
      kept.push({ at: where(c.decl), name: `${className}.${c.name}`, why: c.unsafe.join("; ") });
      continue;
    }
    const text = file.text;
    for (const ref of references.get(c) ?? []) {
      edit(ref.getSourceFile(), ref.getStart(), ref.getEnd(), `#${c.name}`);
      counts.references++;
    }
    if (c.kind === "parameterProperty") {
      const param = c.decl;
      const ctor = param.parent;
      if (!references.has(c)) {
        // Never read as a property (only as the parameter): it becomes a plain parameter.
        edit(file, param.getStart(file), param.name.getStart(file), "");
        counts.unusedParameterProperties++;
        continue;
      }
      const readonly = hasModifier(param, ts.SyntaxKind.ReadonlyKeyword);
      // The parameter keeps its name, type and default; its modifiers (and doc comment) go.
      const modifiers = ts.getModifiers(param);
      const docStart = param.getStart(file, true);
      edit(file, docStart, param.name.getStart(file), "");
      let type = param.type ? param.type.getText(file) : undefined;
      if (!type) {
        const inferred = checker.typeToString(checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(param.name)));
        if (!/import\(|\.\.\.|\bany\b/.test(inferred)) type = inferred; // else TypeScript infers it from the assignment
      }
      if (type && param.questionToken) {
        const wrap =
          param.type &&
          (ts.isFunctionTypeNode(param.type) ||
            ts.isConstructorTypeNode(param.type) ||
            ts.isConditionalTypeNode(param.type));
        type = `${wrap ? `(${type})` : type} | undefined`;
      }
      const doc = text.slice(docStart, modifiers[0].getStart(file)).trim();
      const ctorStart = ctor.getStart(file, true);
      const indent = indentAt(text, ctorStart);
      const field = `${doc ? `${doc}\n${indent}` : ""}${readonly ? "readonly " : ""}#${c.name}${type ? `: ${type}` : ""};\n${indent}`;
      edit(file, ctorStart, ctorStart, field);
      constructorsGivenFields.add(ctor);
      // Assigned where TypeScript assigned it: first, or right after a top-level super(...).
      const statements = ctor.body.statements;
      const superCall = statements.find(
        (s) =>
          ts.isExpressionStatement(s) &&
          ts.isCallExpression(s.expression) &&
          s.expression.expression.kind === ts.SyntaxKind.SuperKeyword,
      );
      const at = superCall ? superCall.getEnd() : ctor.body.getStart(file) + 1;
      edit(file, at, at, `\n${indent}  this.#${c.name} = ${c.name};`);
      counts.parameterProperties++;
    } else {
      const privateKeyword = modifierOf(c.decl, ts.SyntaxKind.PrivateKeyword);
      let end = privateKeyword.getEnd();
      while (/\s/.test(text[end])) end++;
      edit(file, privateKeyword.getStart(file), end, "");
      edit(file, c.decl.name.getStart(file), c.decl.name.getEnd(), `#${c.name}`);
      counts[c.kind === "field" ? "fields" : c.kind === "method" ? "methods" : "accessors"]++;
    }
  }
  // A blank line between the fields declared for the parameters and the constructor.
  for (const ctor of constructorsGivenFields) {
    const file = ctor.getSourceFile();
    const at = ctor.getStart(file, true);
    edit(file, at, at, `\n${indentAt(file.text, at)}`);
  }
}

// Apply, from the end of each file so positions stay valid; several edits at one position keep
// their order (parameter properties declared in the order of the parameters).
const changed = [];
for (const { file, list } of edits.values()) {
  const ordered = list.map((e, i) => ({ ...e, i })).sort((a, b) => b.start - a.start || b.i - a.i);
  let text = readFileSync(file.fileName, "utf8");
  if (text !== file.text) throw new Error(`${file.fileName} changed while the codemod ran`);
  for (const e of ordered) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  if (!dryRun) writeFileSync(file.fileName, text);
  changed.push(relative(ROOT, file.fileName));
}

console.log(
  `${dryRun ? "would convert" : "converted"}: ${counts.fields} fields, ${counts.methods} methods, ${counts.accessors} accessors, ` +
    `${counts.parameterProperties} parameter properties (and ${counts.unusedParameterProperties} never read, now plain parameters); ${counts.references} references rewritten; ${changed.length} files`,
);
if (kept.length) {
  console.log(`\nleft \`private\` (${kept.length}):`);
  for (const k of kept) console.log(`  ${k.at}  ${k.name}: ${k.why}`);
}
if (castAccesses.length) {
  console.log(`\naccesses through a cast to a converted name (look at each by hand):`);
  for (const a of castAccesses) console.log(`  ${a.at}  .${a.name}`);
}
if (copies.length) {
  console.log(`\nObject.create copies of instances whose class gets # members (they would throw on them):`);
  for (const at of copies) console.log(`  ${at}`);
}
if (!dryRun && changed.length)
  execFileSync(join(ROOT, "node_modules/.bin/prettier"), ["--write", "--log-level=warn", ...changed], {
    cwd: ROOT,
    stdio: "inherit",
  });
