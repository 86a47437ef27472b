/**
 * The rollback relay: an Azure Function (Node.js programming model v4) that the
 * rollback action group of a stack calls (webhook receiver, common alert
 * schema), and that turns a fired rollback trigger into a GitHub
 * `repository_dispatch` of type `slotshift-rollback`
 * (.github/workflows/rollback.yml).
 *
 * App settings it reads (components/rollbackRelay.ts sets them):
 * - `RELAY_SECRET`: the shared secret a caller must present as the `secret`
 *   query parameter (the action group's webhook URL carries it). The function is
 *   `authLevel: "anonymous"`: no Functions host key is involved, so deploying the
 *   relay never has to read keys from the function host.
 * - `GITHUB_TOKEN`: may create dispatch events on the repository. GitHub: "OAuth
 *   app tokens and personal access tokens (classic) need the `repo` scope to use
 *   this endpoint"; for fine-grained tokens and GitHub Apps the endpoint is listed
 *   under the repository permission "Contents" (write).
 * - `GITHUB_REPOSITORY`: `owner/name`.
 * - `SLOTSHIFT_STACK`: the one stack this relay serves.
 * - `GITHUB_API_URL`: optional, default https://api.github.com (tests point it at loopback).
 *
 * Answers (the action group reads only the status):
 * - 401, empty: the `secret` query parameter is missing or wrong. Compared in
 *   constant time; neither value is ever logged or answered. No log line either:
 *   an anonymous endpoint must not let anyone fill the logs, and the host's own
 *   request telemetry records the 401 (without the query string, which the host
 *   strips from request URLs by default). Not retried by the action group.
 * - 200 `{ dispatched, reason }`: dispatched, or skipped on purpose (resolved,
 *   test notification, not a rollback trigger, other stack, slot unknown, bad body).
 * - 502: GitHub refused for good (401, 403 without rate-limit headers, 404, 422...).
 *   Not retried by the action group, and retrying would not help.
 * - 503: GitHub failed transiently (5xx, network, timeout, a rate limit longer
 *   than the relay can wait). The action group retries it: "The status codes 408,
 *   429, 503, 504, or HttpRequestException, WebException, `TaskCancellationException`
 *   allow for the call to be retried", "at least 1 more time, and up to 5 times
 *   (5 retries) at various delay intervals (5, 20, 40 seconds)", and "After
 *   retries attempted to call the webhook fail, no action group calls the
 *   endpoint for 15 minutes." (Action groups, "Webhook retry behavior",
 *   MicrosoftDocs/azure-monitor-docs articles/azure-monitor/alerts/action-groups.md).
 * - 500: the relay's own settings are wrong (never retried).
 * No answer or log line ever contains the token or the secret.
 *
 * Time: the action group gives a webhook 10 seconds ("The webhook response
 * timeout period is 10 seconds", an older revision of the same article), and a
 * call it times out is retried: a duplicate dispatch if GitHub had accepted it,
 * and a step towards the 15-minute silence. So the relay spends at most
 * `RELAY_BUDGET_MS` (7 s) on GitHub, leaving the rest for a cold start:
 * - one call, cut at `REQUEST_TIMEOUT_MS` (4 s);
 * - no retry of GitHub's 5xx, network failures or timeouts: 503 at once, and the
 *   action group retries (5 s later, then 20, 40);
 * - a rate limit (403 or 429 with `retry-after`, or `x-ratelimit-remaining: 0`):
 *   GitHub says "If the `retry-after` response header is present, you should not
 *   retry your request until after that many seconds has elapsed" and
 *   "Continuing to make requests while you are rate limited may result in the
 *   banning of your integration" (github/docs, REST API best practices). The
 *   relay waits once, when GitHub asks for at most `MAX_RETRY_AFTER_SECONDS`
 *   (2 s) and the wait plus a whole second call still ends within the budget;
 *   else it answers 503 at once, with GitHub's `retry-after`.
 * Worst case: 7 s (a rate-limited answer after up to 1 s, a 2 s wait, a second
 * call cut at 4 s); without a rate limit, 4 s. Dispatches are not idempotent: a
 * retried call that GitHub had in fact accepted starts a second rollback run,
 * which the workflow's decide job turns into a no-op (the candidate is no longer
 * taking traffic).
 */
