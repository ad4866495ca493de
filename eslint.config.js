import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

// The layout's dependency rules (docs/architecture.md, "Layout"), as import restrictions.
const restrict = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });
/** src/tracing is a closed package: from outside, only its public face, index.ts. */
const TRACING_FACE = {
  regex: "(^|/)tracing/(?!index\\.js$)",
  message: "Import the tracing package through src/tracing/index.js, its public face.",
};
/** An import that leaves a package's folder (depth: how many folders below it the file sits). */
const leaving = (depth, message) => ({ regex: `^(\\.\\./){${depth + 1}}`, message });
const TRACING_ALONE =
  "src/tracing imports nothing else of the project (only npm packages), so it can be used on its own.";
const RECEIVER_ALONE =
  "src/receiver (with the viewer's server side) imports nothing of the service: it runs on its own (npm run receiver).";

/**
 * The product's layers (docs/architecture.md, "Layout"): each folder imports only the folders
 * below it, the leaves and the tracing package's face; none imports the modules at src/'s top
 * (start-up, configuration, the service's assembly): those assemble the layers and pass what
 * they need in. `also`: single files let through by name (each with its reason in the doc).
 * Tests beside the code are not held to it: they may assemble the layers above the code they test.
 */
const LEAVES = ["sessions", "agents", "auth"];
const LAYERS = [
  { folder: "server", below: ["chat", "graph", "prompts", "llm"] },
  { folder: "chat", below: ["graph", "prompts", "llm"] },
  { folder: "graph", below: ["prompts", "llm"] },
  // The service's Langfuse endpoint, as tracing-setup.ts resolved it (a type only).
  { folder: "prompts", below: ["llm"], also: ["tracing-setup.js"] },
  { folder: "llm", below: [] },
  ...LEAVES.map((folder) => ({ folder, below: [], leaf: true })),
];
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The import rules of one layer, for its files `depth` folders below it. */
function layerRules({ folder, below, also = [], leaf = false }, depth) {
  const allowed = [
    ...[...below, ...(leaf ? [] : LEAVES), "tracing"].map((f) => `${f}/`),
    ...also.map((f) => `${escape(f)}$`),
  ];
  const message = leaf
    ? `src/${folder} is a leaf of the product: it imports none of its folders (only npm packages and src/tracing/index.js).`
    : `src/${folder} imports downward only: ${[...below, ...LEAVES].map((f) => `src/${f}`).join(", ")}, src/tracing/index.js${also.length ? `, ${also.map((f) => `src/${f}`).join(", ")}` : ""} (docs/architecture.md, "Layout").`;
  return restrict(TRACING_FACE, { regex: `^(\\.\\./){${depth + 1}}(?!${allowed.join("|")})`, message });
}
const layerBlocks = LAYERS.flatMap((layer) =>
  [0, 1, 2].map((depth) => ({
    files: [`src/${layer.folder}/${"*/".repeat(depth)}*.ts`],
    ignores: ["**/*.test.ts"],
    rules: layerRules(layer, depth),
  })),
);

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "data/**", "bench/results/**", "src/viewer/public/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  // The trace viewer's browser app.
  { files: ["src/viewer/ui/**/*.{ts,tsx}"], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ["src/**/*.ts", "bench/**/*.ts", "test/**/*.ts", "scripts/**/*.ts", "docs/examples/**/*.ts"],
    ignores: [
      "src/tracing/**",
      // Profiles the package's internal stages one by one.
      "bench/tracing-cost/breakdown.ts",
      // Encodes a turn with the package's encoder to measure what Langfuse stores per row.
      "bench/tracing-cost/scope-metadata-bytes.ts",
      // Fakes for the package's own tests beside its code.
      "test/support/export-fakes.ts",
    ],
    rules: restrict(TRACING_FACE),
  },
  { files: ["src/tracing/*.ts"], ignores: ["**/*.test.ts"], rules: restrict(leaving(0, TRACING_ALONE)) },
  { files: ["src/tracing/*/*.ts"], ignores: ["**/*.test.ts"], rules: restrict(leaving(1, TRACING_ALONE)) },
  // After the block above: a file's no-restricted-imports is the last block's, so each layer repeats TRACING_FACE.
  ...layerBlocks,
  { files: ["src/receiver/*.ts"], ignores: ["**/*.test.ts"], rules: restrict(leaving(0, RECEIVER_ALONE)) },
  { files: ["src/receiver/*/*.ts"], ignores: ["**/*.test.ts"], rules: restrict(leaving(1, RECEIVER_ALONE)) },
  // The browser app reaches the server only over HTTP; it shares the receiver's URL paths.
  {
    files: ["src/viewer/ui/**/*.{ts,tsx}"],
    rules: restrict({
      regex: "^\\.\\./\\.\\./(?!receiver/viewer/viewer-links\\.js$)",
      message: "The viewer's browser app imports only src/receiver/viewer/viewer-links.js of the project.",
    }),
  },
  // Errors the API answers are raised by code, from the one catalog (src/chat/error-catalog.ts).
  {
    files: ["src/**/*.ts"],
    ignores: ["src/chat/chat-errors.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "NewExpression[callee.name='ApiError']",
          message:
            "Raise API errors with apiError(code, ...) (src/chat/chat-errors.ts): status and message come from src/chat/error-catalog.ts.",
        },
      ],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
  // Style (issue #25), kept by scripts/codemods/private-fields.mjs and descriptive-names.mjs: one
  // private-member style, ECMAScript `#` (enforced at run time, which TS `private` is not), and
  // names that say what a thing is (no `o` for an options object or an observation). A rule of
  // its own rather than no-restricted-syntax, whose options a later block would replace.
  {
    files: ["**/*.{ts,tsx,mts,js,mjs}"],
    plugins: {
      style: {
        rules: {
          "no-ts-private": {
            meta: { type: "suggestion", schema: [] },
            create: (context) => ({
              ":matches(PropertyDefinition, MethodDefinition[kind!='constructor'], TSParameterProperty, TSAbstractPropertyDefinition, TSAbstractMethodDefinition)[accessibility='private']":
                (node) =>
                  context.report({
                    node,
                    message:
                      "Use an ECMAScript private member (#name), not TypeScript's `private` (scripts/codemods/private-fields.mjs converts).",
                  }),
            }),
          },
        },
      },
    },
    rules: { "style/no-ts-private": "error", "id-denylist": ["error", "o"] },
  },
);
