/**
 * Preloaded (`node -r`) into the app's process by the end-to-end test: every TCP
 * connection to anything but loopback (or a Unix socket) is refused before it is
 * attempted (no DNS look-up, no SYN) and written, one `host:port` a line, to the
 * file NET_GUARD_LOG. The test then says which outbound connections the app tried.
 *
 * It wraps net.Socket.prototype.connect, which http, https, tls and fetch (undici) all
 * end in. It changes nothing for loopback: the app, its database and the stand-in
 * ingestion endpoint are all on 127.0.0.1.
 */
import * as fs from "node:fs";
import * as net from "node:net";

const logFile = process.env.NET_GUARD_LOG;

function isLoopback(host: string): boolean {
    const h = host.replace(/^\[|\]$/g, "").toLowerCase();
    return h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1" || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
const connect = net.Socket.prototype.connect as unknown as Connect;

function guarded(this: net.Socket, ...args: unknown[]): net.Socket {
    // net.connect passes its normalized [options, callback] array; a direct call passes (options | port, host?, cb?).
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : typeof first === "object" && first !== null ? first : { port: first, host: typeof args[1] === "string" ? args[1] : undefined }) as { path?: string | null; host?: string; port?: unknown };
    // A Unix socket has a path; http's connections carry `path: null`.
    if (typeof options.path !== "string" || options.path === "") {
        const host = options.host ?? "localhost";
        if (!isLoopback(host)) {
            const target = `${host}:${String(options.port)}`;
            if (logFile) {
                fs.appendFileSync(logFile, `${target}\n`);
            }
            const error = Object.assign(new Error(`net guard: refused a connection to ${target} (not loopback)`), { code: "ECONNREFUSED" });
            process.nextTick(() => this.destroy(error));
            return this;
        }
    }
    return connect.apply(this, args);
}

net.Socket.prototype.connect = guarded as unknown as typeof net.Socket.prototype.connect;
