// The receiver is locked: every route but the health and identity checks needs the key pair (the
// viewer's pages and read API also take the login link's session), control routes answer only
// when enabled, only loopback Host headers are answered (DNS rebinding), and a malformed
// percent-encoding in a path is a 400, not a 500. Issue 22's findings, each against a real socket.
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { basicAuthHeader } from "./basic-auth.js";
import { startReceiver, type Receiver } from "./receiver.js";
import { DEV_AUTH, hexId, otlpJsonBody, postIngest, TEST_TIMEOUT_MS } from "../../test/support/receiver-http.js";

const opts = { timeout: TEST_TIMEOUT_MS };

/** A raw request, so the Host header can be anything (fetch always sends the URL's). */
function raw(
  receiver: Receiver,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: receiver.port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function withStoredTrace(receiver: Receiver, auth = DEV_AUTH): Promise<string> {
  const traceId = hexId(16);
  const body = otlpJsonBody([
    {
      traceId,
      spanId: hexId(8),
      name: "chat",
      attributes: { "user.id": "tenant-a-user", "langfuse.observation.input": '"secret plans"' },
    },
  ]);
  assert.equal((await postIngest(receiver, body, { auth })).status, 200);
  return traceId;
}

test(
  "without the key pair, nothing but the health and identity checks answers; the viewer's data stays in",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0 });
    try {
      const traceId = await withStoredTrace(receiver);
      const closed = [
        ["GET", "/_receiver/viewer/traces"],
        ["GET", `/_receiver/viewer/traces/${traceId}`],
        ["GET", "/_receiver/viewer/sessions/s"],
        ["GET", `/_receiver/spans?traceId=${traceId}`],
        ["GET", "/_receiver/stats"],
        ["GET", "/_receiver/faults"],
        ["PUT", "/_receiver/faults"],
        ["DELETE", "/_receiver/data"],
        ["GET", "/api/public/traces"],
        ["GET", "/api/public/v2/observations"],
        ["GET", "/ui/"],
        ["GET", `/ui/traces/${traceId}`],
        ["GET", "/"],
      ];
      for (const [method, path] of closed) {
        const res = await raw(receiver, method!, path!);
        assert.equal(res.status, 401, `${method} ${path}`);
        assert.doesNotMatch(res.body, /secret plans|tenant-a-user/, `${method} ${path} leaks nothing`);
      }
      const wrong = await raw(receiver, "GET", "/_receiver/viewer/traces", {
        authorization: `Basic ${Buffer.from("pk-lf-local:guess").toString("base64")}`,
      });
      assert.equal(wrong.status, 401);
      // A viewer page asks the browser for the key pair and says how to log in.
      const page = await raw(receiver, "GET", "/ui/");
      assert.match(String(page.headers["www-authenticate"]), /^Basic realm=/);
      assert.match(page.body, /login link/);

      assert.equal((await raw(receiver, "GET", "/api/public/health")).status, 200);
      const info = await raw(receiver, "GET", "/_receiver/info");
      assert.equal(info.status, 200);
      assert.deepEqual(Object.keys(JSON.parse(info.body)).sort(), [
        "authorized",
        "ingestionVersion",
        "receiver",
        "version",
      ]);
      assert.equal(receiver.stats().store.traces, 1, "nothing wiped");

      // With the key pair: the same routes answer.
      assert.equal((await raw(receiver, "GET", "/_receiver/viewer/traces", { authorization: DEV_AUTH })).status, 200);
      assert.equal((await raw(receiver, "GET", "/_receiver/stats", { authorization: DEV_AUTH })).status, 200);
    } finally {
      await receiver.close();
    }
  },
);

test("faults and wipe answer only when control routes are enabled, and then only with the key pair", opts, async () => {
  const locked = await startReceiver({ port: 0 });
  try {
    await withStoredTrace(locked);
    const put = await raw(locked, "PUT", "/_receiver/faults", {
      authorization: DEV_AUTH,
      "content-type": "application/json",
    });
    assert.equal(put.status, 403);
    assert.match(JSON.parse(put.body).message, /RECEIVER_CONTROL_ROUTES=true/);
    assert.equal((await raw(locked, "DELETE", "/_receiver/data", { authorization: DEV_AUTH })).status, 403);
    assert.equal(locked.stats().store.traces, 1, "nothing wiped");
    assert.deepEqual(locked.faults.get().failRatio, 0, "no fault set");
  } finally {
    await locked.close();
  }
  const enabled = await startReceiver({ port: 0, controlRoutes: true });
  try {
    await withStoredTrace(enabled);
    assert.equal((await raw(enabled, "DELETE", "/_receiver/data")).status, 401, "still needs the key pair");
    assert.equal((await raw(enabled, "DELETE", "/_receiver/data", { authorization: DEV_AUTH })).status, 200);
    assert.equal(enabled.stats().store.traces, 0);
  } finally {
    await enabled.close();
  }
});

