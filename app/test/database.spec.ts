import type { BatchObservableCallback, Meter, Observable, ObservableUpDownCounter } from "@opentelemetry/api";
import { expect } from "chai";
import * as net from "node:net";
import { AddressInfo } from "node:net";
import { Pool, PoolClient } from "pg";
import {
    ATTR_CONNECTION_STATE,
    ATTR_POOL_NAME,
    DATABASE_CHECK_TIMEOUT_MS,
    DEFAULT_POOL_MAX,
    Database,
    METRIC_CONNECTION_COUNT,
    METRIC_CONNECTION_LIMIT,
    METRIC_CONNECTION_MAX,
    checkDatabase,
    createDatabase,
    poolFigures,
    poolName,
    readPoolMax,
    registerPoolMetrics,
} from "../database";
import { call, closedPort, start, stop } from "./support/http";
import { TestPostgres, startPostgres } from "./support/postgres";

const ENV = { SLOT: "green", APP_VERSION: "1.3.0", ENVIRONMENT: "staging" };
const HEALTH_KEYS = ["status", "environment", "version", "slot", "timestamp", "checks"];

/** One observation a batch callback made. */
interface Observation {
    readonly name: string;
    readonly value: number;
    readonly attributes: Record<string, unknown>;
}

/**
 * Just enough of a Meter to run registerPoolMetrics' callback on demand; the end-to-end
 * spec (telemetry.spec.ts) checks the same gauges through the real SDK and exporter.
 */
function recordingMeter(): { meter: Meter; collect: () => Observation[] } {
    const names = new Map<unknown, string>();
    const callbacks: BatchObservableCallback[] = [];
    const meter = {
        createObservableUpDownCounter(name: string): ObservableUpDownCounter {
            const instrument = { addCallback: () => undefined, removeCallback: () => undefined };
            names.set(instrument, name);
            return instrument;
        },
        addBatchObservableCallback(callback: BatchObservableCallback): void {
            callbacks.push(callback);
        },
    } as unknown as Meter;
    const collect = (): Observation[] => {
        const seen: Observation[] = [];
        for (const callback of callbacks) {
            void callback({
                observe: (instrument: Observable, value: number, attributes: Record<string, unknown> = {}) => {
                    seen.push({ name: names.get(instrument) ?? "?", value, attributes });
                },
            });
        }
        return seen;
    };
    return { meter, collect };
}

function figure(observations: Observation[], name: string, state?: string): number | undefined {
    return observations.find((o) => o.name === name && o.attributes[ATTR_CONNECTION_STATE] === state)?.value;
}

