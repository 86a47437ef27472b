/**
 * The schema's migrations, the expand/contract way (README, "Migrations"), and the runner
 * `node migrate.js <name>` calls:
 *
 * - `base` (1.2.0): the table as 1.2.x knows it, `users (id, email, created_at)`;
 * - `expand` (1.3.0): adds `users.email_verified`, nullable and without a default. Backward
 *   compatible: 1.2.x never names it. Runs `base` first when it has not run;
 * - `contract` (1.3.1): backfills the NULLs 1.2.x left with false, drops any default and sets
 *   NOT NULL. From then on an insert that does not name the column (1.2.x's) fails: it runs only
 *   once no version older than 1.3.0 can take traffic. Refused until `expand` has run.
 *
 * A run is one transaction: every step it needs, each recorded in `schema_migrations (name,
 * applied_at)`, or nothing. A step already recorded is skipped, so any run may be repeated; the
 * statements are idempotent as well (IF NOT EXISTS, a backfill of NULLs only), for a schema
 * changed by hand before it was recorded.
 */
import type { ClientBase } from "pg";

export const MIGRATION_NAMES = ["base", "expand", "contract"] as const;
export type MigrationName = (typeof MIGRATION_NAMES)[number];

export function isMigrationName(name: string): name is MigrationName {
    return (MIGRATION_NAMES as readonly string[]).includes(name);
}

export const SCHEMA_MIGRATIONS_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
    name       TEXT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

/** `base`: the users table as 1.2.x knows it. */
export const BASE_SQL = `CREATE TABLE IF NOT EXISTS users (
    id         BIGSERIAL PRIMARY KEY,
    email      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

/** `expand`: the new column, nullable and without a default (README says why). */
export const EXPAND_SQL = "ALTER TABLE users ADD COLUMN IF NOT EXISTS email_verified BOOLEAN";

/** `contract`, in order: keep writers out while it runs, backfill, then make the column mandatory. */
export const CONTRACT_SQL = [
    "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE",
    "UPDATE users SET email_verified = false WHERE email_verified IS NULL",
    "ALTER TABLE users ALTER COLUMN email_verified DROP DEFAULT, ALTER COLUMN email_verified SET NOT NULL",
] as const;

/** The advisory lock every run holds for its transaction, so two runs (two Jobs) take turns. */
export const MIGRATION_LOCK_KEY = 0x736c6f74; // "slot"

/** How long a run waits for any lock (another run, the app's open transactions) when MIGRATE_LOCK_TIMEOUT_MS is unset. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

/** A run refused before it changed anything: a precondition does not hold. */
export class MigrationRefused extends Error {}

interface Step {
    readonly name: MigrationName;
    /** Steps that must already be recorded; the run is refused otherwise. */
    readonly requires: readonly MigrationName[];
    /** Applies the step inside the run's transaction; returns what it did, for the step's line. */
    apply(client: ClientBase): Promise<string>;
}

const STEPS: Readonly<Record<MigrationName, Step>> = {
    base: {
        name: "base",
        requires: [],
        async apply(client) {
            await client.query(BASE_SQL);
            return "users (id, email, created_at) exists";
        },
    },
    expand: {
        name: "expand",
        requires: [],
        async apply(client) {
            await client.query(EXPAND_SQL);
            return "users.email_verified BOOLEAN exists, nullable, no default";
        },
    },
    contract: {
        name: "contract",
        requires: ["expand"],
        async apply(client) {
            await client.query(CONTRACT_SQL[0]);
            const backfill = await client.query(CONTRACT_SQL[1]);
            await client.query(CONTRACT_SQL[2]);
            const n = backfill.rowCount ?? 0;
            return `${n} row${n === 1 ? "" : "s"} backfilled (email_verified NULL to false), default dropped, NOT NULL set`;
        },
    },
};

/** What a run of `name` does, in order: `expand` runs `base` first, `contract` needs `expand` done. */
export function planFor(name: MigrationName): readonly Step[] {
    switch (name) {
        case "base":
            return [STEPS.base];
        case "expand":
            return [STEPS.base, STEPS.expand];
        case "contract":
            return [STEPS.contract];
    }
}

/** Reads MIGRATE_LOCK_TIMEOUT_MS: an integer from 1 to 600000, DEFAULT_LOCK_TIMEOUT_MS when unset; throws otherwise. */
export function readLockTimeout(env: Record<string, string | undefined>): number {
    const text = env.MIGRATE_LOCK_TIMEOUT_MS?.trim();
    if (!text) {
        return DEFAULT_LOCK_TIMEOUT_MS;
    }
    const ms = /^[0-9]{1,6}$/.test(text) ? Number(text) : NaN;
    if (!(ms >= 1 && ms <= 600_000)) {
        throw new Error(`MIGRATE_LOCK_TIMEOUT_MS is ${JSON.stringify(env.MIGRATE_LOCK_TIMEOUT_MS)}; expected an integer from 1 to 600000`);
    }
    return ms;
}

/**
 * Runs migration `name` on a connected client, in one transaction; returns one line per step
 * (`<step>: applied: ...` or `<step>: already applied at <time>; nothing to do`). On any error
 * the transaction is rolled back and the error rethrown; MigrationRefused when a step's
 * requirement is not recorded.
 */
export async function migrate(client: ClientBase, name: MigrationName, lockTimeoutMs: number = DEFAULT_LOCK_TIMEOUT_MS): Promise<string[]> {
    await client.query("BEGIN");
    try {
        // Bounded waits: a run that queued behind a long transaction would queue every query of both slots behind its own lock.
        await client.query(`SET LOCAL lock_timeout = ${Math.trunc(lockTimeoutMs)}`);
        await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
        await client.query(SCHEMA_MIGRATIONS_SQL);
        const { rows } = await client.query<{ name: string; applied_at: Date }>("SELECT name, applied_at FROM schema_migrations");
        const applied = new Map(rows.map((r) => [r.name, r.applied_at]));
        const lines: string[] = [];
        for (const step of planFor(name)) {
            const at = applied.get(step.name);
            if (at) {
                lines.push(`${step.name}: already applied at ${at.toISOString()}; nothing to do`);
                continue;
            }
            const missing = step.requires.filter((r) => !applied.has(r));
            if (missing.length > 0) {
                throw new MigrationRefused(
                    `${step.name} refused: ${missing.join(", ")} has not run; run \`node migrate.js ${missing[missing.length - 1]}\` first, and ${step.name} only once no version older than 1.3.0 can take traffic`,
                );
            }
            const did = await step.apply(client);
            const recorded = await client.query<{ applied_at: Date }>("INSERT INTO schema_migrations (name) VALUES ($1) RETURNING applied_at", [step.name]);
            applied.set(step.name, recorded.rows[0].applied_at);
            lines.push(`${step.name}: applied: ${did}`);
        }
        await client.query("COMMIT");
        return lines;
    } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw e;
    }
}
