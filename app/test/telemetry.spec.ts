/**
 * The telemetry contract, end to end: the app runs as a real process (main.ts, as in the
 * image) with the Azure Monitor distro pointed at a stand-in ingestion endpoint on
 * 127.0.0.1 and a real PostgreSQL; the test reads the envelopes the exporter posts.
 * Nothing inside the app is replaced. The app's process has the net guard preloaded: a
 * connection to anything but loopback is refused before it starts, and listed.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { METER_NAME, connectionString, startTelemetry, telemetryWarnings } from "../telemetry";
import { AppProcess, startApp } from "./support/appProcess";
import { Envelope, FakeIngestion } from "./support/ingestion";
import { TestPostgres, startPostgres } from "./support/postgres";

const ROLE = "nextgen-market-green";
const IKEY = "00000000-0000-0000-0000-000000000000";
/** Azure's Instance Metadata Service: the only non-loopback address the distro still tries (see below). */
const IMDS = "169.254.169.254:80";
/** Breeze's duration: [d.]hh:mm:ss.fffffff, trailing zeros cut to at least 3 digits (exporter utils/breezeUtils.js, msToTimeSpan). */
const DURATION = /^(\d+\.)?\d{2}:\d{2}:\d{2}\.\d{3,7}$/;
/**
 * Before and between requests: the distro's default sampler keeps at most 5 traces a second
 * (exporter sampling/rateLimitedSampler.js, adapting over 0.1 s, starting from none seen),
 * so requests 300 ms apart, the first 300 ms after start-up, are all kept.
 */
const REQUEST_GAP_MS = 300;

/** The environment a slot gives its pods (components/slot.ts), plus the test's settings. */
function slotEnv(ingestion: FakeIngestion, tmp: string, extra: Record<string, string>): Record<string, string> {
    return {
        SLOT: "green",
        APP_VERSION: "1.3.0",
        ENVIRONMENT: "staging",
        PORT: "0",
        OTEL_SERVICE_NAME: ROLE,
        OTEL_RESOURCE_ATTRIBUTES: "service.version=1.3.0,deployment.environment=staging",
        // The test's: a metric export every second (the default is 60 s), statsbeat off
        // (APPLICATION_INSIGHTS_NO_STATSBEAT is the switch that stops it entirely), the
        // stand-in's certificate trusted, the exporter's offline storage in a folder of the test's.
        OTEL_METRIC_EXPORT_INTERVAL: "1000",
        APPLICATION_INSIGHTS_NO_STATSBEAT: "true",
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED: "true",
        NODE_EXTRA_CA_CERTS: ingestion.caFile,
        TMPDIR: tmp,
        NET_GUARD_LOG: path.join(tmp, "net-guard.log"),
        ...extra,
    };
}

