/**
 * Reads the slots' telemetry for `slotshift analyze` from the Log Analytics query API, with the
 * official client (`@azure/monitor-query-logs`' LogsQueryClient) and a token from
 * `SLOTSHIFT_ANALYSIS_TOKEN` or `@azure/identity`'s DefaultAzureCredential.
 *
 * Every failure is an AnalysisError with one line that says what happened (never the token): the
 * caller turns it into its own exit code, and it is never a pass. What the client relies on
 * (`@azure/monitor-query-logs` 1.0.0, checked against a loopback server):
 * - `POST {endpoint}/workspaces/{workspaceId}/query` with `{ query, timespan }`; the endpoint is used
 *   as given, so it ends in `/v1` (the SDK's default is `https://api.loganalytics.io/v1`);
 * - the pipeline retries 408, 500, 502, 503, 504 and network errors, and a 429 or 503 with a
 *   `Retry-After` after exactly that long; a 429 without one it does not retry, so this client does,
 *   a bounded number of times. A `Retry-After` longer than the deadline ends at the deadline;
 * - `abortSignal` given to `queryWorkspace` is dropped by 1.0.0: the deadline reaches each request
 *   through a policy of the pipeline instead, which also interrupts a wait between attempts;
 * - an HTTP status other than 200 throws a RestError; a body that is not the API's JSON (an HTML
 *   page, an empty 200, a 204) throws a TypeError from the SDK; a 200 with an `error` beside its
 *   tables is a partial result, returned, not thrown ("PartialError", learn.microsoft.com, Log
 *   Analytics API response format): all of them are errors here;
 * - the bearer policy refuses a URL that is not https, so a loopback stand-in (tests, a local
 *   proxy) is given to the client as https and turned back into http per attempt: only for
 *   127.0.0.1, ::1 and localhost.
 */
import type { AccessToken, TokenCredential } from "@azure/identity";
import type { LogsQueryClient, LogsQueryClientOptions } from "@azure/monitor-query-logs";

/** The query API of the Azure public cloud, as the SDK defaults to it. */
export const DEFAULT_LOGS_ENDPOINT = "https://api.loganalytics.io/v1";

/** The variable holding a bearer token for the query API, used instead of DefaultAzureCredential. */
export const TOKEN_VARIABLE = "SLOTSHIFT_ANALYSIS_TOKEN";

/** Why an analysis could not be made: one line for people, never a pass. */
export class AnalysisError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "AnalysisError";
    }
}

/** A bad option or variable of the analysis: the line names it, its value and what is allowed. */
export class AnalysisUsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "AnalysisUsageError";
    }
}

type PipelinePolicy = NonNullable<LogsQueryClientOptions["additionalPolicies"]>[number]["policy"];

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The hosts of the Log Analytics query API that get the Azure token the client asks for (scope
 * `https://api.loganalytics.io/.default`, whatever the endpoint): the public cloud's two names
 * ("api.loganalytics.io" and "api.loganalytics.azure.com", Log Analytics query API overview,
 * learn.microsoft.com). Any other host would receive that token, so it is refused.
 */
const LOGS_API_HOSTS = new Set(["api.loganalytics.io", "api.loganalytics.azure.com"]);

/** A logs endpoint, checked: where the client sends its queries. */
export interface LogsEndpoint {
    /** What the client is given (https, also for a loopback stand-in). */
    readonly url: string;
    /** Whether requests go to a loopback stand-in over http. */
    readonly loopbackHttp: boolean;
}

/**
 * Checks `--logs-endpoint`: an https URL of the query API whose path ends in `/v1`, or http on a
 * loopback address (a stand-in); anything else is refused in one line.
 */