import { createHash, timingSafeEqual } from "crypto";
import { app, HttpResponseInit } from "@azure/functions";
import { Octokit } from "@octokit/rest";
import { forwardDecision, RollbackDispatch } from "./forward";

/** The repository dispatch event type the rollback workflow listens to. */
export const EVENT_TYPE = "slotshift-rollback";

/** GitHub's API when `GITHUB_API_URL` is not set. */
export const DEFAULT_API_URL = "https://api.github.com";

/** How long one call to GitHub may take. */
export const REQUEST_TIMEOUT_MS = 4000;

/** The longest `retry-after` the relay honours itself before answering 503. */
export const MAX_RETRY_AFTER_SECONDS = 2;

/**
 * The most time one invocation spends on GitHub, waits included: under the
 * action group's 10 s webhook timeout with room for a cold start. A rate-limit
 * wait is taken only when the wait and a whole second call fit in it.
 */
export const RELAY_BUDGET_MS = 7000;

/** The query parameter that carries the shared secret. */
export const SECRET_PARAMETER = "secret";

/** The shortest `RELAY_SECRET` the relay accepts (components/rollbackRelay.ts derives 64 hex digits). */
export const MIN_SECRET_LENGTH = 32;

/** The relay's settings, from app settings. */
export interface RelaySettings {
    readonly token: string;
    readonly owner: string;
    readonly repo: string;
    readonly stack: string;
    readonly apiUrl: string;
}

/** App settings as the Functions host passes them: the process environment. */
export type AppSettings = Readonly<Record<string, string | undefined>>;

/** An `owner/name` repository, as GitHub allows them. */
const REPOSITORY = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

/** Reads and checks the settings; a string says what is wrong (never a secret's value). */
export function readSettings(env: AppSettings): RelaySettings | string {
    const token = env.GITHUB_TOKEN ?? "";
    const repository = env.GITHUB_REPOSITORY ?? "";
    const stack = env.SLOTSHIFT_STACK ?? "";
    const apiUrl = (env.GITHUB_API_URL ?? "").trim() || DEFAULT_API_URL;
    if (token.trim() === "") {
        return "the app setting GITHUB_TOKEN is empty";
    }
    const match = REPOSITORY.exec(repository);
    if (!match || match[2] === "." || match[2] === "..") {
        return `the app setting GITHUB_REPOSITORY is ${JSON.stringify(repository)}; expected owner/name`;
    }
    if (stack.trim() === "") {
        return "the app setting SLOTSHIFT_STACK is empty";
    }
    if (!/^https?:\/\/[^\s]+$/.test(apiUrl)) {
        return `the app setting GITHUB_API_URL is ${JSON.stringify(apiUrl)}; expected an http(s) URL`;
    }
    return { token, owner: match[1], repo: match[2], stack, apiUrl: apiUrl.replace(/\/+$/, "") };
}

/**
 * The relay's shared secret, from the `RELAY_SECRET` app setting; a string
 * saying what is wrong (never the value) when it is missing or too short.
 */
export function readSecret(env: AppSettings): { secret: string } | string {
    const secret = env.RELAY_SECRET ?? "";
    if (secret.length < MIN_SECRET_LENGTH) {
        return secret === "" ? "the app setting RELAY_SECRET is empty" : `the app setting RELAY_SECRET is shorter than ${MIN_SECRET_LENGTH} characters`;
    }
    return { secret };
}

/**
 * Whether a presented secret is the expected one, in constant time: both are
 * hashed to SHA-256 first, so `timingSafeEqual` compares equal lengths and the
 * time says nothing about the length or any prefix of either.
 */
export function secretMatches(presented: string | null | undefined, expected: string): boolean {
    if (typeof presented !== "string" || presented === "" || expected === "") {
        return false;
    }
    const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
    return timingSafeEqual(digest(presented), digest(expected));
}

/** What the handler reads of a request: its query (the secret) and its body as text. `HttpRequest` has both. */
export interface RelayRequest {
    readonly query: URLSearchParams;
    text(): Promise<string>;
}

