/**
 * The release process's expand/contract example (app/README.md, "The schema and the two versions"
 * and "Migrations"): `node migrate.js` and the two versions of the app, 1.2.0 and 1.3.0, run as
 * processes against a real PostgreSQL (support/postgres.ts: DATABASE_URL_TEST, else a throwaway
 * cluster). Each test gets a database of its own.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Pool } from "pg";
import { createUsers, parseNewUser, parseVersion, usesEmailVerified } from "../users";
import { AppProcess, startApp } from "./support/appProcess";
import { call, closedPort, start, stop } from "./support/http";
import { TestPostgres, startPostgres } from "./support/postgres";

const ROOT = path.resolve(__dirname, "../..");
const MIGRATE = path.join(ROOT, "app", "migrate.ts");

/** How long one `node migrate.js` run may take (ts-node's start included). */
const MIGRATE_TIMEOUT_MS = 30_000;

const USER_KEYS_1_2 = ["id", "email", "createdAt"];
const USER_KEYS_1_3 = ["id", "email", "createdAt", "emailVerified"];

interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs `node migrate.js <args>` (from TypeScript) with only `env` (plus PATH and HOME). */
function migrate(args: string[], env: Record<string, string>): Promise<Run> {
    return new Promise((resolve, reject) => {
        execFile(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", MIGRATE, ...args],
            { cwd: ROOT, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env }, timeout: MIGRATE_TIMEOUT_MS, encoding: "utf8" },
            (error, stdout, stderr) => {
                if (error && (error.killed || typeof error.code !== "number")) {
                    reject(new Error(`migrate.js ${args.join(" ")} did not finish: ${error.message}; stdout: ${stdout}; stderr: ${stderr}`));
                    return;
                }
                resolve({ code: error ? (error.code as unknown as number) : 0, stdout, stderr });
            },
        );
    });
}

/** The one line a failed run printed on stderr (and nothing on stdout, no stack trace). */
function oneErrorLine(run: Run): string {
    expect(run.stdout, "stdout").to.equal("");
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines, run.stderr).to.have.length(1);
    expect(run.stderr).to.not.match(/^\s+at /m);
    return lines[0];
}

