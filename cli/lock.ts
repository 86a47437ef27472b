/**
 * One slotshift edit of a stack file at a time, and nothing left behind.
 *
 * The lock is a file beside the real stack file (symlinks followed):
 * `.Pulumi.prod.yaml.slotshift.lock`, created with O_EXCL, holding the pid,
 * host, process start time and a nonce of its holder. A lock whose holder is
 * no longer running (same host, pid gone or reused) is taken over; a held lock
 * is waited for a bounded time, then the edit fails with a ConflictError naming
 * the holder's pid and the lock file.
 *
 * Files an edit creates for a moment (the lock, the temporary file of an
 * atomic write) are registered here and removed on SIGINT, SIGTERM, SIGHUP and
 * process exit, whatever the edit was doing.
 */
import { AsyncLocalStorage } from "async_hooks";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError } from "./stackFile";

/**
 * An edit that would lose another one: the file changed since it was read (by
 * another edit or an editor), or another slotshift edit holds its lock. Nothing
 * was written; running the command again is safe.
 */
export class ConflictError extends Error {
    constructor(
        message: string,
        /** What happened: the file's bytes changed, or the lock stayed held. */
        readonly reason: "changed" | "locked",
        /** The stack file (as the caller named it). */
        readonly file: string,
        /** The lock file, for reason "locked". */
        readonly lockFile?: string,
        /** The pid holding the lock, for reason "locked". */
        readonly holder?: number,
    ) {
        super(message);
        this.name = "ConflictError";
    }
}

/** How long to wait for a held lock. */
export interface LockOptions {
    /** The longest wait for a lock another edit holds, in ms (default 10 000). */
    readonly waitMs?: number;
    /** How often to look again, in ms (default 50). */
    readonly pollMs?: number;
}

/** What a lock file holds. */
export interface LockHolder {
    readonly pid: number;
    readonly host: string;
    /** When the holder took the lock (ISO 8601). */
    readonly since: string;
    /** The holder's start time in clock ticks since boot (Linux /proc), when known: tells a reused pid apart. */
    readonly procStart?: string;
    readonly nonce: string;
}

export const DEFAULT_LOCK_WAIT_MS = 10_000;
const DEFAULT_POLL_MS = 50;
/** A takeover guard older than this was left by a process that died taking over: remove it. */
const STALE_GUARD_MS = 5_000;
/** A lock file that is still empty or unreadable after this long was left by a process that died creating it. */
const STALE_EMPTY_LOCK_MS = 5_000;

// --- cleanup on signals and exit --------------------------------------------------------------

const cleanups = new Set<() => void>();
const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const installed = new Map<NodeJS.Signals, () => void>();
let exitInstalled = false;

function runCleanups(): void {
    for (const c of [...cleanups]) {
        cleanups.delete(c);
        try {
            c();
        } catch {
            // best effort: the others still run
        }
    }
}

function installHandlers(): void {
    if (!exitInstalled) {
        process.on("exit", runCleanups);
        exitInstalled = true;
    }
    for (const sig of SIGNALS) {
        if (installed.has(sig)) {
            continue;
        }
        const handler = (): void => {
            runCleanups();
            process.removeListener(sig, handler);
            installed.delete(sig);
            // Nobody else handles it: die of the signal as if we had never listened.
            if (process.listenerCount(sig) === 0) {
                process.kill(process.pid, sig);
            }
        };
        installed.set(sig, handler);
        process.on(sig, handler);
    }
}

/**
 * Registers a cleanup to run if the process is interrupted (SIGINT, SIGTERM,
 * SIGHUP) or exits before `unregister` is called. The handlers stay installed
 * once installed (a signal that arrives during synchronous work is delivered
 * after it and must still find them); with nothing registered they re-raise
 * the signal so the process ends as it would have.
 */
export function onInterrupt(cleanup: () => void): () => void {
    installHandlers();
    cleanups.add(cleanup);
    return () => {
        cleanups.delete(cleanup);
    };
}

// --- where the lock lives ----------------------------------------------------------------------

/**
 * The file a write really changes: symlinks followed. A file that does not
 * exist yet is resolved through its directory (and through a dangling symlink
 * to where it points).
 */
export function resolveTarget(file: string): string {
    let current = path.resolve(file);
    for (let hops = 0; hops < 40; hops++) {
        try {
            return fs.realpathSync(current);
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === "ELOOP") {
                throw new UsageError(`cannot use ${path.basename(file)}: it is a symlink loop (ELOOP)`);
            }
            if (code !== "ENOENT") {
                throw code === undefined ? e : new UsageError(`cannot use ${path.basename(file)}: ${(e as Error).message.split("\n")[0]}`);
            }
        }
        let link: string | undefined;
        try {
            link = fs.readlinkSync(current);
        } catch {
            link = undefined;
        }
        if (link === undefined) {
            // Not there yet: the directory's real path and the name.
            let dir = path.dirname(current);
            try {
                dir = fs.realpathSync(dir);
            } catch {
                // a missing directory: the write reports it
            }
            return path.join(dir, path.basename(current));
        }
        current = path.resolve(path.dirname(current), link);
    }
    throw new UsageError(`cannot use ${path.basename(file)}: it is a symlink loop (ELOOP)`);
}

