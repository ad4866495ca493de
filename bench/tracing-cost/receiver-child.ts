// The benchmark's receiver, in its own process so its CPU (JSON parsing, SQLite) never lands
// on the measured main thread. Talks to the parent over the IPC channel; exits with it.
import { randomBytes } from "node:crypto";
import { startReceiver } from "../../src/receiver/receiver.js";

export type ReceiverRequest = { id: number; op: "stats" | "fresh" };
export type ReceiverReply = {
  id: number;
  url: string;
  publicKey: string;
  secretKey: string;
  uniqueSpans: number;
  receivedSpans: number;
  requests: number;
};
export type ReceiverReady = { ready: true; url: string };

const send = (message: ReceiverReply | ReceiverReady) => process.send?.(message);

if (!process.send) {
  console.error("receiver-child.js is started by the tracing-cost benchmark (needs an IPC channel)");
  process.exit(2);
}
// Every receiver takes its own random key pair: other processes on this machine that export
// to a port they believe closed (fault tests do) get a 401 here instead of being counted.
const start = async () => {
  const keys = {
    publicKey: `pk-lf-bench-${randomBytes(6).toString("hex")}`,
    secretKey: `sk-lf-bench-${randomBytes(12).toString("hex")}`,
  };
  return { keys, server: await startReceiver({ host: "127.0.0.1", port: 0, dbPath: ":memory:", keys: [keys] }) };
};
let receiver = await start();
// "fresh": a new receiver on a new port for the next measurement. The old one is closed (its
// connections cut, its port gone), so nothing a previous pipeline still sends can be counted
// for the next one.
process.on("message", (raw: ReceiverRequest) => {
  void (async () => {
    if (raw.op === "fresh") {
      const old = receiver;
      receiver = await start();
      await old.server.close();
    }
    const stats = receiver.server.stats();
    send({
      id: raw.id,
      url: receiver.server.url,
      ...receiver.keys,
      uniqueSpans: stats.spans.unique,
      receivedSpans: stats.spans.received,
      requests: stats.requests.total,
    });
  })();
});
process.on("disconnect", () => {
  void receiver.server.close().then(() => process.exit(0));
});
send({ ready: true, url: receiver.server.url });