/** Where the handler logs. `InvocationContext` has these. */
export interface RelayLog {
    log(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
}

/** The JSON body of every answer. */
export interface RelayAnswer {
    readonly dispatched: boolean;
    readonly reason: string;
}

/** What a handler can be given instead of the real environment and clock (tests). */
export interface RelayOptions {
    /** App settings; `process.env` when absent, read at each call. */
    readonly env?: AppSettings;
    /** Waits; a real timer when absent. */
    readonly sleep?: (ms: number) => Promise<void>;
    /** Per-call timeout towards GitHub. @default REQUEST_TIMEOUT_MS */
    readonly timeoutMs?: number;
    /** Milliseconds since some fixed point, for the budget; `Date.now` when absent. */
    readonly now?: () => number;
}

/** The handler's type: a plain function of a request, testable without the Functions host. */
export type RelayHandler = (request: RelayRequest, context: RelayLog) => Promise<HttpResponseInit>;

function answer(status: number, body: RelayAnswer, headers: Record<string, string> = {}): HttpResponseInit {
    return { status, jsonBody: body, headers: { "content-type": "application/json", ...headers } };
}

/** A GitHub failure, as Octokit's RequestError carries it. */
interface GitHubFailure {
    readonly status: number | undefined;
    readonly message: string;
    readonly headers: Readonly<Record<string, string | number | undefined>>;
}

function failureOf(e: unknown): GitHubFailure {
    const err = (typeof e === "object" && e !== null ? e : {}) as { status?: unknown; message?: unknown; response?: { headers?: unknown } };
    const headers = typeof err.response?.headers === "object" && err.response.headers !== null ? (err.response.headers as Record<string, string | number | undefined>) : {};
    return {
        status: typeof err.status === "number" ? err.status : undefined,
        message: typeof err.message === "string" ? err.message : String(e),
        headers,
    };
}

/** Seconds GitHub asks to wait, when the failure is a rate limit; undefined otherwise. */
function rateLimitWait(f: GitHubFailure): number | undefined {
    if (f.status !== 403 && f.status !== 429) {
        return undefined;
    }
    const retryAfter = f.headers["retry-after"];
    if (retryAfter !== undefined && /^\d+$/.test(String(retryAfter).trim())) {
        return Number(String(retryAfter).trim());
    }
    if (String(f.headers["x-ratelimit-remaining"]) === "0") {
        const reset = Number(f.headers["x-ratelimit-reset"]);
        return Number.isFinite(reset) ? Math.max(0, Math.ceil(reset - Date.now() / 1000)) : Number.POSITIVE_INFINITY;
    }
    // GitHub: a 429 is always a rate limit; without either header, "wait for at least one minute".
    return f.status === 429 ? 60 : undefined;
}

/** A failure GitHub may not repeat: 5xx, or no status at all (network, timeout). Octokit reports fetch failures as 500. */
function isTransient(f: GitHubFailure): boolean {
    return f.status === undefined || f.status >= 500;
}

/** Text for an answer or a log: no secret appears, however GitHub or a proxy echoed it. */
function redact(text: string, secrets: readonly string[]): string {
    return secrets.reduce((t, s) => (s.length === 0 ? t : t.split(s).join("[redacted]")), text);
}

/** The refusal of a call without the right secret: the status alone. */
const UNAUTHORIZED: HttpResponseInit = { status: 401 };

/** Builds the HTTP handler. */
export function makeRollbackHandler(options: RelayOptions = {}): RelayHandler {
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const now = options.now ?? Date.now;
    return async (request, context) => {
        const started = now();
        const env = options.env ?? process.env;
        // The secret first: an unauthenticated caller learns nothing else, not even which setting is wrong.
        const expected = readSecret(env);
        if (typeof expected === "string") {
            context.error(`rollback relay misconfigured: ${expected}`);
            return answer(500, { dispatched: false, reason: "the relay is misconfigured" });
        }
        if (!secretMatches(request.query.get(SECRET_PARAMETER), expected.secret)) {
            return UNAUTHORIZED;
        }
        const settings = readSettings(env);
        if (typeof settings === "string") {
            context.error(`rollback relay misconfigured: ${settings}`);
            return answer(500, { dispatched: false, reason: `the relay is misconfigured: ${settings}` });
        }
        let text: string;
        try {
            text = await request.text();
        } catch {
            return answer(200, { dispatched: false, reason: "the body could not be read" });
        }
        const decision = forwardDecision(text, { stack: settings.stack });
        if ("skip" in decision) {
            context.log(`rollback relay: no dispatch: ${decision.skip}`);
            return answer(200, { dispatched: false, reason: decision.skip });
        }
        const secrets = [settings.token, expected.secret];
        return dispatch(decision.dispatch, settings, secrets, context, { sleep, timeoutMs, now, started });
    };
}

interface Clock {
    readonly sleep: (ms: number) => Promise<void>;
    readonly timeoutMs: number;
    readonly now: () => number;
    /** When the invocation began, on `now`'s scale. */
    readonly started: number;
}

async function dispatch(payload: RollbackDispatch, settings: RelaySettings, secrets: readonly string[], context: RelayLog, clock: Clock): Promise<HttpResponseInit> {
    const quiet = () => undefined;
    const octokit = new Octokit({
        auth: settings.token,
        baseUrl: settings.apiUrl,
        userAgent: "slotshift-rollback-relay",
        log: { debug: quiet, info: quiet, warn: (m: string) => context.warn(redact(m, secrets)), error: quiet },
    });
    const what = `${EVENT_TYPE} for stack ${payload.stack}, slot ${payload.slot}, signal ${payload.signal}`;
    const send = () =>
        octokit.rest.repos.createDispatchEvent({
            owner: settings.owner,
            repo: settings.repo,
            event_type: EVENT_TYPE,
            client_payload: { stack: payload.stack, slot: payload.slot, signal: payload.signal, firedAt: payload.firedAt },
            request: { signal: AbortSignal.timeout(clock.timeoutMs) },
        });
    let retried = false;
    for (;;) {
        try {
            await send();
            const reason = `dispatched ${what} to ${settings.owner}/${settings.repo}${retried ? " (after one retry)" : ""}`;
            context.log(`rollback relay: ${reason}`);
            return answer(200, { dispatched: true, reason });
        } catch (e) {
            const failure = failureOf(e);
            const said = redact(`${failure.status ?? "no status"} ${failure.message}`, secrets);
            const wait = rateLimitWait(failure);
            if (wait !== undefined) {
                const elapsed = clock.now() - clock.started;
                const fits = wait <= MAX_RETRY_AFTER_SECONDS && elapsed + wait * 1000 + clock.timeoutMs <= RELAY_BUDGET_MS;
                if (!retried && fits) {
                    retried = true;
                    context.warn(`rollback relay: GitHub rate-limited the dispatch (${said}); retrying in ${wait} s`);
                    await clock.sleep(wait * 1000);
                    continue;
                }
                const reason = `GitHub rate-limited the dispatch of ${what}: ${said}; the action group may retry`;
                context.error(`rollback relay: ${reason}`);
                return answer(503, { dispatched: false, reason }, Number.isFinite(wait) ? { "retry-after": String(wait) } : {});
            }
            if (isTransient(failure)) {
                // No retry here: a second call would not fit the action group's timeout; it retries a 503 itself.
                const reason = `GitHub failed the dispatch of ${what}: ${said}; the action group may retry`;
                context.error(`rollback relay: ${reason}`);
                return answer(503, { dispatched: false, reason });
            }
            const reason = `GitHub refused the dispatch of ${what} to ${settings.owner}/${settings.repo}: ${said}`;
            context.error(`rollback relay: ${reason}`);
            return answer(502, { dispatched: false, reason });
        }
    }
}

/** The handler the Functions host runs: settings from app settings. */
export const rollback: RelayHandler = makeRollbackHandler();

// Anonymous: the handler checks RELAY_SECRET itself (no host key, so no deploy-time read from the function host).
app.http("rollback", { methods: ["POST"], authLevel: "anonymous", handler: rollback });
