// The local receiver as a user starts it (`npm run receiver`, and the service's embedded one):
// its own random key pair, made at the first start and kept in its data folder (file 0600,
// folder 0700), the secret printed once, a login link for the viewer at every start; the fixed
// dev pair refused unless configured. Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postJson, startService } from "./support/start-service.js";
import { freePort } from "./support/spawn-receiver.js";
import { otlpJsonBody } from "./support/receiver-http.js";

const basic = (publicKey: string, secretKey: string) =>
  `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString("base64")}`;
const DEV = basic("pk-lf-local", "sk-lf-local");

/** Starts `node dist/src/receiver/main.js` and returns its first log line (the start-up line). */
async function startStandalone(dir: string, port: number, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["dist/src/receiver/main.js"], {
    env: {
      PATH: process.env["PATH"] ?? "",
      RECEIVER_PORT: String(port),
      RECEIVER_DB_PATH: join(dir, "data", "receiver.db"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 15_000;
  while (!out.includes("\n")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`receiver did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const line = JSON.parse(out.slice(0, out.indexOf("\n"))) as Record<string, string>;
  return {
    line,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function ingest(port: number, authorization: string): Promise<number> {
  const body = otlpJsonBody([{ traceId: "ab".repeat(16), spanId: "cd".repeat(8), name: "x" }]);
  const res = await postJson(`http://127.0.0.1:${port}/api/public/otel/v1/traces`, body, { authorization });
  return res.status;
}

test(
  "npm run receiver: a random key pair in its data folder (0600 in 0700), the secret printed once, the dev pair refused",
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "receiver-locked-"));
    const port = await freePort();
    try {
      const first = await startStandalone(dir, port);
      const keysFile = join(dir, "data", "receiver-keys.json");
      let keys: { publicKey: string; secretKey: string };
      try {
        keys = JSON.parse(readFileSync(keysFile, "utf8")) as typeof keys;
        assert.equal(statSync(keysFile).mode & 0o777, 0o600, "only its owner reads the key file");
        assert.equal(statSync(join(dir, "data")).mode & 0o777, 0o700, "only its owner enters the data folder");
        assert.equal(statSync(join(dir, "data", "receiver.db")).mode & 0o777, 0o600, "nor reads the traces");
        assert.equal(first.line["publicKey"], keys.publicKey);
        assert.equal(first.line["newSecretKey"], keys.secretKey, "printed when it is made");
        assert.match(first.line["login"]!, new RegExp(`^http://127\\.0\\.0\\.1:${port}/ui/login\\?token=`));
        assert.equal(await ingest(port, DEV), 401, "the fixed dev pair no longer gets in");
        assert.equal(await ingest(port, basic(keys.publicKey, keys.secretKey)), 200);
        const login = await fetch(first.line["login"]!, { redirect: "manual" });
        assert.equal(login.status, 302);
        assert.match(login.headers.get("set-cookie") ?? "", /HttpOnly/);
      } finally {
        await first.stop();
      }
      // The next start keeps the pair and does not print the secret again.
      const second = await startStandalone(dir, port);
      try {
        assert.equal(second.line["publicKey"], keys.publicKey);
        assert.equal(second.line["newSecretKey"], undefined);
        assert.equal(second.line["keysFile"], keysFile);
        assert.equal(second.line["login"], first.line["login"], "the same login link");
        assert.equal(await ingest(port, basic(keys.publicKey, keys.secretKey)), 200);
      } finally {
        await second.stop();
      }
      // The dev pair only when configured to.
      const dev = await startStandalone(dir, port, { RECEIVER_DEV_KEYS: "true" });
      try {
        assert.equal(await ingest(port, DEV), 200);
      } finally {
        await dev.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "the service's embedded receiver: its own pair in the data folder, a login link logged, the dev pair refused",
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "receiver-embedded-"));
    const svc = await startService({
      LANGFUSE_ENABLED: "true",
      LANGFUSE_LOCAL_RECEIVER_PORT: "0",
      LANGFUSE_LOCAL_RECEIVER_DB: join(dir, "data", "traces.db"),
      LOG_LEVEL: "info",
    });
    try {
      const receiver = svc.traces.receiver!;
      const keysFile = join(dir, "data", "receiver-keys.json");
      assert.deepEqual(JSON.parse(readFileSync(keysFile, "utf8")).publicKey, receiver.keys.publicKey);
      assert.equal(statSync(keysFile).mode & 0o777, 0o600);
      assert.equal(await ingest(receiver.port, DEV), 401);
      const line = svc.logs.find((l) => typeof l["viewerLogin"] === "string");
      assert.ok(line, "the login link is logged");
      assert.equal(line["viewerLogin"], receiver.loginUrl());
      assert.equal(line["receiverKeys"], keysFile);
      assert.doesNotMatch(
        JSON.stringify(svc.logs),
        new RegExp(receiver.keys.secretKey),
        "the secret never reaches the log",
      );
      // A chat's trace link opens the trace once logged in.
      const chat = await postJson(`${svc.url}/api/v1/chat`, { message: "Where is my order 7?", user_id: "u" });
      assert.equal(chat.status, 200);
      assert.equal(chat.body.trace_url, `${receiver.url}/ui/traces/${chat.body.trace_id}`);
    } finally {
      await svc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
