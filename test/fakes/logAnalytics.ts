/**
 * A loopback stand-in for the Log Analytics query API, speaking its documented wire format, for the
 * real `@azure/monitor-query-logs` client to talk to (no mock inside the client):
 * - `POST /v1/workspaces/{workspaceId}/query`, `Authorization: Bearer <token>`, a JSON body
 *   `{ query, timespan }` with `Content-Type: application/json` (Azure/azure-rest-api-specs,
 *   OperationalInsights.json 2022-10-27: `Query_Execute`, `queryBody`);
 * - `200 { tables: [{ name: "PrimaryResult", columns: [{ name, type }], rows: [[...]] }] }`
 *   (`queryResults`; learn.microsoft.com, "Azure Monitor Log Analytics API response format");
 * - errors as `{ error: { code, message } }`: 400 BadArgumentError, 401 AuthenticationFailed,
 *   403 InvalidAuthenticationToken, 404 PathNotFoundError ("The requested path does not exist", what
 *   an unknown workspace ID gets), 429 with or without `Retry-After` (learn.microsoft.com, "Azure
 *   Monitor Log Analytics API errors"; the 429's body is not documented).
 *
 * It is no KQL engine: it recognises each slotshift query by the measure it yields, refuses (400)
 * one that does not filter by the slots' role names (or, for probe failures, by the namespace and
 * the pods' names) or whose window does not start where the test says the step was taken, and
 * answers from the telemetry the test gives per slot. Every request is recorded.
 */
import * as http from "http";
import { AddressInfo } from "net";

/** What a slot did in the window, as the test wants the logs to say it. */
export interface SlotTelemetry {
    /** Requests answered (the health path's not counted): AppRequests rows only when above 0. */
    readonly requests: number;
    /** Of them, server errors. */
    readonly failed?: number;
    /** The rows recorded for those requests (the distro samples: each row stands for ItemCount of them); default: requests. */
    readonly rows?: number;
    /** Of the rows, the failed ones; default: failed. */
    readonly failedRows?: number;
    /** The p99 latency in ms. */
    readonly p99Ms?: number;
    /** Instances whose pool was full for a whole bin; undefined: no pool metrics reported. */
    readonly exhaustedInstances?: number;
    /** Failed readiness or liveness probes: KubeEvents rows only when above 0. */
    readonly probeFailures?: number;
}

/** What the stand-in expects of every query, to answer it. */
export interface Expectations {
    /** The slots' Application Insights role names, by colour: `<app>-<colour>`. */
    readonly roles: Readonly<Record<string, string>>;
    /** The Kubernetes namespace of the slots (the probe-failure query). */
    readonly namespace: string;
    /** The app's name: the pods are `<app>-<colour>-...`. */
    readonly app: string;
    /** Where the window must start: when the step was taken. */
    readonly windowStart: Date;
    /** How far back the probe-failure query's timespan reaches before the window (its rule's P1D). */
    readonly probeLookbackMinutes: number;
}

/** A canned answer, given before the telemetry's (throttling, failures, a hang). */
export type Canned =
    | { readonly status: number; readonly code?: string; readonly message?: string; readonly headers?: Readonly<Record<string, string>> }
    | { readonly raw: string; readonly status: number; readonly contentType: string }
    | { readonly hang: true };

/** One request as received. */
export interface Received {
    readonly at: number;
    readonly method: string;
    readonly path: string;
    readonly workspace: string | undefined;
    readonly authorization: string | undefined;
    readonly contentType: string | undefined;
    readonly prefer: string | undefined;
    readonly body: { query?: unknown; timespan?: unknown } | undefined;
    /** The signal the query was recognised as, when it was. */
    readonly signal?: string;
    /** Why it was refused (400), when it was. */
    readonly refused?: string;
    readonly status: number;
}

type Column = { name: string; type: "string" | "long" | "real" | "datetime" };

/** The loopback stand-in. */
export class FakeLogAnalytics {
    private server: http.Server | undefined;
    private readonly workspaces = new Map<string, { telemetry: Readonly<Record<string, SlotTelemetry>>; expect: Expectations }>();
    private readonly canned = new Map<string, Canned[]>();
    /** Every request, in order. */
    readonly received: Received[] = [];

