import { connect } from "node:net";

/** What one raw HTTP/1.1 exchange over a plain TCP socket gave. */
export interface RawExchange {
  /** Everything the server sent. */
  response: string;
  /** True when the server closed the connection before the wait bound. */
  closed: boolean;
  /** Bytes of the request actually written before the server closed. */
  written: number;
}

export interface RawExchangeOptions {
  /** Body chunks, one written every `intervalMs` after the head. */
  body?: string[];
  /** Absent: nothing more is written after the head (the client stalls). */
  intervalMs?: number;
  /** Longest wait for the server to close the connection, ms. */
  waitMs: number;
}

/**
 * Opens a TCP connection, writes `head`, then the body chunks at the given pace (or nothing:
 * the client stalls), and waits until the server closes the connection or `waitMs` pass. For
 * tests of clients that are slow on purpose, which fetch cannot imitate.
 */
export function rawExchange(url: string, head: string, options: RawExchangeOptions): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let response = "";
    let written = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(bound);
      clearInterval(timer);
      socket.destroy();
      resolve({ response, closed, written });
    };
    const bound = setTimeout(() => finish(false), options.waitMs);
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (response += d));
    socket.on("close", () => finish(true));
    socket.on("error", () => {});
    socket.on("connect", () => {
      socket.write(head);
      written += head.length;
      if (options.intervalMs === undefined) return;
      const chunks = [...(options.body ?? [])];
      timer = setInterval(() => {
        const next = chunks.shift();
        if (next === undefined || socket.destroyed) return clearInterval(timer);
        socket.write(next);
        written += next.length;
      }, options.intervalMs);
    });
  });
}

/** The status code of a raw response, or 0 when there was none. */
export function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

/** The JSON body of a raw (not chunked) response. */
export function jsonOf(response: string): { error: { code: string; message: string } } {
  return JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4)) as { error: { code: string; message: string } };
}

/** A request head announcing a JSON body of `contentLength` bytes. */
export function postHead(path: string, contentLength: number, extraHeaders = ""): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n${extraHeaders}\r\n`;
}
