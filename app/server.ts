/**
 * The reference web app that slotshift deploys in blue and green slots: a
 * greeting on `/` and the health contract on `/api/health`, which the
 * readiness and liveness probes call (slotshift:app.healthPath).
 *
 * Only `node:` modules: the image carries no node_modules.
 */
import * as http from "node:http";
import * as v8 from "node:v8";

/** What an unset (or empty) environment variable is reported as. */
export const UNKNOWN = "unknown";

/** The slot colours; SLOT holding anything else is reported as `unknown`. */
export const SLOTS = ["blue", "green"] as const;
export type Slot = (typeof SLOTS)[number];

/** The port used when PORT is unset. */
export const DEFAULT_PORT = 8080;

/** The memory check fails once the V8 heap holds more than this share of its limit. */
export const HEAP_USED_LIMIT = 0.9;

/** How long SIGTERM waits for open requests before it closes every connection. */
const SHUTDOWN_GRACE_MS = 10_000;

/** The outcome of one health check. */
export type CheckResult = "ok" | "fail";

/** The body of `GET /api/health`, in this key order. */
export interface HealthReport {
    /** `healthy` when every check is ok (HTTP 200), else `unhealthy` (HTTP 503). */
    readonly status: "healthy" | "unhealthy";
    /** ENVIRONMENT: dev, staging or prod. */
    readonly environment: string;
    /** APP_VERSION: the semantic version the slot runs. */
    readonly version: string;
    /** SLOT: blue or green. */
    readonly slot: Slot | typeof UNKNOWN;
    /** When the report was made, ISO 8601 in UTC. */
    readonly timestamp: string;
    readonly checks: {
        /** The process answers requests: the event loop is running. */
        readonly process: CheckResult;
        /** The V8 heap holds at most HEAP_USED_LIMIT of its size limit. */
        readonly memory: CheckResult;
    };
}

/** The heap figures the memory check reads; v8.getHeapStatistics() gives them. */
export interface HeapFigures {
    readonly used_heap_size: number;
    readonly heap_size_limit: number;
}

/** Seams for tests; production uses the defaults. */
export interface ServerOptions {
    /** Reads the heap figures (default: v8.getHeapStatistics). */
    readonly heapStatistics?: () => HeapFigures;
    /** The current time (default: the system clock). */
    readonly now?: () => Date;
}

/** The identity the server reports, read once from the environment. */
export interface Identity {
    readonly environment: string;
    readonly version: string;
    readonly slot: Slot | typeof UNKNOWN;
}

function envText(env: Record<string, string | undefined>, name: string): string {
    const value = env[name]?.trim();
    return value ? value : UNKNOWN;
}

/** Reads ENVIRONMENT, APP_VERSION and SLOT; unset or empty ones become `unknown`. */
export function readIdentity(env: Record<string, string | undefined>): Identity {
    const slot = envText(env, "SLOT");
    return {
        environment: envText(env, "ENVIRONMENT"),
        version: envText(env, "APP_VERSION"),
        slot: (SLOTS as readonly string[]).includes(slot) ? (slot as Slot) : UNKNOWN,
    };
}

/** Reads PORT: an integer from 0 to 65535, DEFAULT_PORT when unset; throws otherwise. */
export function readPort(env: Record<string, string | undefined>): number {
    const text = env.PORT?.trim();
    if (!text) {
        return DEFAULT_PORT;
    }
    const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(port >= 0 && port <= 65535)) {
        throw new Error(`PORT is ${JSON.stringify(env.PORT)}; expected an integer from 0 to 65535`);
    }
    return port;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(text),
        "Cache-Control": "no-store",
        ...headers,
    });
    res.end(text);
}

/**
 * Builds the server without listening, so tests can listen on port 0.
 * `env` is read once, here.
 */
export function createServer(env: Record<string, string | undefined>, options: ServerOptions = {}): http.Server {
    const identity = readIdentity(env);
    const heapStatistics = options.heapStatistics ?? ((): HeapFigures => v8.getHeapStatistics());
    const now = options.now ?? ((): Date => new Date());

    function health(): HealthReport {
        const heap = heapStatistics();
        const memory: CheckResult = heap.used_heap_size <= heap.heap_size_limit * HEAP_USED_LIMIT ? "ok" : "fail";
        const checks = { process: "ok" as CheckResult, memory };
        const healthy = Object.values(checks).every((c) => c === "ok");
        return {
            status: healthy ? "healthy" : "unhealthy",
            environment: identity.environment,
            version: identity.version,
            slot: identity.slot,
            timestamp: now().toISOString(),
            checks,
        };
    }

    /** The routes; each answers GET only. */
    const routes: Readonly<Record<string, (res: http.ServerResponse) => void>> = {
        "/": (res) =>
            sendJson(res, 200, {
                message: `Hello from slotshift: version ${identity.version} in the ${identity.slot} slot`,
                version: identity.version,
                slot: identity.slot,
            }),
        "/api/health": (res) => {
            const report = health();
            sendJson(res, report.status === "healthy" ? 200 : 503, report);
        },
    };

    return http.createServer((req, res) => {
        try {
            // The path without the query string; an absolute-form target (via a proxy) finds no route.
            const path = (req.url ?? "/").split("?", 1)[0];
            const route = Object.prototype.hasOwnProperty.call(routes, path) ? routes[path] : undefined;
            if (!route) {
                sendJson(res, 404, { error: "not found" });
            } else if (req.method !== "GET") {
                sendJson(res, 405, { error: "method not allowed" }, { Allow: "GET" });
            } else {
                route(res);
            }
        } catch {
            // A check that throws: answer 500, never crash the process.
            if (!res.headersSent) {
                sendJson(res, 500, { error: "internal error" });
            } else {
                res.destroy();
            }
        }
    });
}

/** Listens on PORT; SIGTERM (sent by Kubernetes before it kills the pod) or SIGINT closes it and exits 0. */
function main(): void {
    let port: number;
    try {
        port = readPort(process.env);
    } catch (e) {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
    }
    const server = createServer(process.env);
    const identity = readIdentity(process.env);
    server.listen(port, () => {
        console.log(JSON.stringify({ event: "listening", port, ...identity }));
    });

    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
            return;
        }
        stopping = true;
        console.log(JSON.stringify({ event: "stopping", signal }));
        // close() stops accepting, ends idle keep-alive connections and waits for open requests.
        server.close(() => process.exit(0));
        setTimeout(() => {
            server.closeAllConnections();
            process.exit(0);
        }, SHUTDOWN_GRACE_MS).unref();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

if (require.main === module) {
    main();
}