    /** @param token the bearer token it accepts */
    constructor(private readonly token: string) {}

    /** Starts on 127.0.0.1 at a free port; the base URL of the API (`http://127.0.0.1:<port>/v1`). */
    async start(): Promise<string> {
        this.server = http.createServer((req, res) => this.handle(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    }

    /** Stops, dropping any connection it holds open (a hang). */
    async stop(): Promise<void> {
        const s = this.server;
        this.server = undefined;
        if (s !== undefined) {
            s.closeAllConnections();
            await new Promise<void>((resolve) => s.close(() => resolve()));
        }
    }

    /** A workspace that exists, what its tables hold per slot, and what its queries must look like. */
    workspace(id: string, telemetry: Readonly<Record<string, SlotTelemetry>>, expect: Expectations): this {
        this.workspaces.set(id, { telemetry, expect });
        return this;
    }

    /** Answers the next requests to a workspace with these, in order, before its telemetry. */
    answerNext(id: string, ...answers: Canned[]): this {
        this.canned.set(id, [...(this.canned.get(id) ?? []), ...answers]);
        return this;
    }

    /** Requests to a workspace. */
    to(id: string): Received[] {
        return this.received.filter((r) => r.workspace === id);
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const m = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(req.url ?? "");
            const workspace = m === null ? undefined : decodeURIComponent(m[1]);
            let body: Received["body"];
            try {
                body = text === "" ? undefined : (JSON.parse(text) as Received["body"]);
            } catch {
                body = undefined;
            }
            const base = {
                at: Date.now(),
                method: req.method ?? "",
                path: req.url ?? "",
                workspace,
                authorization: req.headers.authorization,
                contentType: req.headers["content-type"],
                prefer: req.headers.prefer as string | undefined,
                body,
            };
            const record = (status: number, extra: { signal?: string; refused?: string } = {}) => this.received.push({ ...base, ...extra, status });
            const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
                res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
                res.end(JSON.stringify({ error: { code, message } }));
            };
            if (req.method !== "POST" || workspace === undefined) {
                record(404);
                return error(404, "PathNotFoundError", "The requested path does not exist");
            }
            if (req.headers.authorization === undefined) {
                record(401);
                return error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
            }
            if (req.headers.authorization !== `Bearer ${this.token}`) {
                record(403);
                return error(403, "InvalidAuthenticationToken", "The access token is invalid.");
            }
            const next = this.canned.get(workspace)?.shift();
            if (next !== undefined) {
                if ("hang" in next) {
                    record(0);
                    return; // never answers: the client's deadline must end it
                }
                record(next.status);
                if ("raw" in next) {
                    res.writeHead(next.status, { "content-type": next.contentType });
                    return void res.end(next.raw);
                }
                return error(next.status, next.code ?? "Canned", next.message ?? `canned ${next.status}`, { ...next.headers });
            }
            const ws = this.workspaces.get(workspace);
            if (ws === undefined) {
                record(404);
                return error(404, "PathNotFoundError", "The requested path does not exist");
            }
            if (!String(req.headers["content-type"]).startsWith("application/json") || typeof body?.query !== "string" || typeof body.timespan !== "string") {
                record(400, { refused: "no JSON body with query and timespan" });
                return error(400, "BadArgumentError", "The request had some invalid properties");
            }
            const answer = this.answer(body.query, body.timespan, ws.telemetry, ws.expect);
            if ("refused" in answer) {
                record(400, { signal: answer.signal, refused: answer.refused });
                return error(400, "BadArgumentError", `The request had some invalid properties: ${answer.refused}`);
            }
            record(200, { signal: answer.signal });
            res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify({ tables: [{ name: "PrimaryResult", columns: answer.columns, rows: answer.rows }] }));
        });
    }

    /** The answer to one slotshift query, or why it is refused. */
    private answer(
        query: string,
        timespan: string,
        telemetry: Readonly<Record<string, SlotTelemetry>>,
        expect: Expectations,
    ): { signal: string; columns: Column[]; rows: unknown[][] } | { signal?: string; refused: string } {
        const signal = /\berrorRatePercent\b/.test(query)
            ? "error-rate"
            : /\bp99LatencyMs\b/.test(query)
              ? "p99-latency"
              : /\bexhaustedInstances\b/.test(query)
                ? "pool-exhausted"
                : /\bprobeFailures\b/.test(query)
                  ? "health"
                  : undefined;
        if (signal === undefined) {
            return { refused: "not a query of slotshift's signals" };
        }
        const [from, to] = timespan.split("/");
        const start = Date.parse(from);
        if (Number.isNaN(start) || Number.isNaN(Date.parse(to)) || Date.parse(to) <= start) {
            return { signal, refused: `timespan ${timespan} is not start/end` };
        }
        const colours = Object.keys(expect.roles);
        if (signal === "health") {
            const since = expect.windowStart.toISOString();
            if (start !== expect.windowStart.getTime() - expect.probeLookbackMinutes * 60000) {
                return { signal, refused: `timespan starts at ${from}, not ${expect.probeLookbackMinutes} minutes before the step (${since})` };
            }
            if (!query.includes(`Namespace == ${JSON.stringify(expect.namespace)}`) || !query.includes(`LastSeen > datetime(${since})`)) {
                return { signal, refused: `the query does not keep the namespace ${expect.namespace}'s events last seen after ${since}` };
            }
            if (!query.includes(`extract(${JSON.stringify(`^${expect.app}-(${colours.join("|")})-`)}, 1, Name)`)) {
                return { signal, refused: "the query does not take the slot from the pods' names" };
            }
            const rows = colours.filter((c) => (telemetry[c]?.probeFailures ?? 0) > 0).map((c) => [c, telemetry[c].probeFailures, to]);
            return { signal, columns: [{ name: "slot", type: "string" }, { name: "probeFailures", type: "long" }, { name: "TimeGenerated", type: "datetime" }], rows };
        }
        if (start !== expect.windowStart.getTime()) {
            return { signal, refused: `timespan starts at ${from}, not when the step was taken (${expect.windowStart.toISOString()})` };
        }
        const roles = colours.map((c) => JSON.stringify(expect.roles[c]));
        const cases = colours.map((c) => `AppRoleName == ${JSON.stringify(expect.roles[c])}, ${JSON.stringify(c)}`).join(", ");
        if (!query.includes(`| where AppRoleName in (${roles.join(", ")})`) || !query.includes(`| extend slot = case(${cases}, "")`)) {
            return { signal, refused: "the query does not filter and name the slots by their role names" };
        }
        const reporting = colours.filter((c) => (telemetry[c]?.requests ?? 0) > 0);
        // The recorded rows are counted as AppRequests holds them (count()), the requests they stand for as sum(ItemCount).
        if ((signal === "error-rate" || signal === "p99-latency") && !/\brows = count\(\)/.test(query)) {
            return { signal, refused: "the query does not count the rows it stands on (rows = count())" };
        }
        if (signal === "error-rate") {
            if (!query.includes("failedRows = countif(toint(ResultCode) >= 500)")) {
                return { signal, refused: "the query does not count the failed rows" };
            }
            const rows = reporting.map((c) => {
                const t = telemetry[c];
                const failed = t.failed ?? 0;
                return [c, t.requests, failed, t.rows ?? t.requests, t.failedRows ?? failed, (100 * failed) / t.requests];
            });
            const columns: Column[] = [
                { name: "slot", type: "string" },
                { name: "total", type: "long" },
                { name: "failed", type: "long" },
                { name: "rows", type: "long" },
                { name: "failedRows", type: "long" },
                { name: "errorRatePercent", type: "real" },
            ];
            return { signal, columns, rows };
        }
        if (signal === "p99-latency") {
            const rows = reporting.map((c) => [c, telemetry[c].requests, telemetry[c].p99Ms ?? 100, telemetry[c].rows ?? telemetry[c].requests]);
            return { signal, columns: [{ name: "slot", type: "string" }, { name: "total", type: "long" }, { name: "p99LatencyMs", type: "real" }, { name: "rows", type: "long" }], rows };
        }
        const rows = colours.filter((c) => telemetry[c]?.exhaustedInstances !== undefined).map((c) => [c, telemetry[c].exhaustedInstances]);
        return { signal, columns: [{ name: "slot", type: "string" }, { name: "exhaustedInstances", type: "long" }], rows };
    }
}
