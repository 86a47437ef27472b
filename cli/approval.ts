/**
 * `slotshift approval-age`: whether the environment approval this job ran on is recent enough to
 * deploy. The release process says approvals "auto-reject after 24 hours"; GitHub has no such
 * setting (a job waits up to 30 days for its environment's reviewers, then deploys a decision taken
 * against a release that may have moved on). step.yml runs this before any edit.
 *
 *   slotshift approval-age --stack S [--repository OWNER/NAME] [--run-id N] [--now T]
 *
 * The limit is the stack's `slotshift:promotion.approvalTimeoutHours` (default 24). The run is read
 * from GitHub: GET /repos/{owner}/{repo}/actions/runs/{run_id} (octokit.rest.actions.getWorkflowRun).
 * Repository and run default to GITHUB_REPOSITORY and GITHUB_RUN_ID; the token is GITHUB_TOKEN (it
 * needs `actions: read`); the API is GITHUB_API_URL (default https://api.github.com; https, or http
 * on 127.0.0.1 only, for a local stand-in).
 *
 * When the run was queued: GitHub documents `created_at` as the run's creation and `run_started_at`
 * as "The start time of the latest run. Resets on re-run." (REST API, "Get a workflow run",
 * https://docs.github.com/en/rest/actions/workflow-runs?apiVersion=2022-11-28#get-a-workflow-run).
 * A re-run keeps `created_at` and bumps `run_attempt`. This check takes `run_started_at` (the
 * latest attempt's start), `created_at` only when GitHub gives none: re-running the job is how an
 * expired approval is renewed (the re-run waits for the environment's reviewers again), so the
 * age must start again with the attempt. With `created_at` an expired run could never deploy again
 * (a tag's run cannot be started anew), which no operator re-running it would expect.
 *
 * Exit codes: 0 approved within the limit; 9 over the limit (re-run the job); 10 GitHub could not
 * be read (401, 403, 404, 5xx after retries, a rate limit longer than this check waits, no answer
 * in time, a malformed answer): never "approved"; 1 the stack file's config is refused; 2 usage.
 */
import * as fs from "fs";
import { Command, Option } from "commander";
import { Octokit } from "@octokit/rest";
import { parseStackConfig } from "../rollout/config";
import { parseIsoTime, parseNow } from "./inputs";
import { Writer } from "./plan";
import { UsageError, findProjectRoot, readStackConfig } from "./stackFile";

/** The exit codes of `approval-age` (1 and 2 are every command's). */
export const APPROVAL_EXIT = { within: 0, refused: 1, usage: 2, over: 9, unreadable: 10 } as const;

/** GitHub's API when GITHUB_API_URL is not set. */
export const DEFAULT_API_URL = "https://api.github.com";

/** How long one call to GitHub may take, the answer's body included. */
export const REQUEST_TIMEOUT_MS = 10000;

/** Calls to GitHub at most: the first and two retries (a 5xx, no answer, or a short rate limit). */
export const MAX_ATTEMPTS = 3;

/** The longest rate-limit wait (retry-after, or until x-ratelimit-reset) this check takes itself. */
export const MAX_RATE_LIMIT_WAIT_SECONDS = 60;

/** The pause before retrying a 5xx or a call without an answer, times the attempt's number. */
export const RETRY_DELAY_MS = 2000;

/** A queued time ahead of now by at most this much is clock skew between GitHub and the runner (age 0). */
const CLOCK_SKEW_MS = 5 * 60000;

/** The options of `approval-age`, as commander gives them. */
export interface ApprovalOptions {
    readonly stack: string;
    readonly repository?: string;
    readonly runId?: string;
    readonly now?: string;
}

/** What `approval-age` needs from the world; tests give their own. */
export interface ApprovalDeps {
    readonly out: Writer;
    readonly err: Writer;
    readonly env: NodeJS.ProcessEnv;
    /** Waits between attempts. @default a timer */
    readonly sleep?: (ms: number) => Promise<void>;
    /** @default REQUEST_TIMEOUT_MS */
    readonly requestTimeoutMs?: number;
    /** @default RETRY_DELAY_MS */
    readonly retryDelayMs?: number;
}

/** GitHub could not be read, so there is no answer: exit 10, never "approved". */
export class GitHubUnreadableError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "GitHubUnreadableError";
    }
}

/** What this check reads of a workflow run. */
export interface RunTimes {
    readonly createdAt: Date;
    readonly runStartedAt: Date | undefined;
    readonly runAttempt: number | undefined;
    readonly status: string | undefined;
}

/** The age of an approval against the limit: what the line says. */
export interface ApprovalAge {
    readonly queuedAt: Date;
    /** Milliseconds from queued to now, 0 for a queued time slightly ahead (clock skew). */
    readonly ageMs: number;
    readonly limitHours: number;
    readonly within: boolean;
}

