/**
 * The migration command in the image: `node migrate.js base | expand | contract`, with
 * DATABASE_URL (a Kubernetes Job's, from the database Secret). README, "Migrations".
 *
 * Prints one line per step on stdout and exits 0; on failure one line on stderr and exit 1
 * (no DATABASE_URL, not a postgres URL, the database unreachable, a step refused or failed and
 * rolled back); a missing or unknown migration name prints the usage and exits 2.
 */
import { Client } from "pg";
import { databaseUrl } from "./database";
import { MIGRATION_NAMES, MigrationRefused, isMigrationName, migrate, readLockTimeout } from "./migrations";

export const USAGE = `usage: node migrate.js ${MIGRATION_NAMES.join(" | ")}   (the database: DATABASE_URL)`;

/** How long connecting may take before the run fails. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** `host:port` of a postgres URL, for messages; never the URL itself (it may hold a password). */
function where(url: URL): string {
    return `${url.hostname || "localhost"}:${url.port || "5432"}`;
}

function oneLine(text: string): string {
    return text.replace(/\s+/g, " ").trim();
}

/** An error's message on one line; an AggregateError (every address of `localhost` refused) has none of its own. */
function errorText(e: unknown): string {
    if (e instanceof AggregateError && !e.message) {
        return oneLine(e.errors.map((x) => (x instanceof Error ? x.message : String(x))).join("; ")) || "connection failed";
    }
    return oneLine(e instanceof Error ? e.message || String((e as { code?: unknown }).code ?? e.name) : String(e));
}

/** Runs the command; returns the exit code. `out` and `err` take one line each call. */
export async function run(args: readonly string[], env: Record<string, string | undefined>, out: (line: string) => void, err: (line: string) => void): Promise<number> {
    const name = args[0];
    if (args.length !== 1 || name === undefined || !isMigrationName(name)) {
        err(name === undefined ? `migrate: no migration named; ${USAGE}` : `migrate: ${args.length !== 1 ? "one migration name expected" : `unknown migration ${JSON.stringify(name)}`}; ${USAGE}`);
        return EXIT_USAGE;
    }
    const text = databaseUrl(env);
    if (text === undefined) {
        err("migrate: DATABASE_URL is not set");
        return EXIT_FAILED;
    }
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        url = new URL("invalid:");
    }
    if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
        err("migrate: DATABASE_URL is not a postgres:// or postgresql:// URL");
        return EXIT_FAILED;
    }
    let lockTimeoutMs: number;
    try {
        lockTimeoutMs = readLockTimeout(env);
    } catch (e) {
        err(`migrate: ${(e as Error).message}`);
        return EXIT_FAILED;
    }

    const client = new Client({ connectionString: text, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: "slotshift-migrate" });
    // A connection that breaks mid-run: the query in flight rejects; this keeps the event from ending the process first.
    client.on("error", () => undefined);
    try {
        await client.connect();
    } catch (e) {
        err(`migrate: cannot connect to the database at ${where(url)}: ${errorText(e)}`);
        await client.end().catch(() => undefined);
        return EXIT_FAILED;
    }
    try {
        for (const line of await migrate(client, name, lockTimeoutMs)) {
            out(`migrate: ${line}`);
        }
        return EXIT_OK;
    } catch (e) {
        const message = errorText(e);
        if (e instanceof MigrationRefused) {
            err(`migrate: ${message}`);
        } else {
            const code = (e as { code?: unknown }).code;
            err(`migrate: ${name} failed and was rolled back: ${message}${typeof code === "string" ? ` (SQLSTATE ${code})` : ""}`);
        }
        return EXIT_FAILED;
    } finally {
        await client.end().catch(() => undefined);
    }
}

if (require.main === module) {
    void run(
        process.argv.slice(2),
        process.env,
        (line) => console.log(line),
        (line) => console.error(line),
    ).then((code) => {
        process.exitCode = code;
    });
}
