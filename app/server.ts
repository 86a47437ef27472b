/**
 * The reference web app that slotshift deploys in blue and green slots: a
 * greeting on `/` and the health contract on `/api/health`, which the
 * readiness and liveness probes call (slotshift:app.healthPath), and
 * `/api/users`, the table the release process's expand/contract example
 * migrates (users.ts, migrations.ts).
 *
 * The process starts in `main.ts`, which sets up telemetry before this module
 * (and so `node:http`) is loaded, then calls `main` here.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as v8 from "node:v8";
import { Database, checkDatabase, createDatabase, registerPoolMetrics } from "./database";
import type { Telemetry } from "./telemetry";
import { Users, createUsers, parseNewUser } from "./users";

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

/** How long the database pool may take to close at shutdown. */
const POOL_END_MS = 2_000;

/** The largest request body accepted (POST /api/users); more answers 413. */
export const BODY_LIMIT_BYTES = 16 * 1024;

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
        /** Only when DATABASE_URL is set: `SELECT 1` through the pool answers in time. */
        readonly database?: CheckResult;
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
    /**
     * The database check (`checks.database`); main() passes one only when DATABASE_URL
     * is set (database.ts, checkDatabase). Without it the report has no `database` key.
     */
    readonly database?: () => Promise<CheckResult>;
    /**
     * The users table as this version uses it (users.ts, createUsers); main() passes it only
     * when DATABASE_URL is set. Without it `/api/users` answers 503.
     */
    readonly users?: Users;
    /** Where a failed request's cause goes, one JSON event a call (main: stdout); default nowhere. */
    readonly log?: (event: Record<string, unknown>) => void;
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

/** A request body that cannot be used; answered with its status. */
class BadRequest extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

/** Reads the request's body as JSON, at most BODY_LIMIT_BYTES. */
function readJson(req: http.IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let failed = false;
        req.on("data", (chunk: Buffer) => {
            if (failed) {
                return;
            }
            size += chunk.length;
            if (size > BODY_LIMIT_BYTES) {
                failed = true;
                reject(new BadRequest(413, `the body is over ${BODY_LIMIT_BYTES} bytes`));
                return;
            }
            chunks.push(chunk);
        });
        req.on("end", () => {
            if (failed) {
                return;
            }
            try {
                resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown);
            } catch {
                reject(new BadRequest(400, "the body is not JSON"));
            }
        });
        req.on("error", reject);
    });
}

/** Answers one method of one route. */
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

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

    const database = options.database;
    const users = options.users;
    const log = options.log ?? ((): void => undefined);

    /** The V8 heap holds at most HEAP_USED_LIMIT of its size limit. */
    function memoryCheck(): CheckResult {
        const heap = heapStatistics();
        return heap.used_heap_size <= heap.heap_size_limit * HEAP_USED_LIMIT ? "ok" : "fail";
    }

    /** The report, stamped when the request came; the database check (if any) runs last. */
    function health(): HealthReport | Promise<HealthReport> {
        const timestamp = now().toISOString();
        const memory = memoryCheck();
        const report = (checks: HealthReport["checks"]): HealthReport => ({
            status: Object.values(checks).every((c) => c === "ok") ? "healthy" : "unhealthy",
            environment: identity.environment,
            version: identity.version,
            slot: identity.slot,
            timestamp,
            checks,
        });
        const checks = { process: "ok" as CheckResult, memory };
        return database ? database().then((result) => report({ ...checks, database: result })) : report(checks);
    }

    /** The liveness report: the process's own checks only, never a shared dependency. */
    function live(): HealthReport {
        const memory = memoryCheck();
        return {
            status: memory === "ok" ? "healthy" : "unhealthy",
            environment: identity.environment,
            version: identity.version,
            slot: identity.slot,
            timestamp: now().toISOString(),
            checks: { process: "ok", memory },
        };
    }

    function sendHealth(res: http.ServerResponse, report: HealthReport): void {
        sendJson(res, report.status === "healthy" ? 200 : 503, report);
    }

    /** `/api/users` without DATABASE_URL: nothing to read or write. */
    function noDatabase(res: http.ServerResponse): void {
        sendJson(res, 503, { error: "no database: DATABASE_URL is not set" });
    }

    /** A query that failed: the cause goes to the log, the client gets a 500. */
    function queryFailed(res: http.ServerResponse, path: string, e: unknown): void {
        const code = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined;
        log({ event: "request-error", path, message: e instanceof Error ? e.message : String(e), ...(typeof code === "string" ? { code } : {}) });
        internalError(res);
    }

    /**
     * The routes and the methods each answers (GET everywhere, POST on /api/users). A handler may
     * answer later (a promise); a rejection is a 500.
     */
    const routes: Readonly<Record<string, Readonly<Partial<Record<"GET" | "POST", Handler>>>>> = {
        "/": {
            GET: (_req, res) =>
                sendJson(res, 200, {
                    message: `Hello from slotshift: version ${identity.version} in the ${identity.slot} slot`,
                    version: identity.version,
                    slot: identity.slot,
                }),
        },
        "/api/health": {
            GET: (_req, res) => {
                const report = health();
                return report instanceof Promise ? report.then((r) => sendHealth(res, r)) : sendHealth(res, report);
            },
        },
        // For the liveness probe (slotshift:app.livenessPath): a database outage must take pods out of
        // service (readiness, /api/health), not restart every pod of both slots.
        "/api/live": { GET: (_req, res) => sendHealth(res, live()) },
        // The expand/contract example: 1.2.x and 1.3.0+ use the table differently (users.ts).
        "/api/users": {
            GET: (_req, res) => {
                if (!users) {
                    return noDatabase(res);
                }
                return users.list().then(
                    (list) => sendJson(res, 200, { users: list }),
                    (e: unknown) => queryFailed(res, "/api/users", e),
                );
            },
            POST: async (req, res) => {
                let body: unknown;
                try {
                    body = await readJson(req);
                } catch (e) {
                    if (e instanceof BadRequest) {
                        return sendJson(res, e.status, { error: e.message }, { Connection: "close" });
                    }
                    throw e;
                }
                if (!users) {
                    return noDatabase(res);
                }
                const user = parseNewUser(body, users.emailVerified);
                if (typeof user === "string") {
                    return sendJson(res, 400, { error: user });
                }
                return users.create(user).then(
                    (created) => sendJson(res, 201, created),
                    (e: unknown) => queryFailed(res, "/api/users", e),
                );
            },
        },
    };

    /** A check that throws: answer 500, never crash the process. */
    function internalError(res: http.ServerResponse): void {
        if (!res.headersSent) {
            sendJson(res, 500, { error: "internal error" });
        } else {
            res.destroy();
        }
    }

    return http.createServer((req, res) => {
        try {
            // The path without the query string; an absolute-form target (via a proxy) finds no route.
            const path = (req.url ?? "/").split("?", 1)[0];
            const route = Object.prototype.hasOwnProperty.call(routes, path) ? routes[path] : undefined;
            const handler = route && (req.method === "GET" || req.method === "POST") ? route[req.method] : undefined;
            if (!route) {
                sendJson(res, 404, { error: "not found" });
            } else if (!handler) {
                sendJson(res, 405, { error: "method not allowed" }, { Allow: Object.keys(route).join(", ") });
            } else {
                handler(req, res)?.catch(() => internalError(res));
            }
        } catch {
            internalError(res);
        }
    });
}