export function parseLogsEndpoint(text: string | undefined): LogsEndpoint {
    if (text === undefined) {
        return { url: DEFAULT_LOGS_ENDPOINT, loopbackHttp: false };
    }
    const allowed = `allowed: the Log Analytics query API's https URL ending in /v1 (default ${DEFAULT_LOGS_ENDPOINT}, or https://api.loganalytics.azure.com/v1), or http or https on 127.0.0.1, ::1 or localhost for a local stand-in`;
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        throw new AnalysisUsageError(`--logs-endpoint ${JSON.stringify(text)} is not a URL; ${allowed}`);
    }
    const path = url.pathname.replace(/\/+$/, "");
    const loopbackHttp = url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
    const knownHost = LOGS_API_HOSTS.has(url.hostname) || LOOPBACK_HOSTS.has(url.hostname);
    if ((url.protocol !== "https:" && !loopbackHttp) || !knownHost || !path.endsWith("/v1") || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
        throw new AnalysisUsageError(`--logs-endpoint ${JSON.stringify(text)} is not allowed; ${allowed}`);
    }
    const base = `${url.protocol}//${url.host}${path}`;
    return { url: loopbackHttp ? base.replace(/^http:/, "https:") : base, loopbackHttp };
}

/** When a bearer token expires: its `exp` claim when it is a JWT, else in an hour. */
function expiryOf(token: string, now: number): number {
    const payload = token.split(".")[1];
    if (payload !== undefined) {
        try {
            const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
            if (typeof exp === "number" && Number.isFinite(exp)) {
                return exp * 1000;
            }
        } catch {
            // Not a JWT: an opaque token.
        }
    }
    return now + 60 * 60 * 1000;
}

/** A credential that hands out one bearer token. */
export function staticTokenCredential(token: string): TokenCredential {
    const expiresOnTimestamp = expiryOf(token, Date.now());
    return { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp }) };
}

/**
 * The credential: `SLOTSHIFT_ANALYSIS_TOKEN` when set (a token for https://api.loganalytics.io),
 * else DefaultAzureCredential (environment, workload identity, managed identity, the Azure CLI, ...).
 * @azure/identity is loaded only then: it brings MSAL, which a token does not need.
 */
export function credentialFrom(env: Readonly<Record<string, string | undefined>>): TokenCredential {
    const given = env[TOKEN_VARIABLE];
    if (given !== undefined) {
        const token = given.trim();
        if (token === "" || /\s/.test(token)) {
            throw new AnalysisUsageError(
                `${TOKEN_VARIABLE} is set but ${token === "" ? "empty" : "not one token"}; allowed: a bearer token for https://api.loganalytics.io ` +
                    `(az account get-access-token --resource https://api.loganalytics.io --query accessToken -o tsv), or unset for DefaultAzureCredential`,
            );
        }
        return staticTokenCredential(token);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DefaultAzureCredential } = require("@azure/identity") as typeof import("@azure/identity");
    return new DefaultAzureCredential();
}

/** How patient the client is. */
export interface LogsClientOptions {
    readonly endpoint: LogsEndpoint;
    readonly credential: TokenCredential;
    /** The longest one analysis (all its queries, retries and waits) may take. @default 60000 */
    readonly deadlineMs?: number;
    /** The longest one attempt may wait for an answer's headers. @default 30000 */
    readonly attemptTimeoutMs?: number;
    /** How long the service may run a query (`Prefer: wait`). @default 30 */
    readonly serverTimeoutSeconds?: number;
    /** The SDK's retries of 5xx, 408 and network errors, and of throttling with Retry-After. @default { maxRetries: 3, retryDelayMs: 1000, maxRetryDelayMs: 8000 } */
    readonly retry?: { readonly maxRetries: number; readonly retryDelayMs: number; readonly maxRetryDelayMs: number };
    /** Attempts at a query throttled (429) without Retry-After, and the first wait between them (doubled each time). @default { attempts: 3, delayMs: 2000 } */
    readonly throttle?: { readonly attempts: number; readonly delayMs: number };
}

/** The time span of a query: what the API's `timespan` bounds `TimeGenerated` to. */
export interface Timespan {
    readonly start: Date;
    readonly end: Date;
}

/** A row of an answer, by column name. */
export type Row = Readonly<Record<string, unknown>>;

/** An answer's first table: its column names and its rows by column name. */
export interface Answer {
    readonly columns: readonly string[];
    readonly rows: readonly Row[];
}

/** One analysis's reader: every query it makes shares its deadline. */
export interface LogsReader {
    query(workspaceId: string, query: string, timespan: Timespan, what: string): Promise<Answer>;
}

