/**
 * The app's PostgreSQL pool (only when DATABASE_URL is set), its health check and
 * its gauges, named by the OpenTelemetry database client semantic conventions:
 *
 * - `db.client.connection.count` {connection}, with `db.client.connection.state` =
 *   `used` | `idle` and `db.client.connection.pool.name`. These are the current names;
 *   before semconv 1.26 they were `db.client.connections.usage`, `state` and `pool.name`
 *   (@opentelemetry/semantic-conventions 1.45.0, experimental_metrics.d.cts and
 *   experimental_attributes.d.cts: the old ones are "@deprecated Replaced by" these);
 * - `db.client.connection.max` {connection}: the pool's size, the contract's name, and
 *   `db.client.connection.limit`, the same figure under the name semconv 1.45.0 gives it
 *   (`db.client.connection.max` is "@deprecated Replaced by `db.client.connection.limit`").
 *
 * All three are asynchronous UpDownCounters (the instrument the conventions give them),
 * read from the pool at each collection; the exporter sends UpDownCounters cumulative
 * (node_modules/@azure/monitor-opentelemetry-exporter/dist/commonjs/export/metric.js,
 * selectAggregationTemporality), so each export carries the current figure.
 */
import type { BatchObservableResult, Meter } from "@opentelemetry/api";
import { Pool } from "pg";
import type { CheckResult } from "./server";

/** The pool size when DATABASE_POOL_MAX is unset: 20, the pool the alerts assume ("DB connections > 18/20", docs/RELEASE-PROCESS.md §5). */
export const DEFAULT_POOL_MAX = 20;

/** The largest DATABASE_POOL_MAX accepted. */
export const POOL_MAX_LIMIT = 1000;

/**
 * How long the health check's `SELECT 1` may take. Under a second, the kubelet's default
 * probe timeout, so a slow database is answered with a 503 rather than a probe timeout.
 */
export const DATABASE_CHECK_TIMEOUT_MS = 800;

/** How long a query waits for a free connection, or for its result, before it fails. */
export const POOL_TIMEOUT_MS = 5_000;

export const METRIC_CONNECTION_COUNT = "db.client.connection.count";
export const METRIC_CONNECTION_MAX = "db.client.connection.max";
export const METRIC_CONNECTION_LIMIT = "db.client.connection.limit";
export const ATTR_CONNECTION_STATE = "db.client.connection.state";
export const ATTR_POOL_NAME = "db.client.connection.pool.name";

/** DATABASE_URL, or undefined when it is unset or blank (no pool, no database check). */
export function databaseUrl(env: Record<string, string | undefined>): string | undefined {
    const value = env.DATABASE_URL?.trim();
    return value ? value : undefined;
}

/** Reads DATABASE_POOL_MAX: an integer from 1 to POOL_MAX_LIMIT, DEFAULT_POOL_MAX when unset; throws otherwise. */
export function readPoolMax(env: Record<string, string | undefined>): number {
    const text = env.DATABASE_POOL_MAX?.trim();
    if (!text) {
        return DEFAULT_POOL_MAX;
    }
    const max = /^[0-9]{1,4}$/.test(text) ? Number(text) : NaN;
    if (!(max >= 1 && max <= POOL_MAX_LIMIT)) {
        throw new Error(`DATABASE_POOL_MAX is ${JSON.stringify(env.DATABASE_POOL_MAX)}; expected an integer from 1 to ${POOL_MAX_LIMIT}`);
    }
    return max;
}

/**
 * The pool's name for `db.client.connection.pool.name`. The conventions: a pool without a
 * name of its own is named by `db.namespace` (the database), else by `server.address`
 * with `:server.port`. Never the URL itself: it may hold a password.
 */
export function poolName(url: string): string {
    try {
        const parsed = new URL(url);
        const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
        if (database) {
            return database;
        }
        if (parsed.hostname) {
            return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
        }
    } catch {
        // Not a URL pg's parser would need to understand for a name: fall through.
    }
    return "postgresql";
}

/** The database of a slot: its pool, its name for the gauges. */
export interface Database {
    readonly pool: Pool;
    readonly name: string;
}

/**
 * Makes the pool from DATABASE_URL (size DATABASE_POOL_MAX), or returns undefined when
 * DATABASE_URL is unset or blank. Connects lazily: nothing is opened until a query.
 * Throws when DATABASE_POOL_MAX is invalid.
 */
export function createDatabase(env: Record<string, string | undefined>, onError: (e: Error) => void): Database | undefined {
    const url = databaseUrl(env);
    if (url === undefined) {
        return undefined;
    }
    const pool = new Pool({
        connectionString: url,
        max: readPoolMax(env),
        connectionTimeoutMillis: POOL_TIMEOUT_MS,
        query_timeout: POOL_TIMEOUT_MS,
    });
    // An idle connection that breaks (the server restarts, a network blip) is reported
    // here; without a listener the pool's 'error' event would end the process.
    pool.on("error", onError);
    return { pool, name: poolName(url) };
}

/** The pool's figures the gauges report. */
export interface PoolFigures {
    /** Connections checked out (or being opened): totalCount - idleCount. */
    readonly used: number;
    /** Open connections waiting in the pool. */
    readonly idle: number;
    /** The most connections the pool opens. */
    readonly max: number;
}

export function poolFigures(pool: Pool): PoolFigures {
    const idle = pool.idleCount;
    return { used: Math.max(0, pool.totalCount - idle), idle, max: pool.options.max ?? DEFAULT_POOL_MAX };
}

/** Registers the pool's gauges on `meter`; they are read at each metric collection. */
export function registerPoolMetrics(meter: Meter, database: Database): void {
    const count = meter.createObservableUpDownCounter(METRIC_CONNECTION_COUNT, {
        description: "The number of connections that are currently in the state described by the state attribute.",
        unit: "{connection}",
    });
    const max = meter.createObservableUpDownCounter(METRIC_CONNECTION_MAX, {
        description: "The maximum number of open connections allowed.",
        unit: "{connection}",
    });
    const limit = meter.createObservableUpDownCounter(METRIC_CONNECTION_LIMIT, {
        description: "The maximum number of open connections allowed.",
        unit: "{connection}",
    });
    const pool = { [ATTR_POOL_NAME]: database.name };
    meter.addBatchObservableCallback(
        (result: BatchObservableResult) => {
            const figures = poolFigures(database.pool);
            result.observe(count, figures.used, { ...pool, [ATTR_CONNECTION_STATE]: "used" });
            result.observe(count, figures.idle, { ...pool, [ATTR_CONNECTION_STATE]: "idle" });
            result.observe(max, figures.max, pool);
            result.observe(limit, figures.max, pool);
        },
        [count, max, limit],
    );
}

/**
 * `checks.database`: ok when `SELECT 1` through the pool answers within `timeoutMs`
 * (a free connection included), fail otherwise. Never rejects.
 */
export async function checkDatabase(pool: Pool, timeoutMs: number = DATABASE_CHECK_TIMEOUT_MS): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => resolve("fail"), timeoutMs);
    });
    // A query that outlives the check still ends: the pool's query_timeout and connectionTimeoutMillis bound it.
    const query = pool.query<{ ok: number }>("SELECT 1 AS ok").then(
        (result): CheckResult => (result.rows[0]?.ok === 1 ? "ok" : "fail"),
        (): CheckResult => "fail",
    );
    try {
        return await Promise.race([query, late]);
    } finally {
        clearTimeout(timer);
    }
}
