/**
 * The app's one table, `users`, and the two behaviours the release process's expand/contract
 * example needs in one codebase (README, "The schema and the two versions"):
 *
 * - 1.2.x (APP_VERSION below 1.3.0, or not a version): knows `users (id, email, created_at)`;
 *   it inserts rows without `email_verified` and never reads it;
 * - 1.3.0 and later: writes `email_verified` on every insert and reads it, a NULL (a row an older
 *   version wrote after the expand) as false, the value the contract's backfill gives it.
 *
 * The schema itself is migrations.ts's; the app never changes it.
 */
import type { Pool } from "pg";

/** The first version that writes and reads `users.email_verified` (the expand's column). */
export const EMAIL_VERIFIED_SINCE = "1.3.0";

/** The longest `email` accepted (RFC 5321's limit on a path). */
export const EMAIL_MAX_LENGTH = 254;

/** How many users `GET /api/users` lists, newest first. */
export const LIST_LIMIT = 100;

/**
 * A version's major, minor and patch, or undefined when `text` is no semantic version.
 * A leading `v` is accepted; pre-release and build suffixes are ignored, so 1.3.0-rc.1
 * (a candidate of 1.3.0, which carries 1.3.0's code) behaves as 1.3.0.
 */
export function parseVersion(text: string): [number, number, number] | undefined {
    const m = /^v?(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(text.trim());
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/**
 * Whether the version APP_VERSION names writes and reads `email_verified`: 1.3.0 or later.
 * Anything that is not a version (`unknown` included) gets the 1.2.x behaviour, the one
 * that works on every schema from `base` until the contract.
 */
export function usesEmailVerified(version: string): boolean {
    const v = parseVersion(version);
    const since = parseVersion(EMAIL_VERIFIED_SINCE) as [number, number, number];
    if (!v) {
        return false;
    }
    for (let i = 0; i < 3; i++) {
        if (v[i] !== since[i]) {
            return v[i] > since[i];
        }
    }
    return true;
}

/** A user as the API answers it; `emailVerified` only from 1.3.0. */
export interface User {
    readonly id: number;
    readonly email: string;
    readonly createdAt: string;
    readonly emailVerified?: boolean;
}

/** A new user, as a POST's body gives it. */
export interface NewUser {
    readonly email: string;
    readonly emailVerified: boolean;
}

/**
 * Reads a POST's JSON body: `{"email": "..."}`, and from 1.3.0 an optional boolean
 * `emailVerified` (default false). 1.2.x ignores `emailVerified`, as it ignores any other key.
 * Returns the new user, or the 400's message.
 */
export function parseNewUser(body: unknown, emailVerified: boolean): NewUser | string {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
        return "the body must be a JSON object";
    }
    const { email, emailVerified: verified } = body as Record<string, unknown>;
    if (typeof email !== "string" || email.trim() === "" || email.length > EMAIL_MAX_LENGTH || !email.includes("@")) {
        return `email must be a string holding an @, at most ${EMAIL_MAX_LENGTH} characters`;
    }
    if (!emailVerified) {
        return { email, emailVerified: false };
    }
    if (verified !== undefined && typeof verified !== "boolean") {
        return "emailVerified must be true or false";
    }
    return { email, emailVerified: verified === true };
}

/** The users table as one version of the app uses it. */
export interface Users {
    /** Whether this version writes and reads `email_verified` (1.3.0 and later). */
    readonly emailVerified: boolean;
    /** The newest LIST_LIMIT users, newest first. */
    list(): Promise<User[]>;
    create(user: NewUser): Promise<User>;
}

interface Row {
    id: string | number;
    email: string;
    created_at: Date;
    email_verified?: boolean;
}

function toUser(row: Row, emailVerified: boolean): User {
    const user = { id: Number(row.id), email: row.email, createdAt: row.created_at.toISOString() };
    return emailVerified ? { ...user, emailVerified: row.email_verified === true } : user;
}

/** The users table through `pool`, as APP_VERSION `version` uses it. */
export function createUsers(pool: Pool, version: string): Users {
    const emailVerified = usesEmailVerified(version);
    // 1.2.x names only the base schema's columns; 1.3.0 reads a NULL as false (the contract's backfill).
    const columns = emailVerified ? "id, email, created_at, COALESCE(email_verified, false) AS email_verified" : "id, email, created_at";
    return {
        emailVerified,
        async list() {
            const { rows } = await pool.query<Row>(`SELECT ${columns} FROM users ORDER BY id DESC LIMIT ${LIST_LIMIT}`);
            return rows.map((r) => toUser(r, emailVerified));
        },
        async create(user) {
            const { rows } = emailVerified
                ? await pool.query<Row>(`INSERT INTO users (email, email_verified) VALUES ($1, $2) RETURNING ${columns}`, [user.email, user.emailVerified])
                : await pool.query<Row>(`INSERT INTO users (email) VALUES ($1) RETURNING ${columns}`, [user.email]);
            return toUser(rows[0], emailVerified);
        },
    };
}