/** The non-loopback connections the app's process tried (refused by the net guard). */
function attempted(tmp: string): string[] {
    const file = path.join(tmp, "net-guard.log");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function metricsNamed(envelopes: Envelope[], name: string): { value: number; properties: Record<string, string>; time: string }[] {
    return envelopes
        .filter((e) => e.data.baseType === "MetricData")
        .flatMap((e) => {
            const baseData = e.data.baseData as { metrics: { name: string; value: number }[]; properties?: Record<string, string> };
            return baseData.metrics.filter((m) => m.name === name).map((m) => ({ value: m.value, properties: baseData.properties ?? {}, time: e.time }));
        });
}

describe("app: telemetry, end to end (the app's process, a stand-in ingestion endpoint, a real PostgreSQL)", function () {
    this.timeout(120_000);

    let pg: TestPostgres;
    let ingestion: FakeIngestion;
    let tmp: string;

    before(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-telemetry-"));
        pg = await startPostgres();
        ingestion = await FakeIngestion.start();
    });

    after(async () => {
        await ingestion?.stop();
        await pg?.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    describe("with APPLICATIONINSIGHTS_CONNECTION_STRING and DATABASE_URL set", () => {
        /** The requests made, in order, and what each answered. */
        const made: { method: string; path: string; status: number }[] = [];
        let app: AppProcess;
        let exit: { code: number | null; signal: NodeJS.Signals | null; ms: number };
        /** Envelopes that had arrived when the process exited. */
        let atExit: Envelope[];
        /** The count gauge's idle figure exported while the app ran, after a health check. */
        let idleWhileRunning: number;
        let health: Record<string, unknown>;

        before(async () => {
            app = await startApp(
                slotEnv(ingestion, tmp, {
                    APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=${ingestion.endpoint}`,
                    DATABASE_URL: pg.url,
                }),
            );
            try {
                await sleep(REQUEST_GAP_MS);
                for (const [method, p] of [
                    ["GET", "/"],
                    ["GET", "/api/health"],
                    ["GET", "/nope"],
                    ["POST", "/api/health"],
                ]) {
                    const res = await fetch(`${app.base}${p}`, { method });
                    const body = (await res.json()) as Record<string, unknown>;
                    if (p === "/api/health" && method === "GET") {
                        health = body;
                    }
                    made.push({ method, path: p, status: res.status });
                    await sleep(REQUEST_GAP_MS);
                }
                // A metric export while the app runs (every second here) that saw the health check's connection back in the pool.
                idleWhileRunning = await ingestion.waitFor(
                    "a db.client.connection.count idle >= 1 export while running",
                    (envelopes) => metricsNamed(envelopes, "db.client.connection.count").find((m) => m.properties["db.client.connection.state"] === "idle" && m.value >= 1)?.value,
                    15_000,
                );
                // The last request just before SIGTERM: its span can only go out through the shutdown flush
                // (the distro batches spans for 5 s).
                const res = await fetch(`${app.base}/api/health?probe=readiness`);
                await res.arrayBuffer();
                made.push({ method: "GET", path: "/api/health?probe=readiness", status: res.status });
            } finally {
                exit = await app.stop();
                atExit = ingestion.envelopes();
            }
        });

        it("answers as before, with checks.database ok", () => {
            expect(made.map((m) => m.status)).to.deep.equal([200, 200, 404, 405, 200]);
            expect(Object.keys(health)).to.deep.equal(["status", "environment", "version", "slot", "timestamp", "checks"]);
            expect(health.checks).to.deep.equal({ process: "ok", memory: "ok", database: "ok" });
            expect(app.listening).to.include({ telemetry: true, database: true });
        });

        it("exits 0 on SIGTERM, after the last telemetry is sent", () => {
            expect(exit.code, app.output().stderr).to.equal(0);
            const requests = atExit.filter((e) => e.data.baseType === "RequestData");
            expect(requests.map((e) => e.data.baseData.url), ingestion.summary()).to.include(`${app.base}/api/health?probe=readiness`);
        });

        it("posts envelopes to /v2.1/track only (no Live Metrics, no other path)", () => {
            expect(ingestion.received.length).to.be.greaterThan(0);
            expect([...new Set(ingestion.received.map((r) => `${r.method} ${r.path}`))]).to.deep.equal(["POST /v2.1/track"]);
        });

        it("tags every envelope with the slot's role name, the pod's host name, the version and the instrumentation key", () => {
            const envelopes = ingestion.envelopes();
            expect(envelopes.length).to.be.greaterThan(0);
            for (const e of envelopes) {
                expect(e.tags["ai.cloud.role"], e.name).to.equal(ROLE);
                expect(e.tags["ai.cloud.roleInstance"], e.name).to.equal(os.hostname());
                expect(e.tags["ai.application.ver"], e.name).to.equal("1.3.0");
                expect(e.iKey, e.name).to.equal(IKEY);
            }
        });

        it("sends one RequestData per request, with its result code, success flag and duration", () => {
            const requests = ingestion.envelopes().filter((e) => e.data.baseType === "RequestData");
            const seen = requests.map((e) => {
                const d = e.data.baseData as { name: string; url: string; responseCode: string; success: boolean; duration: string };
                expect(d.duration, d.url).to.match(DURATION);
                return { name: d.name, url: d.url.slice(app.base.length), responseCode: d.responseCode, success: d.success };
            });
            // success is the exporter's: a span not marked as an error counts as a success when its status is below 400
            // (utils/spanUtils.js, createRequestData), so a 404 or a 405 is a failed request in AppRequests.
            expect(seen, JSON.stringify(seen)).to.have.deep.members([
                { name: "GET /", url: "/", responseCode: "200", success: true },
                { name: "GET /api/health", url: "/api/health", responseCode: "200", success: true },
                { name: "GET /nope", url: "/nope", responseCode: "404", success: false },
                { name: "POST /api/health", url: "/api/health", responseCode: "405", success: false },
                { name: "GET /api/health", url: "/api/health?probe=readiness", responseCode: "200", success: true },
            ]);
        });

        it("sends no dependency for the database or the exporter's own calls", () => {
            expect(ingestion.envelopes().filter((e) => e.data.baseType === "RemoteDependencyData")).to.deep.equal([]);
        });

        it("exports the pool gauges: db.client.connection.count by state, and db.client.connection.max (and .limit) of 20", () => {
            const envelopes = ingestion.envelopes();
            const count = metricsNamed(envelopes, "db.client.connection.count");
            expect(count.length, ingestion.summary()).to.be.greaterThan(0);
            expect(new Set(count.map((m) => m.properties["db.client.connection.state"]))).to.deep.equal(new Set(["used", "idle"]));
            for (const m of count) {
                expect(m.properties, JSON.stringify(m)).to.deep.equal({ "db.client.connection.state": m.properties["db.client.connection.state"], "db.client.connection.pool.name": "postgres" });
                expect(Number.isInteger(m.value) && m.value >= 0, JSON.stringify(m)).to.equal(true);
            }
            expect(idleWhileRunning).to.be.at.least(1);
            for (const name of ["db.client.connection.max", "db.client.connection.limit"]) {
                const max = metricsNamed(envelopes, name);
                expect(max.length, name).to.be.greaterThan(0);
                for (const m of max) {
                    expect(m.value, name).to.equal(20);
                    expect(m.properties, name).to.deep.equal({ "db.client.connection.pool.name": "postgres" });
                }
            }
            // One gauge each: nothing else (the pg instrumentation, were it on) reports under these names.
            const times = count.map((m) => m.time);
            expect(count.length, "two states per export").to.equal(2 * new Set(times).size);
        });

        it("tries no connection off the machine but the distro's one to Azure's instance metadata service", () => {
            // @azure/monitor-opentelemetry 1.18.1 always runs the Azure VM resource detector
            // (dist/commonjs/shared/config.js, _initializeVmResourceAsync: no option turns it off),
            // a GET to http://169.254.169.254/metadata/instance/compute, 1 s timeout. The net guard refused it here.
            // Everything else the exporter and distro can reach is off: statsbeat (its westus-0/westeurope-5
            // endpoints and its own IMDS calls) by APPLICATION_INSIGHTS_NO_STATSBEAT, Live Metrics
            // (rt.services.visualstudio.com / the LiveEndpoint) in telemetry.ts; ingestion is the stand-in.
            const tried = attempted(tmp);
            expect(tried.filter((t) => t !== IMDS), tried.join(", ")).to.deep.equal([]);
        });
    });

    describe("with APPLICATIONINSIGHTS_CONNECTION_STRING empty", () => {
        it("sets up no telemetry: serves as before, sends nothing, tries nothing off the machine", async () => {
            const own = fs.mkdtempSync(path.join(tmp, "off-"));
            const before = ingestion.received.length;
            const app = await startApp(slotEnv(ingestion, own, { APPLICATIONINSIGHTS_CONNECTION_STRING: "" }));
            let exit: { code: number | null };
            try {
                expect(app.listening).to.include({ telemetry: false, database: false });
                const res = await fetch(`${app.base}/api/health`);
                expect(res.status).to.equal(200);
                expect(((await res.json()) as { checks: unknown }).checks).to.deep.equal({ process: "ok", memory: "ok" });
                expect((await fetch(`${app.base}/nope`)).status).to.equal(404);
            } finally {
                exit = await app.stop();
            }
            expect(exit.code).to.equal(0);
            await sleep(200);
            expect(ingestion.received.length).to.equal(before);
            expect(attempted(own)).to.deep.equal([]);
        });
    });

    describe("telemetry.ts, in-process", () => {
        it("treats an unset or blank connection string as off, and then loads nothing", () => {
            expect(connectionString({})).to.equal(undefined);
            expect(connectionString({ APPLICATIONINSIGHTS_CONNECTION_STRING: " \t" })).to.equal(undefined);
            expect(connectionString({ APPLICATIONINSIGHTS_CONNECTION_STRING: " InstrumentationKey=x " })).to.equal("InstrumentationKey=x");
            const loaded = (): string[] => Object.keys(require.cache).filter((k) => k.includes(`${path.sep}@azure${path.sep}monitor-opentelemetry`));
            const before = loaded();
            expect(startTelemetry({})).to.equal(undefined);
            expect(startTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: "" })).to.equal(undefined);
            expect(loaded()).to.deep.equal(before);
        });

        it("warns when the environment would break the role name the alert rules query", () => {
            expect(telemetryWarnings({ OTEL_SERVICE_NAME: ROLE, OTEL_RESOURCE_ATTRIBUTES: "service.version=1.3.0,deployment.environment=staging" })).to.deep.equal([]);
            const unnamed = telemetryWarnings({}).map((w) => w.message);
            expect(unnamed).to.have.length(1);
            expect(unnamed[0]).to.match(/OTEL_SERVICE_NAME/);
            const namespaced = telemetryWarnings({ OTEL_SERVICE_NAME: ROLE, OTEL_RESOURCE_ATTRIBUTES: "service.version=1, service.namespace=shop" }).map((w) => w.message);
            expect(namespaced).to.have.length(1);
            expect(namespaced[0]).to.match(/service\.namespace/);
            expect(METER_NAME).to.be.a("string");
        });
    });
});