const LOOPBACK_HTTP = "127.0.0.1";

/** GITHUB_API_URL: https anywhere (GitHub Enterprise Server's /api/v3 too), http only on 127.0.0.1. */
export function parseApiUrl(text: string | undefined): string {
    const given = (text ?? "").trim();
    if (given === "") {
        return DEFAULT_API_URL;
    }
    const allowed = `allowed: an https URL of GitHub's REST API (default ${DEFAULT_API_URL}), or http on ${LOOPBACK_HTTP} for a local stand-in`;
    let url: URL;
    try {
        url = new URL(given);
    } catch {
        throw new UsageError(`GITHUB_API_URL ${JSON.stringify(given.slice(0, 200))} is not a URL; ${allowed}`);
    }
    const ok = url.protocol === "https:" || (url.protocol === "http:" && url.hostname === LOOPBACK_HTTP);
    if (!ok || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
        throw new UsageError(`GITHUB_API_URL ${JSON.stringify(given.slice(0, 200))} is not allowed; ${allowed}`);
    }
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

/** --repository or GITHUB_REPOSITORY: owner/name. */
function parseRepository(text: string | undefined, from: string): { owner: string; repo: string } {
    if (text === undefined || text === "") {
        throw new UsageError("no repository: give --repository OWNER/NAME, or set GITHUB_REPOSITORY (a workflow's job has it)");
    }
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(text);
    if (m === null || m[2] === "." || m[2] === "..") {
        throw new UsageError(`${from} ${JSON.stringify(text.slice(0, 200))} is not a repository; allowed: OWNER/NAME, e.g. octo-org/slotshift`);
    }
    return { owner: m[1], repo: m[2] };
}

/** --run-id or GITHUB_RUN_ID: a positive whole number. */
function parseRunId(text: string | undefined, from: string): number {
    if (text === undefined || text === "") {
        throw new UsageError("no workflow run: give --run-id N, or set GITHUB_RUN_ID (a workflow's job has it)");
    }
    const n = Number(text);
    if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(n)) {
        throw new UsageError(`${from} ${JSON.stringify(text.slice(0, 200))} is not a workflow run id; allowed: a positive whole number (GITHUB_RUN_ID)`);
    }
    return n;
}