async function post(base: string, body: unknown, raw?: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const res = await fetch(`${base}/api/users`, { method: "POST", headers: { "Content-Type": "application/json" }, body: raw ?? JSON.stringify(body) });
    expect(res.headers.get("content-type")).to.match(/^application\/json/);
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function list(base: string): Promise<Record<string, unknown>[]> {
    const { status, body } = await call(base, "/api/users");
    expect(status, JSON.stringify(body)).to.equal(200);
    return body.users as Record<string, unknown>[];
}

describe("app: expand/contract migrations and the two versions (against a real PostgreSQL)", () => {
    let pg: TestPostgres;
    let admin: Pool;
    const databases: string[] = [];
    const pools: Pool[] = [];
    let apps: AppProcess[] = [];

    before(async function () {
        this.timeout(90_000);
        pg = await startPostgres();
        admin = new Pool({ connectionString: pg.url, max: 2 });
    });

    after(async function () {
        this.timeout(90_000);
        await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
        for (const name of databases) {
            await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
        }
        await admin?.end().catch(() => undefined);
        await pg?.stop();
    });

    afterEach(async function () {
        this.timeout(60_000);
        const running = apps;
        apps = [];
        await Promise.all(running.map((a) => a.stop().catch(() => undefined)));
    });

    /** A new, empty database on the test server: its URL and a pool on it. */
    async function fresh(): Promise<{ url: string; db: Pool }> {
        const name = `slotshift_migrations_${process.pid}_${databases.length}`;
        await admin.query(`CREATE DATABASE ${name}`);
        databases.push(name);
        const url = new URL(pg.url);
        url.pathname = `/${name}`;
        const db = new Pool({ connectionString: url.toString(), max: 3 });
        pools.push(db);
        return { url: url.toString(), db };
    }

    /** Starts the app as a process, as one slot's pod runs it. */
    async function slot(url: string, colour: "blue" | "green", version: string): Promise<AppProcess> {
        const app = await startApp({ PORT: "0", SLOT: colour, APP_VERSION: version, ENVIRONMENT: "dev", DATABASE_URL: url });
        apps.push(app);
        return app;
    }

    async function expanded(): Promise<{ url: string; db: Pool }> {
        const d = await fresh();
        const run = await migrate(["expand"], { DATABASE_URL: d.url });
        expect(run.code, run.stderr).to.equal(0);
        return d;
    }

    async function column(db: Pool): Promise<{ is_nullable: string; column_default: string | null; data_type: string } | undefined> {
        const { rows } = await db.query<{ is_nullable: string; column_default: string | null; data_type: string }>(
            "SELECT is_nullable, column_default, data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email_verified'",
        );
        return rows[0];
    }

    async function recorded(db: Pool): Promise<string[]> {
        const { rows } = await db.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY applied_at, name");
        return rows.map((r) => r.name);
    }

    describe("which behaviour APP_VERSION selects", () => {
        it("writes and reads email_verified from 1.3.0 on (numerically, pre-releases of 1.3.0 included); anything else, unknown included, is 1.2.x", () => {
            for (const v of ["1.3.0", "1.3.0-rc.1", "1.3.1", "1.10.0", "2.0.0", "v1.3.0", "1.3.0+build.7"]) {
                expect(usesEmailVerified(v), v).to.equal(true);
            }
            for (const v of ["1.2.0", "1.2.99", "0.9.0", "1.2.0-rc.1", "unknown", "", "1.3", "latest", "01.3.0"]) {
                expect(usesEmailVerified(v), v).to.equal(false);
            }
            expect(parseVersion("1.3.0-rc.1")).to.deep.equal([1, 3, 0]);
        });

        it("reads a POST's body: 1.3.0 takes an optional boolean emailVerified, 1.2.x ignores it", () => {
            expect(parseNewUser({ email: "a@example.test", emailVerified: true }, true)).to.deep.equal({ email: "a@example.test", emailVerified: true });
            expect(parseNewUser({ email: "a@example.test" }, true)).to.deep.equal({ email: "a@example.test", emailVerified: false });
            expect(parseNewUser({ email: "a@example.test", emailVerified: "yes" }, true)).to.match(/emailVerified/);
            expect(parseNewUser({ email: "a@example.test", emailVerified: "yes" }, false)).to.deep.equal({ email: "a@example.test", emailVerified: false });
            for (const bad of [null, [], "a@example.test", {}, { email: "" }, { email: "no-at" }, { email: 7 }, { email: `${"a".repeat(250)}@x.test` }]) {
                expect(parseNewUser(bad, true), JSON.stringify(bad)).to.be.a("string");
            }
        });
    });

    describe("node migrate.js", () => {
        it("expand on an empty database creates the 1.2.x table and adds email_verified (nullable, no default); run twice, the second is a no-op and schema_migrations shows each step once", async () => {
            const { url, db } = await fresh();
            const first = await migrate(["expand"], { DATABASE_URL: url });
            expect(first.code, first.stderr).to.equal(0);
            expect(first.stderr).to.equal("");
            expect(first.stdout.trimEnd().split("\n")).to.deep.equal([
                "migrate: base: applied: users (id, email, created_at) exists",
                "migrate: expand: applied: users.email_verified BOOLEAN exists, nullable, no default",
            ]);
            expect(await column(db)).to.deep.equal({ is_nullable: "YES", column_default: null, data_type: "boolean" });
            const before = await db.query("SELECT name, applied_at FROM schema_migrations ORDER BY name");

            const second = await migrate(["expand"], { DATABASE_URL: url });
            expect(second.code, second.stderr).to.equal(0);
            const lines = second.stdout.trimEnd().split("\n");
            expect(lines).to.have.length(2);
            expect(lines[0]).to.match(/^migrate: base: already applied at \d{4}-\d{2}-\d{2}T[\d:.]+Z; nothing to do$/);
            expect(lines[1]).to.match(/^migrate: expand: already applied at \d{4}-\d{2}-\d{2}T[\d:.]+Z; nothing to do$/);
            const after = await db.query("SELECT name, applied_at FROM schema_migrations ORDER BY name");
            expect(after.rows).to.deep.equal(before.rows);
            expect(await recorded(db)).to.have.members(["base", "expand"]).and.have.length(2);
            expect(await column(db)).to.deep.equal({ is_nullable: "YES", column_default: null, data_type: "boolean" });
        });

        it("base alone makes the table 1.2.x knows; expand after it adds only the column", async () => {
            const { url, db } = await fresh();
            expect((await migrate(["base"], { DATABASE_URL: url })).stdout).to.equal("migrate: base: applied: users (id, email, created_at) exists\n");
            expect(await column(db)).to.equal(undefined);
            const expand = await migrate(["expand"], { DATABASE_URL: url });
            expect(expand.code).to.equal(0);
            expect(expand.stdout).to.match(/^migrate: base: already applied at .*\nmigrate: expand: applied: /);
            expect(await recorded(db)).to.deep.equal(["base", "expand"]);
        });

        it("refuses the contract before the expand (exit 1, one line), changing nothing", async () => {
            const { url, db } = await fresh();
            const run = await migrate(["contract"], { DATABASE_URL: url });
            expect(run.code).to.equal(1);
            expect(oneErrorLine(run)).to.equal(
                "migrate: contract refused: expand has not run; run `node migrate.js expand` first, and contract only once no version older than 1.3.0 can take traffic",
            );
            const { rows } = await db.query("SELECT to_regclass('schema_migrations') AS t, to_regclass('users') AS u");
            expect(rows[0]).to.deep.equal({ t: null, u: null });
        });

        it("the contract backfills the NULLs 1.2.x left with false, drops a default (the seed's DEFAULT false) and sets NOT NULL; run twice, the second is a no-op", async () => {
            const { url, db } = await expanded();
            await db.query("INSERT INTO users (email) VALUES ('old1@example.test'), ('old2@example.test')");
            // The seed's expand gave the column DEFAULT false; an operator may have added it by hand.
            await db.query("ALTER TABLE users ALTER COLUMN email_verified SET DEFAULT false");
            await db.query("INSERT INTO users (email) VALUES ('old3@example.test')");
            await db.query("INSERT INTO users (email, email_verified) VALUES ('new@example.test', true)");

            const first = await migrate(["contract"], { DATABASE_URL: url });
            expect(first.code, first.stderr).to.equal(0);
            expect(first.stdout).to.equal("migrate: contract: applied: 2 rows backfilled (email_verified NULL to false), default dropped, NOT NULL set\n");
            expect(await column(db)).to.deep.equal({ is_nullable: "NO", column_default: null, data_type: "boolean" });
            const { rows } = await db.query<{ email: string; email_verified: boolean }>("SELECT email, email_verified FROM users ORDER BY id");
            expect(rows.map((r) => [r.email, r.email_verified])).to.deep.equal([
                ["old1@example.test", false],
                ["old2@example.test", false],
                ["old3@example.test", false],
                ["new@example.test", true],
            ]);

            const second = await migrate(["contract"], { DATABASE_URL: url });
            expect(second.code, second.stderr).to.equal(0);
            expect(second.stdout).to.match(/^migrate: contract: already applied at \S+Z; nothing to do\n$/);
            expect(await recorded(db)).to.deep.equal(["base", "expand", "contract"]);
            // What breaks 1.2.x: an insert that does not name the column.
            const failed = await db.query("INSERT INTO users (email) VALUES ('old4@example.test')").then(
                () => undefined,
                (e: { code?: string }) => e.code,
            );
            expect(failed).to.equal("23502");
        });

        it("waits at most MIGRATE_LOCK_TIMEOUT_MS behind a writer's open transaction, then fails rolled back (exit 1, one line), recording nothing; run again, it applies", async () => {
            const { url, db } = await expanded();
            const writer = await db.connect();
            try {
                await writer.query("BEGIN");
                await writer.query("INSERT INTO users (email) VALUES ('slow@example.test')");
                const began = Date.now();
                const run = await migrate(["contract"], { DATABASE_URL: url, MIGRATE_LOCK_TIMEOUT_MS: "300" });
                expect(run.code).to.equal(1);
                expect(oneErrorLine(run)).to.equal("migrate: contract failed and was rolled back: canceling statement due to lock timeout (SQLSTATE 55P03)");
                expect(Date.now() - began).to.be.below(MIGRATE_TIMEOUT_MS);
                await writer.query("COMMIT");
            } finally {
                writer.release();
            }
            expect(await recorded(db)).to.deep.equal(["base", "expand"]);
            expect(await column(db)).to.deep.include({ is_nullable: "YES" });

            const again = await migrate(["contract"], { DATABASE_URL: url });
            expect(again.code, again.stderr).to.equal(0);
            expect(again.stdout).to.include("1 row backfilled");
        });

        describe("exit codes and the one line on stderr", () => {
            it("no DATABASE_URL (unset or blank): exit 1, 'DATABASE_URL is not set'", async () => {
                const runs = await Promise.all(([{}, { DATABASE_URL: "  " }] as Record<string, string>[]).map((env) => migrate(["expand"], env)));
                for (const run of runs) {
                    expect(run.code).to.equal(1);
                    expect(oneErrorLine(run)).to.equal("migrate: DATABASE_URL is not set");
                }
            });

            it("a DATABASE_URL that is not a postgres URL: exit 1, without echoing it", async () => {
                const run = await migrate(["expand"], { DATABASE_URL: "mysql://app:s3cret@127.0.0.1/db" });
                expect(run.code).to.equal(1);
                expect(oneErrorLine(run)).to.equal("migrate: DATABASE_URL is not a postgres:// or postgresql:// URL");
            });

            it("an unreachable database (a closed loopback port): exit 1, naming host and port, never the password", async () => {
                const port = await closedPort();
                const run = await migrate(["expand"], { DATABASE_URL: `postgresql://app:s3cret@127.0.0.1:${port}/market` });
                expect(run.code).to.equal(1);
                const line = oneErrorLine(run);
                expect(line).to.equal(`migrate: cannot connect to the database at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
                expect(line).to.not.include("s3cret");
            });

            it("an unknown migration name, none, or two: exit 2 with the usage, before touching the database", async () => {
                const usage = "usage: node migrate.js base | expand | contract   (the database: DATABASE_URL)";
                const port = await closedPort();
                const env = { DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/postgres` };
                const cases: [string[], string][] = [
                    [["drop"], `migrate: unknown migration "drop"; ${usage}`],
                    [["EXPAND"], `migrate: unknown migration "EXPAND"; ${usage}`],
                    [[], `migrate: no migration named; ${usage}`],
                    [["expand", "contract"], `migrate: one migration name expected; ${usage}`],
                ];
                const runs = await Promise.all(cases.map(([args]) => migrate(args, env)));
                for (const [i, [args, expected]] of cases.entries()) {
                    expect(runs[i].code, args.join(" ")).to.equal(2);
                    expect(oneErrorLine(runs[i])).to.equal(expected);
                }
            });
        });
    });

    describe("1.2.0 and 1.3.0 on one database (the app as processes)", () => {
        it("both serve reads and writes at the same time on the expanded schema (both slots live during a canary)", async () => {
            const { url, db } = await expanded();
            const [blue, green] = await Promise.all([slot(url, "blue", "1.2.0"), slot(url, "green", "1.3.0")]);
            expect(blue.listening).to.include({ version: "1.2.0", database: true, emailVerified: false });
            expect(green.listening).to.include({ version: "1.3.0", database: true, emailVerified: true });
            for (const app of [blue, green]) {
                const { status, body } = await call(app.base, "/api/health");
                expect(status).to.equal(200);
                expect(body.checks).to.deep.equal({ process: "ok", memory: "ok", database: "ok" });
            }

            // Interleaved writes from both slots, as a canary's traffic split sends them.
            const writes = await Promise.all(
                [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
                    i % 2 === 0 ? post(blue.base, { email: `old${i}@example.test`, emailVerified: true }) : post(green.base, { email: `new${i}@example.test`, emailVerified: i % 4 === 1 }),
                ),
            );
            for (const [i, w] of writes.entries()) {
                expect(w.status, JSON.stringify(w.body)).to.equal(201);
                expect(Object.keys(w.body)).to.deep.equal(i % 2 === 0 ? USER_KEYS_1_2 : USER_KEYS_1_3);
            }

            const [oldView, newView] = await Promise.all([list(blue.base), list(green.base)]);
            expect(oldView).to.have.length(8);
            expect(newView).to.have.length(8);
            for (const u of oldView) {
                expect(Object.keys(u)).to.deep.equal(USER_KEYS_1_2);
            }
            for (const u of newView) {
                expect(Object.keys(u)).to.deep.equal(USER_KEYS_1_3);
                const i = Number(/\d+/.exec(u.email as string)?.[0]);
                // 1.2.0 ignored the emailVerified it was sent: its rows hold NULL, which 1.3.0 reads as false.
                expect(u.emailVerified, u.email as string).to.equal(i % 2 === 0 ? false : i % 4 === 1);
            }
            expect(newView.map((u) => u.id)).to.deep.equal(oldView.map((u) => u.id));
            const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM users WHERE email_verified IS NULL");
            expect(rows[0].n).to.equal("4");
        });

        it("a rollback after the expand is safe: 1.2.0 keeps reading and writing after 1.3.0 wrote rows, and leaves them as 1.3.0 wrote them", async () => {
            const { url, db } = await expanded();
            const blue = await slot(url, "blue", "1.2.0"); // the warm slot, kept for an instant rollback
            const green = await slot(url, "green", "1.3.0");
            expect((await post(green.base, { email: "verified@example.test", emailVerified: true })).status).to.equal(201);
            expect((await post(green.base, { email: "unverified@example.test" })).status).to.equal(201);
            await green.stop(); // the rollback: 1.3.0 leaves, 1.2.0 takes all the traffic

            const seen = await list(blue.base);
            expect(seen.map((u) => u.email)).to.deep.equal(["unverified@example.test", "verified@example.test"]);
            expect(Object.keys(seen[0])).to.deep.equal(USER_KEYS_1_2);
            const created = await post(blue.base, { email: "after-rollback@example.test" });
            expect(created.status).to.equal(201);

            const { rows } = await db.query<{ email: string; email_verified: boolean | null }>("SELECT email, email_verified FROM users ORDER BY id");
            expect(rows.map((r) => [r.email, r.email_verified])).to.deep.equal([
                ["verified@example.test", true],
                ["unverified@example.test", false],
                ["after-rollback@example.test", null],
            ]);
            // And forward again: 1.3.0 finds its rows as it wrote them, 1.2.0's as not verified.
            const again = await slot(url, "green", "1.3.0");
            expect((await list(again.base)).map((u) => [u.email, u.emailVerified])).to.deep.equal([
                ["after-rollback@example.test", false],
                ["unverified@example.test", false],
                ["verified@example.test", true],
            ]);
        });

        it("after the contract 1.2.0's writes fail (500; its probes stay green) while its reads and 1.3.0 keep working: why the contract waits until no older version can take traffic", async () => {
            const { url } = await expanded();
            const [blue, green] = await Promise.all([slot(url, "blue", "1.2.0"), slot(url, "green", "1.3.0")]);
            expect((await post(blue.base, { email: "before@example.test" })).status).to.equal(201);

            // What slotshift refuses (contract-after-every-slot): a contract while 1.2.0 can still take traffic.
            const contract = await migrate(["contract"], { DATABASE_URL: url });
            expect(contract.code, contract.stderr).to.equal(0);
            expect(contract.stdout).to.include("1 row backfilled");

            const failed = await post(blue.base, { email: "after@example.test" });
            expect(failed.status).to.equal(500);
            expect(failed.body).to.deep.equal({ error: "internal error" });
            const logged = blue
                .output()
                .stdout.split("\n")
                .filter((l) => l.includes('"request-error"'))
                .map((l) => JSON.parse(l) as Record<string, unknown>);
            expect(logged).to.have.length(1);
            expect(logged[0]).to.include({ event: "request-error", path: "/api/users", code: "23502" });
            expect(logged[0].message).to.match(/null value in column "email_verified"/);
            // The old slot stays ready: SELECT 1 answers, so nothing takes it out of service.
            const health = await call(blue.base, "/api/health");
            expect(health.status).to.equal(200);
            expect((await list(blue.base)).map((u) => u.email)).to.deep.equal(["before@example.test"]);

            expect((await post(green.base, { email: "new@example.test", emailVerified: true })).status).to.equal(201);
            expect((await list(green.base)).map((u) => [u.email, u.emailVerified])).to.deep.equal([
                ["new@example.test", true],
                ["before@example.test", false],
            ]);
        });

        it("1.3.0 on a schema without the expand fails its /api/users calls (500) while its health stays 200: the expand must come first", async () => {
            const { url } = await fresh();
            expect((await migrate(["base"], { DATABASE_URL: url })).code).to.equal(0);
            const [blue, green] = await Promise.all([slot(url, "blue", "1.2.0"), slot(url, "green", "1.3.0")]);
            expect((await post(blue.base, { email: "old@example.test" })).status).to.equal(201);
            expect((await call(green.base, "/api/users")).status).to.equal(500);
            expect((await post(green.base, { email: "new@example.test" })).status).to.equal(500);
            expect((await call(green.base, "/api/health")).status).to.equal(200);
            expect(green.output().stdout).to.match(/"code":"42703"/); // undefined_column
        });
    });

    describe("the image", () => {
        it("compiles migrate.ts beside main.ts: the build's tsconfig, the Dockerfile's COPY and .dockerignore name the same sources", () => {
            const app = path.join(ROOT, "app");
            const read = (f: string): string => fs.readFileSync(path.join(app, f), "utf8");
            // tsconfig.json has comments: take the files list only.
            const files = (JSON.parse(/"files":\s*(\[[^\]]*\])/.exec(read("tsconfig.json"))?.[1] ?? "[]") as string[]).sort();
            expect(files).to.include.members(["main.ts", "migrate.ts", "migrations.ts", "users.ts", "server.ts", "database.ts"]);
            const copied = (/^COPY tsconfig\.json (.+) \.\/$/m.exec(read("Dockerfile"))?.[1] ?? "").split(" ").sort();
            expect(copied).to.deep.equal(files);
            const allowed = read(".dockerignore")
                .split("\n")
                .filter((l) => l.startsWith("!") && l.endsWith(".ts"))
                .map((l) => l.slice(1))
                .sort();
            expect(allowed).to.deep.equal(files);
            // Every module the compiled files load is compiled too.
            for (const f of files) {
                for (const [, dep] of read(f).matchAll(/from "\.\/([a-z]+)"/g)) {
                    expect(files, `${f} imports ./${dep}`).to.include(`${dep}.ts`);
                }
            }
        });
    });

    describe("/api/users in-process", () => {
        it("answers 201, 400 (not JSON, a bad body), 413 (over 16 KiB), 405 with Allow: GET, POST, and 503 without a database", async () => {
            const { db } = await expanded();
            const app = await start({ APP_VERSION: "1.3.0" }, { users: createUsers(db, "1.3.0") });
            try {
                expect((await post(app.base, { email: "a@example.test" })).status).to.equal(201);
                expect(await post(app.base, undefined, "{not json")).to.deep.include({ status: 400, body: { error: "the body is not JSON" } });
                expect((await post(app.base, { email: "a@example.test", emailVerified: "yes" })).body).to.deep.equal({ error: "emailVerified must be true or false" });
                expect((await post(app.base, { name: "x" })).status).to.equal(400);
                expect((await post(app.base, { email: "a@example.test", pad: "x".repeat(17 * 1024) })).status).to.equal(413);
                for (const method of ["PUT", "DELETE", "HEAD", "PATCH"]) {
                    const res = await fetch(`${app.base}/api/users`, { method });
                    expect(res.status, method).to.equal(405);
                    expect(res.headers.get("allow")).to.equal("GET, POST");
                }
                const res = await fetch(`${app.base}/api/health`, { method: "POST" });
                expect(res.headers.get("allow")).to.equal("GET");
                expect((await list(app.base)).map((u) => u.email)).to.deep.equal(["a@example.test"]);
            } finally {
                await stop(app.server);
            }
            const none = await start({ APP_VERSION: "1.3.0" });
            try {
                expect(await call(none.base, "/api/users")).to.deep.include({ status: 503, body: { error: "no database: DATABASE_URL is not set" } });
                expect(await post(none.base, { email: "a@example.test" })).to.deep.include({ status: 503, body: { error: "no database: DATABASE_URL is not set" } });
            } finally {
                await stop(none.server);
            }
        });
    });
});
