// Bundles the trace viewer's browser app (src/viewer/ui) into dist/viewer/: index.html and
// assets/app.{js,css}. Part of `npm run build`; the output is never committed. esbuild only
// strips types: `npm run typecheck` type-checks the app with src/viewer/ui/tsconfig.json.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";

const out = "dist/viewer";
await rm(out, { recursive: true, force: true });
await mkdir(`${out}/assets`, { recursive: true });
await build({
  entryPoints: { app: "src/viewer/ui/main.tsx" },
  outdir: `${out}/assets`,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  tsconfig: "src/viewer/ui/tsconfig.json",
  logLevel: "warning",
});
await copyFile("src/viewer/ui/index.html", `${out}/index.html`);