/** "N h M min", minutes rounded down. */
export function formatAge(ms: number): string {
    const minutes = Math.floor(Math.max(0, ms) / 60000);
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The time a run's latest attempt was queued: `run_started_at`, else `created_at` (see the header). */
export function queuedAtOf(run: RunTimes): Date {
    return run.runStartedAt ?? run.createdAt;
}

/** Within the limit when the age is at most approvalTimeoutHours: exactly at it is still within. */
export function approvalAge(run: RunTimes, limitHours: number, now: Date): ApprovalAge {
    const queuedAt = queuedAtOf(run);
    const raw = now.getTime() - queuedAt.getTime();
    if (raw < -CLOCK_SKEW_MS) {
        throw new GitHubUnreadableError(
            `GitHub says the run was queued at ${queuedAt.toISOString()}, after now (${now.toISOString()}) by ${formatAge(-raw)}: the clock or --now is wrong, so no answer`,
        );
    }
    const ageMs = Math.max(0, raw);
    return { queuedAt, ageMs, limitHours, within: ageMs <= limitHours * 3600000 };
}

/** The one line of the answer. */
export function approvalLine(a: ApprovalAge): string {
    const queued = a.queuedAt.toISOString().replace(/\.000Z$/, "Z");
    if (a.within) {
        return `approved within the limit: queued at ${queued}, ${formatAge(a.ageMs)} ago (limit ${a.limitHours} h)`;
    }
    return (
        `approval too old: queued at ${queued}, ${formatAge(a.ageMs)} ago, longer than slotshift:promotion.approvalTimeoutHours (${a.limitHours} h); ` +
        `re-run the job to deploy now: it was approved ${formatAge(a.ageMs)} after it was queued; the limit is slotshift:promotion.approvalTimeoutHours`
    );
}

/** One line of GitHub's or the network's text, never the token. */
function said(text: string, token: string): string {
    const line = text.replace(/\s+/g, " ").trim().slice(0, 300);
    return token === "" ? line : line.split(token).join("[redacted]");
}

/** A GitHub failure, as Octokit's RequestError carries it. */
interface Failure {
    readonly status: number | undefined;
    readonly message: string;
    readonly headers: Readonly<Record<string, string | number | undefined>>;
}

function failureOf(e: unknown): Failure {
    const err = (typeof e === "object" && e !== null ? e : {}) as { status?: unknown; message?: unknown; response?: { headers?: unknown } };
    const headers = typeof err.response?.headers === "object" && err.response.headers !== null ? (err.response.headers as Record<string, string | number | undefined>) : {};
    return { status: typeof err.status === "number" ? err.status : undefined, message: typeof err.message === "string" ? err.message : String(e), headers };
}

/**
 * Seconds GitHub asks to wait when the failure is a rate limit, else undefined. GitHub: a primary
 * limit is 403 or 429 with x-ratelimit-remaining: 0 (wait until x-ratelimit-reset); a secondary one
 * carries retry-after; a 429 without either means wait at least a minute.
 */
function rateLimitWait(f: Failure, nowMs: number): number | undefined {
    if (f.status !== 403 && f.status !== 429) {
        return undefined;
    }
    const retryAfter = f.headers["retry-after"];
    if (retryAfter !== undefined && /^\d+$/.test(String(retryAfter).trim())) {
        return Number(String(retryAfter).trim());
    }
    if (String(f.headers["x-ratelimit-remaining"]) === "0") {
        const reset = Number(f.headers["x-ratelimit-reset"]);
        return Number.isFinite(reset) ? Math.max(0, Math.ceil(reset - nowMs / 1000)) : Number.POSITIVE_INFINITY;
    }
    return f.status === 429 ? 60 : undefined;
}

/** GitHub's time field: ISO 8601 (GitHub writes UTC with Z). */
function timeField(data: Record<string, unknown>, key: string, required: boolean): Date | undefined {
    const v = data[key];
    if (v === undefined || v === null) {
        if (required) {
            throw new GitHubUnreadableError(`GitHub's answer for the run has no ${key}: a malformed answer, so no verdict`);
        }
        return undefined;
    }
    const at = typeof v === "string" ? parseIsoTime(v, true) : undefined;
    if (at === undefined) {
        throw new GitHubUnreadableError(`GitHub's answer for the run has ${key} ${JSON.stringify(v).slice(0, 60)}, not an ISO 8601 time: a malformed answer, so no verdict`);
    }
    return at;
}

/** A run's times from GitHub's JSON, or GitHubUnreadableError. */
export function runTimesOf(data: unknown): RunTimes {
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
        throw new GitHubUnreadableError("GitHub's answer for the run is not a JSON object: a malformed answer, so no verdict");
    }
    const d = data as Record<string, unknown>;
    const attempt = d.run_attempt;
    return {
        createdAt: timeField(d, "created_at", true)!,
        runStartedAt: timeField(d, "run_started_at", false),
        runAttempt: typeof attempt === "number" && Number.isSafeInteger(attempt) && attempt >= 1 ? attempt : undefined,
        status: typeof d.status === "string" ? d.status : undefined,
    };
}

