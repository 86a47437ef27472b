/**
 * Loopback stand-ins for the two webhooks `slotshift notify` posts to, speaking their documented
 * contracts (see cli/notify.ts for the pages):
 * - a Slack incoming webhook: `POST` JSON `{ text }` with `Content-Type: application/json`; 200 `ok`;
 *   400 `invalid_payload` (not JSON), 400 `no_text` (no text), 404 `no_service` (an unknown hook),
 *   403 `invalid_token`, 410 `channel_is_archived`, 429 with `Retry-After`; every error a plain-text body;
 * - a Teams Workflows webhook ("When a Teams webhook request is received"): `POST` JSON
 *   `{ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard", ... } }] }`;
 *   202 Accepted with an empty body; a refused body 400 with a JSON error. A retired Office 365
 *   connector (`connector: true`) answers 200 `1` and takes a MessageCard-less card as the test says.
 *
 * Each hook lives at a path the test chooses (with a SECRETSECRET part, so a test can look for it in
 * what slotshift prints); answers given in advance come first (a status and body, a hang, a reset).
 * Every request is recorded.
 */
import * as http from "http";
import { AddressInfo } from "net";

/** An answer given in advance. */
export type Canned =
    | { readonly status: number; readonly body?: string; readonly headers?: Readonly<Record<string, string>> }
    | { readonly hang: true }
    | { readonly reset: true };

/** One request as received. */
export interface Received {
    readonly at: number;
    readonly method: string;
    readonly path: string;
    readonly contentType: string | undefined;
    readonly raw: string;
    readonly json: unknown;
    readonly status: number;
}

interface Hook {
    readonly kind: "slack" | "teams";
    readonly connector: boolean;
    readonly canned: Canned[];
}

export class FakeWebhooks {
    private server: http.Server | undefined;
    private readonly hooks = new Map<string, Hook>();
    /** Every request, in order. */
    readonly received: Received[] = [];
    private base = "";

    /** Starts on 127.0.0.1 at a free port; the base URL (`http://127.0.0.1:<port>`). */
    async start(): Promise<string> {
        this.server = http.createServer((req, res) => this.handle(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        return this.base;
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

    /** A Slack incoming webhook at `path`; its URL. */
    slack(path: string, ...answers: Canned[]): string {
        this.hooks.set(path, { kind: "slack", connector: false, canned: [...answers] });
        return `${this.base}${path}`;
    }

    /** A Teams Workflows webhook (or, with `connector`, a retired Office 365 connector) at `path`; its URL. */
    teams(path: string, options: { connector?: boolean } = {}, ...answers: Canned[]): string {
        this.hooks.set(path, { kind: "teams", connector: options.connector === true, canned: [...answers] });
        return `${this.base}${path}`;
    }

    /** Requests to a path. */
    to(path: string): Received[] {
        return this.received.filter((r) => r.path === path);
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const raw = Buffer.concat(chunks).toString("utf8");
            let json: unknown;
            try {
                json = raw === "" ? undefined : JSON.parse(raw);
            } catch {
                json = undefined;
            }
            const path = req.url ?? "";
            const record = (status: number) =>
                this.received.push({ at: Date.now(), method: req.method ?? "", path, contentType: req.headers["content-type"], raw, json, status });
            const text = (status: number, body: string, headers: Record<string, string> = {}) => {
                record(status);
                res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
                res.end(body);
            };
            const hook = this.hooks.get(path);
            if (hook === undefined) {
                // What Slack answers for a hook that does not exist.
                return text(404, "no_service");
            }
            const next = hook.canned.shift();
            if (next !== undefined) {
                if ("hang" in next) {
                    record(0);
                    return; // never answers: the client's timeout must end it
                }
                if ("reset" in next) {
                    record(0);
                    req.socket.destroy();
                    return;
                }
                return text(next.status, next.body ?? "", { ...next.headers });
            }
            if (req.method !== "POST") {
                return text(405, "invalid_method");
            }
            if (hook.kind === "slack") {
                if (!String(req.headers["content-type"]).startsWith("application/json") || json === null || typeof json !== "object") {
                    return text(400, "invalid_payload");
                }
                const t = (json as { text?: unknown }).text;
                if (typeof t !== "string" || t.trim() === "") {
                    return text(400, "no_text");
                }
                return text(200, "ok");
            }
            const m = json as { type?: unknown; attachments?: Array<{ contentType?: unknown; content?: { type?: unknown; body?: unknown } }> } | undefined;
            const card = m?.attachments?.[0];
            if (
                !String(req.headers["content-type"]).startsWith("application/json") ||
                m?.type !== "message" ||
                card?.contentType !== "application/vnd.microsoft.card.adaptive" ||
                card.content?.type !== "AdaptiveCard" ||
                !Array.isArray(card.content.body)
            ) {
                record(400);
                res.writeHead(400, { "content-type": "application/json; charset=utf-8" });
                return void res.end(JSON.stringify({ error: { code: "InvalidRequestContent", message: "The input body for trigger 'manual' of type 'Request' did not match its schema definition." } }));
            }
            return hook.connector ? text(200, "1") : text(202, "");
        });
    }
}

/** A loopback URL nobody listens on (connection refused). */
export async function refusedUrl(path: string): Promise<string> {
    const s = http.createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return `http://127.0.0.1:${port}${path}`;
}
