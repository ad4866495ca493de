// `npm run start:env` starts the service with the variables of .env (Node's --env-file): the
// file only fills the environment, which src/config.ts parses as always (a bad value in the
// file is refused naming the variable), and a variable set in the shell wins over the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postJson } from "./support/start-service.js";

/** Runs `node --env-file=<file> dist/src/main.js` as npm run start:env does; resolves once ready, or with its exit. */
async function startWithEnvFile(file: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [`--env-file=${file}`, "dist/src/main.js"], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const ready = new Promise<string | null>((resolve) => {
    child.stdout.on("data", () => {
      const m = /switchboard ready on (http:\/\/[0-9.]+:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", () => resolve(null));
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const url = await ready;
  clearTimeout(timer);
  return {
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    },
  };
}

test("npm run start:env reads .env through node --env-file", () => {
  const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>;
  assert.match(scripts["start:env"]!, /node --env-file=\.env dist\/src\/main\.js$/);
});

test(
  "the service takes its settings from the env file, the shell's win, and a bad value is refused naming it",
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "env-file-"));
    const file = join(dir, ".env");
    try {
      writeFileSync(
        file,
        ["# a comment", "PORT=0", "SESSION_STORE=memory", "LANGFUSE_ENABLED=false", "MAX_MESSAGE_CHARS=5", ""].join(
          "\n",
        ),
      );
      const fromFile = await startWithEnvFile(file, {});
      try {
        assert.ok(fromFile.url, fromFile.output());
        const long = await postJson(`${fromFile.url}/api/v1/chat`, { message: "hello there", user_id: "env" });
        assert.equal(long.status, 400, "MAX_MESSAGE_CHARS=5 from the file");
        assert.match(JSON.stringify(long.body), /message is too long/);
      } finally {
        await fromFile.stop();
      }

      const shellWins = await startWithEnvFile(file, { MAX_MESSAGE_CHARS: "100" });
      try {
        assert.ok(shellWins.url, shellWins.output());
        assert.equal(
          (await postJson(`${shellWins.url}/api/v1/chat`, { message: "hello there", user_id: "env" })).status,
          200,
        );
      } finally {
        await shellWins.stop();
      }

      writeFileSync(file, "PORT=0\nSESSION_STORE=memory\nLANGFUSE_ENABLED=false\nMAX_MESSAGE_CHARS=lots\n");
      const bad = await startWithEnvFile(file, {});
      assert.equal(bad.url, null);
      assert.match(bad.output(), /MAX_MESSAGE_CHARS="lots"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