/** Reads the run from GitHub: bounded retries of 5xx, no answer and short rate limits; anything else fails at once. */
export async function readRun(
    where: { apiUrl: string; token: string; owner: string; repo: string; runId: number },
    opts: { sleep: (ms: number) => Promise<void>; requestTimeoutMs: number; retryDelayMs: number },
): Promise<RunTimes> {
    const quiet = () => undefined;
    const octokit = new Octokit({ auth: where.token, baseUrl: where.apiUrl, userAgent: "slotshift-approval-age", log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
    const what = `run ${where.runId} of ${where.owner}/${where.repo}`;
    let last = "";
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const signal = AbortSignal.timeout(opts.requestTimeoutMs);
        let data: unknown;
        try {
            const r = await octokit.rest.actions.getWorkflowRun({ owner: where.owner, repo: where.repo, run_id: where.runId, request: { signal } });
            data = r.data;
        } catch (e) {
            const f = failureOf(e);
            const text = said(f.message, where.token);
            const wait = rateLimitWait(f, Date.now());
            const left = attempt < MAX_ATTEMPTS;
            if (wait !== undefined) {
                if (left && wait <= MAX_RATE_LIMIT_WAIT_SECONDS) {
                    await opts.sleep(wait * 1000);
                    continue;
                }
                const ask = Number.isFinite(wait) ? `${wait} s` : "an unknown time";
                throw new GitHubUnreadableError(
                    `GitHub rate-limited the read of ${what} (${f.status} ${text}) and asks to wait ${ask}${left ? `, longer than the ${MAX_RATE_LIMIT_WAIT_SECONDS} s this check waits` : ` after ${attempt} attempts`}: re-run the job later`,
                );
            }
            const timedOut = signal.aborted;
            if (timedOut || f.status === undefined || f.status >= 500) {
                last = timedOut ? `no answer in ${opts.requestTimeoutMs / 1000} s` : `${f.status ?? "no status"} ${text}`;
                if (left) {
                    await opts.sleep(opts.retryDelayMs * attempt);
                    continue;
                }
                break;
            }
            const hint =
                f.status === 401
                    ? ": the token (GITHUB_TOKEN) was refused"
                    : f.status === 403
                      ? ": the token may not read Actions (the job needs permissions: actions: read)"
                      : f.status === 404
                        ? ": no such run, or the token cannot see the repository (permissions: actions: read)"
                        : "";
            throw new GitHubUnreadableError(`GitHub refused the read of ${what}: ${f.status} ${text}${hint}`);
        }
        if (signal.aborted) {
            // The body was cut by the timeout: whatever was parsed of it is not the answer.
            last = `no whole answer in ${opts.requestTimeoutMs / 1000} s`;
            if (attempt < MAX_ATTEMPTS) {
                await opts.sleep(opts.retryDelayMs * attempt);
                continue;
            }
            break;
        }
        return runTimesOf(data);
    }
    throw new GitHubUnreadableError(`GitHub could not be read for ${what} after ${MAX_ATTEMPTS} attempts: ${last}`);
}

/** Runs `approval-age`; returns the exit code. Usage errors throw UsageError, a refused config ConfigError. */
export async function approvalAgeCommand(opts: ApprovalOptions, deps: ApprovalDeps): Promise<number> {
    const { env, out, err } = deps;
    const now = opts.now === undefined ? new Date() : parseNow(opts.now);
    const { owner, repo } = parseRepository(opts.repository ?? env.GITHUB_REPOSITORY, opts.repository !== undefined ? "--repository" : "GITHUB_REPOSITORY");
    const runId = parseRunId(opts.runId ?? env.GITHUB_RUN_ID, opts.runId !== undefined ? "--run-id" : "GITHUB_RUN_ID");
    const apiUrl = parseApiUrl(env.GITHUB_API_URL);
    const token = env.GITHUB_TOKEN ?? "";
    if (token === "") {
        throw new UsageError("GITHUB_TOKEN is not set: the run is read with it (in a workflow: env GITHUB_TOKEN: ${{ github.token }}, and permissions: actions: read)");
    }
    // The stack file first: an unknown stack or a refused config is said before GitHub is asked.
    const root = findProjectRoot();
    const limitHours = parseStackConfig(readStackConfig(root, opts.stack).config, opts.stack).promotion.approvalTimeoutHours;
    let line: string;
    let code: number;
    try {
        const run = await readRun(
            { apiUrl, token, owner, repo, runId },
            { sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))), requestTimeoutMs: deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, retryDelayMs: deps.retryDelayMs ?? RETRY_DELAY_MS },
        );
        const age = approvalAge(run, limitHours, now);
        line = approvalLine(age);
        code = age.within ? APPROVAL_EXIT.within : APPROVAL_EXIT.over;
        out.write(`${line}\n`);
    } catch (e) {
        if (!(e instanceof GitHubUnreadableError)) {
            throw e;
        }
        line = `GitHub could not be read, so the approval's age is unknown (never taken as approved): ${e.message}`;
        code = APPROVAL_EXIT.unreadable;
        err.write(`slotshift approval-age: ${line}\n`);
    }
    if (env.GITHUB_STEP_SUMMARY) {
        fs.appendFileSync(env.GITHUB_STEP_SUMMARY, `slotshift approval-age ${opts.stack}: ${line}\n`);
    }
    return code;
}

/**
 * Adds `approval-age` to the slotshift command (cli/main.ts). `io` is main's writers and environment;
 * tests may add the waits' and timeouts' stand-ins of ApprovalDeps.
 */
export function registerApproval(program: Command, io: { out: Writer; err: Writer; env: NodeJS.ProcessEnv } & Omit<ApprovalDeps, "out" | "err" | "env">, setCode: (code: number) => void): void {
    program
        .command("approval-age")
        .description(
            "whether this workflow run's environment approval is recent enough to deploy: at most slotshift:promotion.approvalTimeoutHours (default 24) since the run's latest attempt was queued (exit 0; 9 too old: re-run the job; 10 GitHub could not be read)",
        )
        .requiredOption("-s, --stack <stack>", "the stack (Pulumi.<stack>.yaml): its slotshift:promotion.approvalTimeoutHours")
        .option("--repository <owner/name>", "the repository of the run (default GITHUB_REPOSITORY)")
        .option("--run-id <n>", "the workflow run (default GITHUB_RUN_ID)")
        .addOption(new Option("--now <time>", "judge as at this ISO 8601 UTC time"))
        .addHelpText(
            "after",
            "\nReads GET /repos/{owner}/{repo}/actions/runs/{run_id} with GITHUB_TOKEN (permissions: actions: read) from GITHUB_API_URL " +
                `(default ${DEFAULT_API_URL}; http only on 127.0.0.1). The age runs from the latest attempt's start (run_started_at): re-running the job asks the reviewers again and starts it anew.`,
        )
        .action(async function (this: Command) {
            setCode(await approvalAgeCommand(this.opts<ApprovalOptions>(), io));
        });
}