/** The lock file of a stack file: beside its real target, `.Pulumi.prod.yaml.slotshift.lock`. */
export function lockPathOf(file: string): string {
    const target = resolveTarget(file);
    return path.join(path.dirname(target), `.${path.basename(target)}.slotshift.lock`);
}

// --- holders ------------------------------------------------------------------------------------

/** A process's start time in clock ticks since boot, from /proc (Linux); undefined elsewhere. */
function procStart(pid: number): string | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    } catch {
        return undefined;
    }
}

const SELF_START = procStart(process.pid);

/** Whether the process that wrote a lock is still running (on another host: assumed so). */
function holderAlive(h: LockHolder): boolean {
    if (h.host !== os.hostname()) {
        return true;
    }
    if (h.pid === process.pid) {
        // Ours only while this process holds it (a nonce it took); otherwise a dead process had our pid.
        return heldNonces.has(h.nonce);
    }
    try {
        process.kill(h.pid, 0);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ESRCH") {
            return false;
        }
        // EPERM: it runs, as another user.
    }
    const now = procStart(h.pid);
    return h.procStart === undefined || now === undefined || now === h.procStart;
}

function readHolder(lockFile: string): LockHolder | undefined {
    try {
        const v = JSON.parse(fs.readFileSync(lockFile, "utf8")) as Partial<LockHolder> | null;
        if (v && typeof v.pid === "number" && Number.isInteger(v.pid) && v.pid > 0 && typeof v.host === "string" && typeof v.nonce === "string") {
            return { pid: v.pid, host: v.host, since: String(v.since), procStart: typeof v.procStart === "string" ? v.procStart : undefined, nonce: v.nonce };
        }
    } catch {
        // being written right now, or not a lock file of ours
    }
    return undefined;
}

function ageMs(file: string): number {
    try {
        return Date.now() - fs.statSync(file).mtimeMs;
    } catch {
        return 0;
    }
}

function unlinkQuietly(file: string): void {
    try {
        fs.unlinkSync(file);
    } catch {
        // already gone
    }
}

/** The one-line message of a write that the file system refused. */
export function writeRefusal(file: string, dir: string, e: NodeJS.ErrnoException): UsageError {
    const name = path.basename(file);
    const code = e.code ?? "error";
    switch (code) {
        case "EACCES":
        case "EPERM":
            return new UsageError(`cannot write ${name}: the directory ${dir} is not writable (${code}); nothing written: make it writable, or run where you may write`);
        case "EROFS":
            return new UsageError(`cannot write ${name}: ${dir} is on a read-only file system (EROFS); nothing written`);
        case "ENOSPC":
        case "EDQUOT":
            return new UsageError(`cannot write ${name}: no space left for it in ${dir} (${code}); nothing written`);
        case "ENOENT":
            return new UsageError(`cannot write ${name}: the directory ${dir} does not exist (ENOENT); nothing written`);
        default:
            return new UsageError(`cannot write ${name}: ${e.message.split("\n")[0]}; nothing written`);
    }
}

// --- taking and releasing ---------------------------------------------------------------------

/** Nonces of the locks this process holds now. */
const heldNonces = new Set<string>();
/** The lock files held by the current async context (a nested withStackLock, or a write inside one). */
const context = new AsyncLocalStorage<ReadonlySet<string>>();

/** Whether the current code runs inside a lock of this file taken by this process. */
export function holdsStackLock(file: string): boolean {
    return context.getStore()?.has(lockPathOf(file)) ?? false;
}

type Attempt = { readonly taken: true; readonly release: () => void } | { readonly taken: false; readonly holder: LockHolder | undefined };

/** Removes a stale lock, unless another process replaced it meanwhile; returns whether to try again now. */
function takeOver(lockFile: string, stale: LockHolder | undefined): boolean {
    const guard = `${lockFile}.takeover`;
    let fd: number;
    try {
        fd = fs.openSync(guard, "wx", 0o644);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST" && ageMs(guard) > STALE_GUARD_MS) {
            unlinkQuietly(guard);
        }
        return false;
    }
    const unregister = onInterrupt(() => unlinkQuietly(guard));
    try {
        fs.closeSync(fd);
        const now = readHolder(lockFile);
        if ((stale === undefined && now === undefined) || (stale !== undefined && now?.nonce === stale.nonce)) {
            unlinkQuietly(lockFile);
        }
        return true;
    } finally {
        unlinkQuietly(guard);
        unregister();
    }
}

