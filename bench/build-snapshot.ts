// The suite runs against one build: the compiled service and receiver (dist/src) are copied once
// at the start into bench/.build/<id>/, so a rebuild of dist/ while the suite runs (`npm test`
// starts with `rm -rf dist`) can neither break nor change later runs. The copy stays inside the
// repository so that Node still resolves node_modules and package.json ("type": "module").
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface BuildSnapshot {
  /** Folder to use as the "root" of dist/src/main.js and dist/src/receiver/main.js. */
  root: string;
  remove(): void;
}

export function snapshotBuild(repoRoot: string): BuildSnapshot {
  const source = join(repoRoot, "dist", "src");
  if (!existsSync(join(source, "main.js")))
    throw new Error(`${join(source, "main.js")} does not exist: run npm run build`);
  const root = join(repoRoot, "bench", ".build", `${Date.now()}-${process.pid}`);
  mkdirSync(join(root, "dist"), { recursive: true });
  cpSync(source, join(root, "dist", "src"), {
    recursive: true,
    filter: (src) => !src.endsWith(".map") && !src.endsWith(".test.js"),
  });
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(root, { recursive: true, force: true });
  };
  process.once("exit", remove);
  return { root, remove };
}