describe("app: the database pool (against a real PostgreSQL)", () => {
    let pg: TestPostgres;
    const opened: Database[] = [];

    function open(env: Record<string, string | undefined>, onError: (e: Error) => void = () => undefined): Database {
        const database = createDatabase(env, onError);
        expect(database, "createDatabase").to.not.equal(undefined);
        opened.push(database as Database);
        return database as Database;
    }

    before(async function () {
        this.timeout(90_000);
        pg = await startPostgres();
    });

    after(async function () {
        this.timeout(90_000);
        await Promise.all(opened.map((d) => d.pool.end().catch(() => undefined)));
        await pg?.stop();
    });

    describe("configuration", () => {
        it("makes no pool without DATABASE_URL (unset or blank)", () => {
            expect(createDatabase({}, () => undefined)).to.equal(undefined);
            expect(createDatabase({ DATABASE_URL: "  " }, () => undefined)).to.equal(undefined);
        });

        it("reads DATABASE_POOL_MAX, defaulting to the alerts' pool of 20 and refusing what is not a size", () => {
            expect(DEFAULT_POOL_MAX).to.equal(20);
            expect(readPoolMax({})).to.equal(20);
            expect(readPoolMax({ DATABASE_POOL_MAX: "" })).to.equal(20);
            expect(readPoolMax({ DATABASE_POOL_MAX: "5" })).to.equal(5);
            for (const bad of ["0", "-1", "1001", "2.5", "ten", "0x10"]) {
                expect(() => readPoolMax({ DATABASE_POOL_MAX: bad }), bad).to.throw(/DATABASE_POOL_MAX/);
            }
            expect(() => createDatabase({ DATABASE_URL: "postgresql://127.0.0.1/x", DATABASE_POOL_MAX: "0" }, () => undefined)).to.throw(/DATABASE_POOL_MAX/);
        });

        it("names the pool by its database, else its server, never by the URL (which may hold a password)", () => {
            expect(poolName("postgresql://app:s3cret@db.example:5432/market")).to.equal("market");
            expect(poolName("postgresql://app:s3cret@db.example:5432")).to.equal("db.example:5432");
            expect(poolName("postgresql://app:s3cret@db.example/")).to.equal("db.example");
            expect(poolName("not a url s3cret")).to.equal("postgresql");
            expect(poolName(pg.url)).to.equal("postgres");
        });
    });

    describe("the gauges", () => {
        it("report used and idle connections and the pool's size, with the semconv names, while a client is held", async () => {
            const database = open({ DATABASE_URL: pg.url });
            const { meter, collect } = recordingMeter();
            registerPoolMetrics(meter, database);

            let seen = collect();
            expect(figure(seen, METRIC_CONNECTION_COUNT, "used")).to.equal(0);
            expect(figure(seen, METRIC_CONNECTION_COUNT, "idle")).to.equal(0);

            const held: PoolClient = await database.pool.connect();
            try {
                await database.pool.query("SELECT 1"); // a second connection, back in the pool after the query
                seen = collect();
                expect(figure(seen, METRIC_CONNECTION_COUNT, "used")).to.equal(1);
                expect(figure(seen, METRIC_CONNECTION_COUNT, "idle")).to.equal(1);
                expect(poolFigures(database.pool)).to.deep.equal({ used: 1, idle: 1, max: 20 });
            } finally {
                held.release();
            }
            seen = collect();
            expect(figure(seen, METRIC_CONNECTION_COUNT, "used")).to.equal(0);
            expect(figure(seen, METRIC_CONNECTION_COUNT, "idle")).to.equal(2);

            expect(figure(seen, METRIC_CONNECTION_MAX)).to.equal(20);
            expect(figure(seen, METRIC_CONNECTION_LIMIT)).to.equal(20);
            for (const o of seen) {
                expect(o.attributes[ATTR_POOL_NAME], o.name).to.equal("postgres");
                expect(Object.keys(o.attributes).sort(), o.name).to.deep.equal(o.name === METRIC_CONNECTION_COUNT ? [ATTR_CONNECTION_STATE, ATTR_POOL_NAME].sort() : [ATTR_POOL_NAME]);
            }
            expect(seen.map((o) => o.name).sort()).to.deep.equal([METRIC_CONNECTION_COUNT, METRIC_CONNECTION_COUNT, METRIC_CONNECTION_LIMIT, METRIC_CONNECTION_MAX]);
            expect([ATTR_CONNECTION_STATE, ATTR_POOL_NAME]).to.deep.equal(["db.client.connection.state", "db.client.connection.pool.name"]);
        });

        it("report DATABASE_POOL_MAX as the size", () => {
            const database = open({ DATABASE_URL: pg.url, DATABASE_POOL_MAX: "5" });
            const { meter, collect } = recordingMeter();
            registerPoolMetrics(meter, database);
            expect(figure(collect(), METRIC_CONNECTION_MAX)).to.equal(5);
        });

        it("count every connection of a full pool as used", async () => {
            const database = open({ DATABASE_URL: pg.url, DATABASE_POOL_MAX: "3" });
            const clients = await Promise.all([1, 2, 3].map(() => database.pool.connect()));
            try {
                expect(poolFigures(database.pool)).to.deep.equal({ used: 3, idle: 0, max: 3 });
            } finally {
                clients.forEach((c) => c.release());
            }
        });
    });

    describe("checks.database", () => {
        it("is ok, in a 200 with the contract's keys in order, when the database answers", async () => {
            const { pool } = open({ DATABASE_URL: pg.url });
            const app = await start(ENV, { database: () => checkDatabase(pool) });
            try {
                const { status, body } = await call(app.base, "/api/health");
                expect(status).to.equal(200);
                expect(Object.keys(body)).to.deep.equal(HEALTH_KEYS);
                expect(body.status).to.equal("healthy");
                expect(body.checks).to.deep.equal({ process: "ok", memory: "ok", database: "ok" });
                expect(Object.keys(body.checks as object)).to.deep.equal(["process", "memory", "database"]);
            } finally {
                await stop(app.server);
            }
        });

        it("fails, in a 503, when nothing listens at DATABASE_URL", async () => {
            const port = await closedPort();
            const { pool } = open({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/postgres` });
            const app = await start(ENV, { database: () => checkDatabase(pool) });
            try {
                const { status, body } = await call(app.base, "/api/health");
                expect(status).to.equal(503);
                expect(Object.keys(body)).to.deep.equal(HEALTH_KEYS);
                expect(body.status).to.equal("unhealthy");
                expect(body.checks).to.deep.equal({ process: "ok", memory: "ok", database: "fail" });
            } finally {
                await stop(app.server);
            }
        });

        it("leaves /api/live (the liveness probe's path) at 200 while the database fails: an outage takes pods out of service, it does not restart them", async () => {
            const port = await closedPort();
            const { pool } = open({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/postgres` });
            const app = await start(ENV, { database: () => checkDatabase(pool) });
            try {
                const health = await call(app.base, "/api/health");
                const live = await call(app.base, "/api/live");
                expect(health.status).to.equal(503);
                expect(live.status).to.equal(200);
                expect(Object.keys(live.body)).to.deep.equal(HEALTH_KEYS);
                expect(live.body.checks).to.deep.equal({ process: "ok", memory: "ok" });
            } finally {
                await stop(app.server);
            }
        });

        it(`fails within ${DATABASE_CHECK_TIMEOUT_MS} ms when the database accepts but never answers`, async () => {
            // A TCP server that takes connections and says nothing: pg waits for the server's first message.
            const sockets: net.Socket[] = [];
            const silent = net.createServer((s) => sockets.push(s));
            await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
            const { port } = silent.address() as AddressInfo;
            const { pool } = open({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/postgres` });
            try {
                const began = Date.now();
                expect(await checkDatabase(pool)).to.equal("fail");
                expect(Date.now() - began).to.be.within(DATABASE_CHECK_TIMEOUT_MS - 50, DATABASE_CHECK_TIMEOUT_MS + 1_000);
            } finally {
                sockets.forEach((s) => s.destroy());
                await new Promise<void>((resolve) => silent.close(() => resolve()));
            }
        });

        it("answers 500 JSON, and keeps serving, when the database check itself rejects", async () => {
            let broken = true;
            const database = async (): Promise<"ok"> => {
                if (broken) {
                    throw new Error("boom");
                }
                return "ok";
            };
            const app = await start(ENV, { database });
            try {
                const failed = await call(app.base, "/api/health");
                expect(failed.status).to.equal(500);
                expect(failed.body).to.deep.equal({ error: "internal error" });
                broken = false;
                expect((await call(app.base, "/api/health")).status).to.equal(200);
            } finally {
                await stop(app.server);
            }
        });
    });

    it("reports a broken idle connection through onError instead of crashing", async () => {
        const errors: Error[] = [];
        const database = open({ DATABASE_URL: pg.url }, (e) => errors.push(e));
        // Leaves one idle connection, whose server process the test then ends.
        const { rows } = await database.pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        const admin = new Pool({ connectionString: pg.url, max: 1 });
        try {
            await admin.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
        } finally {
            await admin.end();
        }
        const deadline = Date.now() + 5_000;
        while (errors.length === 0 && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(errors.length, "errors reported").to.be.greaterThan(0);
        expect(await checkDatabase(database.pool)).to.equal("ok");
    });
});