/** The server's text, as one short line. */
function oneLine(text: unknown, max = 200): string {
    const t = String(text ?? "").replace(/\s+/g, " ").trim();
    return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

interface RestErrorLike {
    readonly name: string;
    readonly message: string;
    readonly statusCode?: number;
    readonly code?: string;
    readonly response?: { readonly headers: { get(name: string): string | undefined } };
}

function isRestError(e: unknown): e is RestErrorLike {
    return typeof e === "object" && e !== null && (e as { name?: unknown }).name === "RestError";
}

/** Whether a 429 came without any header the SDK's throttling retry reads (so it was not retried). */
function throttledWithoutRetryAfter(e: RestErrorLike): boolean {
    const h = e.response?.headers;
    return e.statusCode === 429 && (h === undefined || ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"].every((n) => h.get(n) === undefined));
}

/** Waits, or rejects when the signal aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal.aborted) {
            reject(signal.reason);
            return;
        }
        const t = setTimeout(() => {
            signal.removeEventListener("abort", stop);
            resolve();
        }, ms);
        const stop = () => {
            clearTimeout(t);
            reject(signal.reason);
        };
        signal.addEventListener("abort", stop, { once: true });
    });
}

/**
 * A reader for one analysis. Its deadline starts now and bounds every query, retry and wait of it.
 */
export function logsReader(options: LogsClientOptions): LogsReader {
    const deadlineMs = options.deadlineMs ?? 60000;
    const deadline = AbortSignal.timeout(deadlineMs);
    const retry = options.retry ?? { maxRetries: 3, retryDelayMs: 1000, maxRetryDelayMs: 8000 };
    const throttle = options.throttle ?? { attempts: 3, delayMs: 2000 };
    // Every request of this analysis carries the deadline (queryWorkspace drops an abortSignal of its own).
    const deadlinePolicy: PipelinePolicy = {
        name: "slotshiftAnalysisDeadline",
        sendRequest: (request, next) => {
            const own = request.abortSignal;
            if (own === undefined || own.aborted) {
                request.abortSignal = own?.aborted ? own : deadline;
                return next(request);
            }
            // Both: whichever aborts first.
            const both = new AbortController();
            const stop = () => both.abort();
            own.addEventListener("abort", stop);
            deadline.addEventListener("abort", stop);
            request.abortSignal = both.signal;
            return next(request).finally(() => {
                own.removeEventListener("abort", stop);
                deadline.removeEventListener("abort", stop);
            });
        },
    };
    // Only for a loopback stand-in: the bearer policy insists on https; each attempt goes out over http.
    const loopbackPolicy: PipelinePolicy = {
        name: "slotshiftLoopbackHttp",
        sendRequest: (request, next) => {
            const url = new URL(request.url);
            if (url.protocol === "https:" && LOOPBACK_HOSTS.has(url.hostname)) {
                url.protocol = "http:";
                request.url = url.toString();
                request.allowInsecureConnection = true;
            }
            return next(request);
        },
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LogsQueryClient: Client } = require("@azure/monitor-query-logs") as typeof import("@azure/monitor-query-logs");
    const client: LogsQueryClient = new Client(options.credential, {
        endpoint: options.endpoint.url,
        retryOptions: { maxRetries: retry.maxRetries, retryDelayInMs: retry.retryDelayMs, maxRetryDelayInMs: retry.maxRetryDelayMs },
        additionalPolicies: [
            { position: "perCall", policy: deadlinePolicy },
            ...(options.endpoint.loopbackHttp ? [{ position: "perRetry" as const, policy: loopbackPolicy }] : []),
        ],
    });
    const shownEndpoint = options.endpoint.loopbackHttp ? options.endpoint.url.replace(/^https:/, "http:") : options.endpoint.url;

    const explain = (e: unknown, workspaceId: string, what: string): AnalysisError => {
        const q = `the ${what} query of workspace ${workspaceId}`;
        if (deadline.aborted || (e as { name?: unknown })?.name === "AbortError") {
            return new AnalysisError(`${q}: no answer from ${shownEndpoint} within ${deadline.aborted ? `the analysis's deadline of ${deadlineMs / 1000} s` : `${(options.attemptTimeoutMs ?? 30000) / 1000} s`}`);
        }
        if (isRestError(e)) {
            if (e.statusCode === undefined) {
                return new AnalysisError(`${q}: could not reach ${shownEndpoint}: ${oneLine(e.code ?? e.message)}`);
            }
            const hint =
                e.statusCode === 401 || e.statusCode === 403
                    ? ` (the credential: ${TOKEN_VARIABLE}, or DefaultAzureCredential's identity, needs read access to the workspace, e.g. Log Analytics Reader)`
                    : e.statusCode === 404
                      ? " (no such workspace: the query API takes the workspace's ID, the stack output telemetry.workspaceCustomerId)"
                      : e.statusCode === 429
                        ? " (throttled, after the retries)"
                        : "";
            return new AnalysisError(`${q}: ${shownEndpoint} answered ${e.statusCode}${e.code ? ` ${oneLine(e.code, 60)}` : ""}: ${oneLine(e.message)}${hint}`);
        }
        if (e instanceof AnalysisError) {
            return e;
        }
        // @azure/identity's failures: no credential in the environment, or one Entra refused.
        const name = String((e as { name?: unknown })?.name ?? "");
        if (/^(CredentialUnavailableError|AuthenticationError|AggregateAuthenticationError)$/.test(name)) {
            return new AnalysisError(`${q}: no token for the query API (${name}: ${oneLine((e as Error).message)}); set ${TOKEN_VARIABLE}, or sign in where DefaultAzureCredential looks (az login, workload identity)`);
        }
        if (e instanceof Error && e.message.startsWith("Bearer token")) {
            return new AnalysisError(`${q}: ${oneLine(e.message)}`);
        }
        // The SDK reads an answer that is not the API's JSON (an HTML page, an empty body) as a TypeError.
        return new AnalysisError(`${q}: ${shownEndpoint} gave an answer that is not the query API's (${oneLine((e as Error)?.message ?? e)})`);
    };

    return {
        async query(workspaceId, query, timespan, what) {
            for (let attempt = 1; ; attempt++) {
                try {
                    const result = await client.queryWorkspace(
                        workspaceId,
                        query,
                        { startTime: timespan.start, endTime: timespan.end },
                        { serverTimeoutInSeconds: options.serverTimeoutSeconds ?? 30, requestOptions: { timeout: options.attemptTimeoutMs ?? 30000 } },
                    );
                    if (result.status !== "Success") {
                        const partial = result as { partialError?: { code?: string; message?: string } };
                        throw new AnalysisError(
                            `the ${what} query of workspace ${workspaceId}: ${shownEndpoint} answered with an error beside its rows (${oneLine(partial.partialError?.code ?? result.status, 60)}: ${oneLine(partial.partialError?.message)}); a partial answer is not judged`,
                        );
                    }
                    return rowsOf(result.tables, workspaceId, what);
                } catch (e) {
                    if (isRestError(e) && throttledWithoutRetryAfter(e) && attempt < throttle.attempts && !deadline.aborted) {
                        try {
                            await pause(throttle.delayMs * 2 ** (attempt - 1), deadline);
                        } catch (abort) {
                            throw explain(abort, workspaceId, what);
                        }
                        continue;
                    }
                    throw explain(e, workspaceId, what);
                }
            }
        },
    };
}

/** The rows of an answer's first table, by column name; an answer without one is an error. */
function rowsOf(tables: readonly { columnDescriptors: readonly { name?: string }[]; rows: readonly unknown[][] }[], workspaceId: string, what: string): Answer {
    const table = tables[0];
    if (table === undefined || !Array.isArray(table.columnDescriptors) || !Array.isArray(table.rows)) {
        throw new AnalysisError(`the ${what} query of workspace ${workspaceId}: the answer has no table of rows`);
    }
    const names = table.columnDescriptors.map((c) => String(c?.name));
    const rows = table.rows.map((row) => {
        if (!Array.isArray(row) || row.length !== names.length) {
            throw new AnalysisError(`the ${what} query of workspace ${workspaceId}: a row does not match the answer's ${names.length} columns`);
        }
        return Object.fromEntries(names.map((n, i) => [n, row[i]]));
    });
    return { columns: names, rows };
}
