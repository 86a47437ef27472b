/**
 * A stand-in for Application Insights' ingestion endpoint (Breeze) on 127.0.0.1, for
 * the end-to-end test: what the exporter posts arrives here, nothing leaves the machine.
 *
 * The contract, as @azure/monitor-opentelemetry-exporter 1.0.0-beta.42 speaks it:
 * - POST `<IngestionEndpoint>/v2.1/track` (generated/api/applicationInsightsContext.js:
 *   apiVersion "v2.1"; generated/api/operations.js: path "/track"), a JSON array of
 *   envelopes; plain JSON today (nothing in the exporter compresses), gzip accepted too;
 * - the answer: 200 `{ itemsReceived, itemsAccepted, errors: [] }` (206 with errors for a
 *   partial success).
 * - HTTPS only: the connection string's IngestionEndpoint is rewritten from http:// to
 *   https:// (utils/connectionStringParser.js, sanitizeUrl). So this server speaks TLS with a
 *   throwaway self-signed certificate for 127.0.0.1, made by openssl, that the app's process
 *   trusts through NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";

/** One telemetry item as the exporter sends it. */
export interface Envelope {
    readonly name: string;
    readonly time: string;
    readonly iKey: string;
    readonly tags: Record<string, string>;
    readonly data: { readonly baseType: string; readonly baseData: Record<string, unknown> };
}

/** One request the server received. */
export interface Received {
    readonly method: string;
    readonly path: string;
    readonly encoding: string | undefined;
    readonly envelopes: readonly Envelope[];
}

/** The largest body accepted (the exporter batches up to 512 items). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Makes a self-signed certificate for 127.0.0.1 in `dir`; returns the key and certificate files. */
function makeCertificate(dir: string): { key: string; cert: string } {
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    try {
        execFileSync(
            "openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 },
        );
    } catch (e) {
        const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
        throw new Error(err.code === "ENOENT" ? "openssl is missing (the test's ingestion endpoint needs a certificate): apt-get install openssl" : `openssl failed: ${err.stderr?.toString() ?? err.message}`);
    }
    return { key, cert };
}

export class FakeIngestion {
    private constructor(
        /** Every request, in arrival order. */
        readonly received: readonly Received[],
        private readonly server: https.Server,
        private readonly dir: string,
        /** The certificate to trust (NODE_EXTRA_CA_CERTS). */
        readonly caFile: string,
        /** The endpoint for the connection string's IngestionEndpoint. */
        readonly endpoint: string,
    ) {}

    static async start(): Promise<FakeIngestion> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-ingestion-"));
        try {
            const { key, cert } = makeCertificate(dir);
            const received: Received[] = [];
            const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
                const chunks: Buffer[] = [];
                let size = 0;
                req.on("data", (chunk: Buffer) => {
                    size += chunk.length;
                    if (size > MAX_BODY_BYTES) {
                        req.destroy();
                        return;
                    }
                    chunks.push(chunk);
                });
                req.on("end", () => {
                    const path = req.url ?? "";
                    const encoding = req.headers["content-encoding"];
                    let envelopes: Envelope[] = [];
                    try {
                        const raw = Buffer.concat(chunks);
                        const text = (encoding === "gzip" ? zlib.gunzipSync(raw) : raw).toString("utf8");
                        envelopes = text.trim().startsWith("[") ? (JSON.parse(text) as Envelope[]) : text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Envelope);
                    } catch {
                        res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify({ itemsReceived: 0, itemsAccepted: 0, errors: [{ index: 0, statusCode: 400, message: "unreadable body" }] }));
                        received.push({ method: req.method ?? "", path, encoding, envelopes: [] });
                        return;
                    }
                    received.push({ method: req.method ?? "", path, encoding, envelopes });
                    if (req.method !== "POST" || path !== "/v2.1/track") {
                        res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "not found" }));
                        return;
                    }
                    const n = envelopes.length;
                    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ itemsReceived: n, itemsAccepted: n, errors: [] }));
                });
            });
            await new Promise<void>((resolve, reject) => {
                server.once("error", reject);
                server.listen(0, "127.0.0.1", () => resolve());
            });
            const { port } = server.address() as AddressInfo;
            return new FakeIngestion(received, server, dir, cert, `https://127.0.0.1:${port}/`);
        } catch (e) {
            fs.rmSync(dir, { recursive: true, force: true });
            throw e;
        }
    }

    /** Every envelope received so far, across requests. */
    envelopes(): Envelope[] {
        return this.received.flatMap((r) => r.envelopes);
    }

    /**
     * Polls the envelopes every 100 ms until `pick` returns something, for at most
     * `timeoutMs`; then fails saying what did arrive.
     */
    async waitFor<T>(what: string, pick: (envelopes: Envelope[]) => T | undefined, timeoutMs: number): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const found = pick(this.envelopes());
            if (found !== undefined) {
                return found;
            }
            if (Date.now() >= deadline) {
                throw new Error(`${what}: not received within ${timeoutMs} ms; received ${this.summary()}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }

    /** A short account of what arrived, for failure messages. */
    summary(): string {
        const counts = new Map<string, number>();
        for (const e of this.envelopes()) {
            const baseData = e.data?.baseData ?? {};
            const metrics = (baseData.metrics as { name: string }[] | undefined)?.map((m) => m.name).join("+");
            const key = `${e.data?.baseType}${metrics ? `(${metrics})` : ""}${baseData.responseCode ? `(${String(baseData.responseCode)})` : ""}`;
            counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        const paths = [...new Set(this.received.map((r) => `${r.method} ${r.path}`))].join(", ");
        return `${this.received.length} requests (${paths || "none"}); envelopes: ${[...counts].map(([k, n]) => `${n}x ${k}`).join(", ") || "none"}`;
    }

    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