/** Ends the pool, waiting at most POOL_END_MS. */
function endPool(database: Database | undefined): Promise<void> {
    if (!database) {
        return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POOL_END_MS);
        timer.unref();
        database.pool
            .end()
            .catch(() => undefined)
            .finally(() => {
                clearTimeout(timer);
                resolve();
            });
    });
}

/**
 * Listens on PORT; SIGTERM (sent by Kubernetes before it kills the pod) or SIGINT closes it,
 * flushes the telemetry, ends the database pool and exits 0. `telemetry` is what main.ts
 * started (undefined when APPLICATIONINSIGHTS_CONNECTION_STRING is unset).
 */
export function main(telemetry?: Telemetry): void {
    const log = (event: Record<string, unknown>): void => console.log(JSON.stringify(event));
    let port: number;
    let database: Database | undefined;
    try {
        port = readPort(process.env);
        database = createDatabase(process.env, (e) => log({ event: "database-error", message: e.message }));
    } catch (e) {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
    }
    if (database && telemetry) {
        registerPoolMetrics(telemetry.meter, database);
    }
    const pool = database?.pool;
    const identity = readIdentity(process.env);
    // The users table as APP_VERSION uses it: 1.3.0 and later write and read email_verified (users.ts).
    const users = pool ? createUsers(pool, identity.version) : undefined;
    const server = createServer(process.env, pool ? { database: () => checkDatabase(pool), users, log } : { log });
    server.listen(port, () => {
        // The port bound: PORT=0 asks for any free one.
        const bound = (server.address() as AddressInfo).port;
        log({
            event: "listening",
            port: bound,
            ...identity,
            telemetry: telemetry !== undefined,
            database: database !== undefined,
            ...(users ? { emailVerified: users.emailVerified } : {}),
        });
    });

    let stopping = false;
    let exiting = false;
    // The last telemetry goes out before the pool closes, so the gauges' last export still reads it.
    const exit = (): void => {
        if (exiting) {
            return;
        }
        exiting = true;
        void (telemetry ? telemetry.shutdown() : Promise.resolve())
            .then(() => endPool(database))
            .finally(() => process.exit(0));
    };
    const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
            return;
        }
        stopping = true;
        log({ event: "stopping", signal });
        // close() stops accepting, ends idle keep-alive connections and waits for open requests.
        server.close(exit);
        setTimeout(() => {
            server.closeAllConnections();
            exit();
        }, SHUTDOWN_GRACE_MS).unref();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}