function tryLock(file: string, lockFile: string): Attempt {
    for (let i = 0; i < 3; i++) {
        const holder: LockHolder = {
            pid: process.pid,
            host: os.hostname(),
            since: new Date().toISOString(),
            procStart: SELF_START,
            nonce: randomBytes(8).toString("hex"),
        };
        let fd: number;
        try {
            fd = fs.openSync(lockFile, "wx", 0o644);
        } catch (e) {
            const err = e as NodeJS.ErrnoException;
            if (err.code !== "EEXIST") {
                throw writeRefusal(file, path.dirname(lockFile), err);
            }
            const other = readHolder(lockFile);
            const stale = other === undefined ? ageMs(lockFile) > STALE_EMPTY_LOCK_MS : !holderAlive(other);
            if (stale && takeOver(lockFile, other)) {
                continue;
            }
            return { taken: false, holder: other };
        }
        heldNonces.add(holder.nonce);
        let unregister = (): void => undefined;
        const release = (): void => {
            unregister();
            heldNonces.delete(holder.nonce);
            // Remove it only while it is still ours.
            if (readHolder(lockFile)?.nonce === holder.nonce) {
                unlinkQuietly(lockFile);
            }
        };
        unregister = onInterrupt(release);
        try {
            fs.writeSync(fd, `${JSON.stringify(holder)}\n`);
        } catch (e) {
            fs.closeSync(fd);
            unregister();
            heldNonces.delete(holder.nonce);
            unlinkQuietly(lockFile);
            throw writeRefusal(file, path.dirname(lockFile), e as NodeJS.ErrnoException);
        }
        fs.closeSync(fd);
        return { taken: true, release };
    }
    return { taken: false, holder: readHolder(lockFile) };
}

function lockedError(file: string, lockFile: string, holder: LockHolder | undefined): ConflictError {
    const who = holder === undefined ? "another slotshift edit" : `another slotshift edit (pid ${holder.pid}${holder.host !== os.hostname() ? ` on ${holder.host}` : ""})`;
    return new ConflictError(
        `${who} holds ${lockFile}; nothing written to ${path.basename(file)}: run the command again when it is done ` +
            `(remove the lock file only if no slotshift runs)`,
        "locked",
        file,
        lockFile,
        holder?.pid,
    );
}

function attempts(opts: LockOptions): { tries: number; pollMs: number } {
    const waitMs = Math.max(0, opts.waitMs ?? DEFAULT_LOCK_WAIT_MS);
    const pollMs = Math.max(1, opts.pollMs ?? DEFAULT_POLL_MS);
    return { tries: Math.ceil(waitMs / pollMs) + 1, pollMs };
}

/** A pause of about `ms`, a little shuffled so that waiters do not march in step. */
function jittered(ms: number): number {
    return Math.max(1, Math.round(ms * (0.75 + Math.random() * 0.5)));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Takes the lock of a stack file, waiting a bounded time (blocking: for the
 * short critical section of a write). Returns its release. Inside a lock this
 * context already holds, returns a release that does nothing.
 */
export function lockStackFileSync(file: string, opts: LockOptions = {}): () => void {
    const lockFile = lockPathOf(file);
    if (context.getStore()?.has(lockFile)) {
        return () => undefined;
    }
    const { tries, pollMs } = attempts(opts);
    let holder: LockHolder | undefined;
    for (let i = 0; i < tries; i++) {
        const a = tryLock(file, lockFile);
        if (a.taken) {
            return a.release;
        }
        holder = a.holder;
        if (holder?.pid === process.pid && heldNonces.has(holder.nonce)) {
            // This process holds it in another task: blocking would never see it released.
            break;
        }
        if (i + 1 < tries) {
            Atomics.wait(sleeper, 0, 0, jittered(pollMs));
        }
    }
    throw lockedError(file, lockFile, holder);
}

/**
 * Runs `fn` holding the exclusive lock of a stack file (waiting for it a
 * bounded time, then a ConflictError naming the holder). The lock is removed
 * when `fn` ends, throws, or the process is interrupted or exits. Nested calls
 * for the same file inside `fn` run without waiting.
 */
export async function withStackLock<T>(file: string, fn: () => T | Promise<T>, opts: LockOptions = {}): Promise<T> {
    const lockFile = lockPathOf(file);
    const held = context.getStore();
    if (held?.has(lockFile)) {
        return await fn();
    }
    const { tries, pollMs } = attempts(opts);
    let release: (() => void) | undefined;
    let holder: LockHolder | undefined;
    for (let i = 0; i < tries && release === undefined; i++) {
        const a = tryLock(file, lockFile);
        if (a.taken) {
            release = a.release;
        } else {
            holder = a.holder;
            if (i + 1 < tries) {
                await new Promise((resolve) => setTimeout(resolve, jittered(pollMs)));
            }
        }
    }
    if (release === undefined) {
        throw lockedError(file, lockFile, holder);
    }
    try {
        return await context.run(new Set([...(held ?? []), lockFile]), fn);
    } finally {
        release();
    }
}