test(
  "only loopback Host headers are answered (a rebound DNS name gets 403), plus the hosts configured",
  opts,
  async () => {
    const receiver = await startReceiver({ port: 0, allowedHosts: ["traces.internal"] });
    try {
      for (const host of [
        `127.0.0.1:${receiver.port}`,
        `localhost:${receiver.port}`,
        `[::1]:${receiver.port}`,
        "LOCALHOST",
      ]) {
        assert.equal((await raw(receiver, "GET", "/api/public/health", { host })).status, 200, host);
      }
      assert.equal((await raw(receiver, "GET", "/api/public/health", { host: "traces.internal:3100" })).status, 200);
      for (const host of [`evil.example:${receiver.port}`, "127.0.0.1.evil.example", "localhost.evil.example:80"]) {
        const res = await raw(receiver, "GET", "/_receiver/viewer/traces", { host, authorization: DEV_AUTH });
        assert.equal(res.status, 403, host);
        assert.match(JSON.parse(res.body).message, /not accepted/);
      }
      // Ingestion too: a page on a rebound name cannot write traces either.
      const body = otlpJsonBody([{ traceId: hexId(16), spanId: hexId(8), name: "x" }]);
      const res = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: receiver.port,
            method: "POST",
            path: "/api/public/otel/v1/traces",
            headers: { host: "evil.example", "content-type": "application/json", authorization: DEV_AUTH },
          },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(body);
      });
      assert.equal(res, 403);
      assert.equal(receiver.stats().store.observations, 0);
    } finally {
      await receiver.close();
    }
  },
);

test("the login link sets an HttpOnly session cookie for the viewer only; a wrong token does not", opts, async () => {
  const receiver = await startReceiver({ port: 0, keys: "generated" });
  try {
    assert.match(receiver.keys.publicKey, /^pk-lf-[0-9a-f-]{36}$/);
    assert.match(receiver.keys.secretKey, /^sk-lf-[0-9a-f-]{36}$/);
    assert.equal(receiver.keysCreated, true);
    assert.equal(receiver.keysFile, null, "a store in memory keeps its pair in memory");
    assert.equal((await postIngest(receiver, otlpJsonBody([]))).status, 401, "the fixed dev pair is refused");
    const traceId = await withStoredTrace(receiver, basicAuthHeader(receiver.keys));
    const bad = await raw(receiver, "GET", "/ui/login?token=guess");
    assert.equal(bad.status, 401);
    assert.equal(bad.headers["set-cookie"], undefined);

    const login = new URL(receiver.loginUrl(`/ui/traces/${traceId}`));
    const ok = await raw(receiver, "GET", `${login.pathname}${login.search}`);
    assert.equal(ok.status, 302);
    assert.equal(ok.headers["location"], `/ui/traces/${traceId}`);
    const cookie = String(ok.headers["set-cookie"]).split(";")[0]!;
    assert.match(String(ok.headers["set-cookie"]), /HttpOnly/);
    assert.match(String(ok.headers["set-cookie"]), /SameSite=Lax/);
    // The session reads the viewer, and nothing else.
    assert.equal((await raw(receiver, "GET", `/_receiver/viewer/traces/${traceId}`, { cookie })).status, 200);
    assert.notEqual((await raw(receiver, "GET", `/ui/traces/${traceId}`, { cookie })).status, 401);
    assert.equal((await raw(receiver, "GET", "/api/public/traces", { cookie })).status, 401);
    assert.equal((await raw(receiver, "GET", "/_receiver/stats", { cookie })).status, 401);
    // `next` is a viewer page or nothing: never another site.
    const away = await raw(
      receiver,
      "GET",
      `${login.pathname}?token=${login.searchParams.get("token")}&next=//evil.example/`,
    );
    assert.equal(away.headers["location"], "/ui/");
  } finally {
    await receiver.close();
  }
});

test("a malformed percent-encoding in a viewer or public API path is a 400, not a 500", opts, async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    for (const path of [
      "/_receiver/viewer/traces/%E0%A4%A",
      "/_receiver/viewer/sessions/%ZZ",
      "/api/public/traces/%E0%A4%A",
    ]) {
      const res = await raw(receiver, "GET", path, { authorization: DEV_AUTH });
      assert.equal(res.status, 400, path);
      assert.match(JSON.parse(res.body).message, /malformed percent-encoding/, path);
    }
  } finally {
    await receiver.close();
  }
});
