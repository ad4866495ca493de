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
);
