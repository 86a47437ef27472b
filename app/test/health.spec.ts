import { expect } from "chai";
import type * as http from "node:http";
import { DEFAULT_PORT, readPort } from "../server";
import { call, start, stop } from "./support/http";

const ENV = { SLOT: "green", APP_VERSION: "1.3.0", ENVIRONMENT: "staging", PORT: "9999" };
const HEALTH_KEYS = ["status", "environment", "version", "slot", "timestamp", "checks"];

describe("app: the reference web app", () => {
    let server: http.Server;
    let base: string;

    before(async () => {
        ({ server, base } = await start(ENV));
    });

    after(async () => {
        await stop(server);
    });

    describe("GET /api/health", () => {
        it("answers 200 with exactly the contract's keys, in order", async () => {
            const { status, headers, body } = await call(base, "/api/health");
            expect(status).to.equal(200);
            expect(Object.keys(body)).to.deep.equal(HEALTH_KEYS);
            expect(headers.get("cache-control")).to.equal("no-store");
        });

        it("reports healthy, the environment, version and slot it was given, and its checks", async () => {
            const { body } = await call(base, "/api/health");
            expect(body.status).to.equal("healthy");
            expect(body.environment).to.equal("staging");
            expect(body.version).to.equal("1.3.0");
            expect(body.slot).to.equal("green");
            expect(body.checks).to.deep.equal({ process: "ok", memory: "ok" });
        });

        it("stamps the time of the request in ISO 8601", async () => {
            const before = Date.now();
            const { body } = await call(base, "/api/health");
            const after = Date.now();
            expect(body.timestamp).to.be.a("string").and.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
            const at = Date.parse(body.timestamp as string);
            expect(Number.isNaN(at)).to.equal(false);
            expect(at).to.be.within(before, after);
        });

        it("ignores a query string", async () => {
            const { status, body } = await call(base, "/api/health?probe=readiness");
            expect(status).to.equal(200);
            expect(body.status).to.equal("healthy");
        });

        for (const method of ["POST", "PUT", "DELETE", "HEAD"]) {
            it(`refuses ${method} with 405 and Allow: GET`, async () => {
                const res = await fetch(`${base}/api/health`, { method });
                expect(res.status).to.equal(405);
                expect(res.headers.get("allow")).to.equal("GET");
                if (method !== "HEAD") {
                    expect(await res.json()).to.deep.equal({ error: "method not allowed" });
                }
            });
        }
    });

    describe("GET /", () => {
        it("greets with the version and slot", async () => {
            const { status, body } = await call(base, "/");
            expect(status).to.equal(200);
            expect(body.version).to.equal("1.3.0");
            expect(body.slot).to.equal("green");
            expect(body.message).to.be.a("string").and.include("1.3.0").and.include("green");
        });
    });

    describe("anything else", () => {
        for (const path of ["/nope", "/api", "/api/health/", "/api/healthz", "/API/HEALTH", "/constructor", "/__proto__"]) {
            it(`answers 404 JSON for ${path}`, async () => {
                const { status, body } = await call(base, path);
                expect(status).to.equal(404);
                expect(body).to.deep.equal({ error: "not found" });
            });
        }

        it("answers 404, not 405, for another method on an unknown path", async () => {
            const { status, body } = await call(base, "/nope", "POST");
            expect(status).to.equal(404);
            expect(body).to.deep.equal({ error: "not found" });
        });
    });

    describe("fallbacks", () => {
        it("reports unknown for an unset or empty ENVIRONMENT, APP_VERSION and SLOT", async () => {
            for (const env of [{}, { ENVIRONMENT: "", APP_VERSION: " ", SLOT: "" }]) {
                const app = await start(env);
                try {
                    const { status, body } = await call(app.base, "/api/health");
                    expect(status).to.equal(200);
                    expect(Object.keys(body)).to.deep.equal(HEALTH_KEYS);
                    expect(body.status).to.equal("healthy");
                    expect(body.environment).to.equal("unknown");
                    expect(body.version).to.equal("unknown");
                    expect(body.slot).to.equal("unknown");
                } finally {
                    await stop(app.server);
                }
            }
        });

        it("reports unknown for a SLOT that is neither blue nor green", async () => {
            const app = await start({ ...ENV, SLOT: "purple" });
            try {
                const { body } = await call(app.base, "/api/health");
                expect(body.slot).to.equal("unknown");
                expect(body.environment).to.equal("staging");
            } finally {
                await stop(app.server);
            }
        });

        it("reads PORT, defaulting to 8080 and refusing what is not a port", () => {
            expect(readPort({})).to.equal(DEFAULT_PORT);
            expect(DEFAULT_PORT).to.equal(8080);
            expect(readPort({ PORT: "" })).to.equal(8080);
            expect(readPort({ PORT: "3000" })).to.equal(3000);
            for (const bad of ["http", "-1", "65536", "80.5", "0x50", "1e3"]) {
                expect(() => readPort({ PORT: bad }), bad).to.throw(/PORT/);
            }
        });
    });

    describe("checks", () => {
        it("answers 503 unhealthy when the V8 heap is over 90% of its limit", async () => {
            const app = await start(ENV, { heapStatistics: () => ({ used_heap_size: 95, heap_size_limit: 100 }) });
            try {
                const { status, body } = await call(app.base, "/api/health");
                expect(status).to.equal(503);
                expect(Object.keys(body)).to.deep.equal(HEALTH_KEYS);
                expect(body.status).to.equal("unhealthy");
                expect(body.checks).to.deep.equal({ process: "ok", memory: "fail" });
            } finally {
                await stop(app.server);
            }
        });

        it("answers 500 JSON, and keeps serving, when a check throws", async () => {
            let broken = true;
            const heapStatistics = (): { used_heap_size: number; heap_size_limit: number } => {
                if (broken) {
                    throw new Error("boom");
                }
                return { used_heap_size: 1, heap_size_limit: 100 };
            };
            const app = await start(ENV, { heapStatistics });
            try {
                const failed = await call(app.base, "/api/health");
                expect(failed.status).to.equal(500);
                expect(failed.body).to.deep.equal({ error: "internal error" });
                broken = false;
                expect((await call(app.base, "/api/health")).status).to.equal(200);
            } finally {
                await stop(app.server);
            }
        });
    });
});
