/**
 * The rollback relay (relay/): its decision over Azure Monitor's documented
 * payloads (test/fixtures/alerts, see its README for sources), then the HTTP
 * handler end to end against a loopback server playing GitHub's REST API, with
 * the real Octokit client doing the HTTP; and the committed bundle relay/dist:
 * loadable without the Functions host, and not stale.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { forwardDecision, ForwardDecision } from "../relay/forward";
import { BUILD_COMMAND, buildRelay, DIST } from "../relay/build";
import type * as RelayModule from "../relay/index";
import { ROOT } from "./helpers";

const FIXTURES = path.join(ROOT, "test", "fixtures", "alerts");
const fixture = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8")) as Record<string, unknown>;
/** A fixture with edits applied to a deep copy. */
function edited(name: string, edit: (payload: AlertPayload) => void): AlertPayload {
    const copy = structuredClone(fixture(name)) as unknown as AlertPayload;
    edit(copy);
    return copy;
}
interface AlertPayload {
    schemaId: string;
    data: {
        essentials: Record<string, unknown>;
        alertContext: { properties: Record<string, unknown> | null; condition: { allOf: { dimensions: { name: string; value: string }[] }[] } };
        customProperties?: Record<string, unknown>;
    };
}

const PROD = { stack: "prod" };
const LOG_FIRED = "log-alert-v2-fired-slot.json";
const FIRED_AT = "2025-04-15T18:08:03.626Z";

const skipReason = (d: ForwardDecision): string => {
    expect(d, JSON.stringify(d)).to.have.property("skip");
    return (d as { skip: string }).skip;
};

/** Loads a module with the Functions library's "test mode" warnings (no host here) kept off the output. */
function quietly<T>(load: () => T): T {
    const warn = console.warn;
    console.warn = () => undefined;
    try {
        return load();
    } finally {
        console.warn = warn;
    }
}

describe("rollback relay (relay/)", function () {
    this.timeout(30000);

    describe("forwardDecision over the documented payloads (Azure Monitor 'Sample alert payloads', common alert schema)", () => {
        it("dispatches a fired log search alert V2 split by slot: stack, slot from the slot dimension, signal, firedAt", () => {
            expect(forwardDecision(fixture(LOG_FIRED), PROD)).to.deep.equal({
                dispatch: { stack: "prod", slot: "green", signal: "error-rate", firedAt: FIRED_AT },
            });
        });

        it("decides the same from the raw body text", () => {
            expect(forwardDecision(fs.readFileSync(path.join(FIXTURES, LOG_FIRED), "utf8"), PROD)).to.deep.equal(forwardDecision(fixture(LOG_FIRED), PROD));
        });

        it("skips the same alert resolved (monitorCondition Resolved)", () => {
            expect(skipReason(forwardDecision(fixture("log-alert-v2-resolved-slot.json"), PROD))).to.match(/is resolved: nothing to roll back$/);
        });

        it("skips a fired metric alert without a slot (pool exhausted: no slot dimension, no slot property): slot unknown", () => {
            expect(skipReason(forwardDecision(fixture("metric-alert-fired.json"), PROD))).to.match(/^slot unknown for rule nextgen-market-prod-alerts-db-connections-exhausted: /);
        });

        it("skips the action group's test notification (sample test action 'Log alert V2': Fired, but no slotshift custom properties)", () => {
            const fired = fixture("test-notification-log-alert-v2.json") as unknown as AlertPayload;
            expect(fired.data.essentials.monitorCondition).to.equal("Fired");
            expect(skipReason(forwardDecision(fired, PROD))).to.match(/not a slotshift rule: it carries no rollback custom property \(an action group's test notification/);
        });

        it("skips the common schema's own sample (a resolved metric alert)", () => {
            expect(skipReason(forwardDecision(fixture("common-schema-sample.json"), PROD))).to.contain("is resolved");
        });

        it('skips a rule that is not a rollback trigger (rollback "false")', () => {
            const payload = edited(LOG_FIRED, (p) => (p.data.alertContext.properties!.rollback = "false"));
            expect(skipReason(forwardDecision(payload, PROD))).to.match(/is not a rollback trigger \(rollback "false"\)/);
        });

        it("skips a rollback trigger of another stack: a relay serves one stack", () => {
            const payload = edited(LOG_FIRED, (p) => (p.data.alertContext.properties!.stack = "staging"));
            expect(skipReason(forwardDecision(payload, PROD))).to.equal('rule nextgen-market-prod-alerts-error-rate is for stack "staging"; this relay serves stack "prod"');
        });

        it("takes the slot from a slot custom property (rules of earlier versions, or by hand) only when no dimension names it", () => {
            const payload = edited(LOG_FIRED, (p) => {
                p.data.alertContext.condition.allOf[0].dimensions = [];
                p.data.alertContext.properties!.slot = "blue";
            });
            expect(forwardDecision(payload, PROD)).to.deep.equal({ dispatch: { stack: "prod", slot: "blue", signal: "error-rate", firedAt: FIRED_AT } });
        });

        it("reads data.customProperties too (where metric alerts put them), winning over alertContext.properties", () => {
            const payload = edited(LOG_FIRED, (p) => {
                p.data.customProperties = { ...p.data.alertContext.properties, signal: "p99-latency" };
                p.data.alertContext.properties = null;
            });
            expect(forwardDecision(payload, PROD)).to.deep.equal({ dispatch: { stack: "prod", slot: "green", signal: "p99-latency", firedAt: FIRED_AT } });
        });

        it("skips when the slot dimension and the rule's slot disagree, or neither says blue or green", () => {
            const conflict = edited(LOG_FIRED, (p) => (p.data.alertContext.properties!.slot = "blue"));
            expect(skipReason(forwardDecision(conflict, PROD))).to.contain("the slot dimension says green but the rule's slot custom property says blue");
            const other = edited(LOG_FIRED, (p) => (p.data.alertContext.condition.allOf[0].dimensions = [{ name: "slot", value: "purple" }]));
            expect(skipReason(forwardDecision(other, PROD))).to.match(/^slot unknown/);
        });

        it("skips a fired alert without a usable signal or firedDateTime", () => {
            expect(skipReason(forwardDecision(edited(LOG_FIRED, (p) => delete p.data.alertContext.properties!.signal), PROD))).to.contain("no usable signal");
            expect(skipReason(forwardDecision(edited(LOG_FIRED, (p) => (p.data.essentials.firedDateTime = "yesterday")), PROD))).to.contain("no usable firedDateTime");
        });

        it("skips a body in another schema (a webhook without useCommonAlertSchema)", () => {
            expect(skipReason(forwardDecision(edited(LOG_FIRED, (p) => (p.schemaId = "Microsoft.Insights/LogAlert")), PROD))).to.contain("not in the common alert schema");
        });

        it("skips garbage without throwing", () => {
            const garbage: unknown[] = ["", "{", "null", "[1,2]", "42", null, undefined, 42, [], {}, { schemaId: "azureMonitorCommonAlertSchema" }, { schemaId: "azureMonitorCommonAlertSchema", data: [] }, { schemaId: "azureMonitorCommonAlertSchema", data: { essentials: "x" } }, { schemaId: "azureMonitorCommonAlertSchema", data: { essentials: { monitorCondition: 1 } } }, { schemaId: "azureMonitorCommonAlertSchema", data: { essentials: { monitorCondition: "Fired" }, alertContext: { properties: { rollback: "true", stack: "prod" }, condition: { allOf: "x" } } } }];
            for (const g of garbage) {
                expect(skipReason(forwardDecision(g, PROD)), JSON.stringify(g) ?? "undefined").to.be.a("string").and.not.equal("");
            }
        });
    });

    describe("the handler against a loopback GitHub (real Octokit, no mocks inside the client)", () => {
        const TOKEN = "ghp_relayTestToken0000000000000000000000";
        /** The shared secret, as components/rollbackRelay.ts derives them: 64 hex digits. */
        const SECRET = "5f0c3a9e1b7d4c2a8e6f0b1d3c5a7e9f1b3d5c7a9e0f2b4d6c8a0e1f3b5d7c9a";
        let relay: typeof RelayModule;
        before(() => {
            relay = quietly(() => require("../relay/index") as typeof RelayModule);
        });

        interface Seen {
            method: string;
            url: string;
            headers: http.IncomingHttpHeaders;
            body: string;
        }
        type Reply = { status: number; headers?: Record<string, string>; body?: unknown } | "hang";
        /** A GitHub stand-in on 127.0.0.1 answering each request with the next reply (the last one repeats). */
        async function gitHub(replies: Reply[]): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
            const seen: Seen[] = [];
            const server = http.createServer((req, res) => {
                let body = "";
                req.on("data", (c: Buffer) => (body += c.toString("utf8")));
                req.on("end", () => {
                    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
                    const reply = replies[Math.min(seen.length, replies.length) - 1];
                    if (reply === "hang") {
                        return;
                    }
                    const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
                    res.writeHead(reply.status, { ...(text ? { "content-type": "application/json" } : {}), ...reply.headers });
                    res.end(text);
                });
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            const { port } = server.address() as AddressInfo;
            return {
                url: `http://127.0.0.1:${port}`,
                seen,
                close: () =>
                    new Promise<void>((resolve) => {
                        server.closeAllConnections();
                        server.close(() => resolve());
                    }),
            };
        }

        const env = (apiUrl: string) => ({ RELAY_SECRET: SECRET, GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: "owner/name", SLOTSHIFT_STACK: "prod", GITHUB_API_URL: apiUrl });
        /** Calls a handler the way the Functions host does: an HttpRequest and an InvocationContext, whose log lines are kept. */
        async function call(handler: RelayModule.RelayHandler, body: string, query = `?secret=${SECRET}`): Promise<{ res: HttpResponseInit; logs: string[] }> {
            const logs: string[] = [];
            const context = new InvocationContext({ functionName: "rollback", invocationId: "test", logHandler: (level, ...args) => logs.push(`${level} ${args.join(" ")}`) });
            const request = new HttpRequest({ method: "POST", url: `https://relay.example/api/rollback${query}`, body: { string: body }, headers: { "content-type": "application/json" } });
            const res = await handler(request, context);
            return { res, logs };
        }
        const firedBody = () => JSON.stringify(fixture(LOG_FIRED));
        const sleeps: number[] = [];
        const fakeSleep = async (ms: number) => {
            sleeps.push(ms);
        };
        beforeEach(() => {
            sleeps.length = 0;
        });
        /** Neither the answer nor a log line carries the token or the secret. */
        const noToken = (r: { res: HttpResponseInit; logs: string[] }) => {
            for (const secret of [TOKEN, SECRET]) {
                expect(JSON.stringify(r.res)).not.to.contain(secret);
                expect(r.logs.join("\n")).not.to.contain(secret);
            }
        };

        describe("the shared secret (?secret=, app setting RELAY_SECRET)", () => {
            const wrong: [string, string][] = [
                ["no query at all", ""],
                ["an empty secret", "?secret="],
                ["a wrong secret of the same length", `?secret=${SECRET.slice(0, -1)}0`],
                ["the secret in upper case", `?secret=${SECRET.toUpperCase()}`],
                ["a prefix of the secret", `?secret=${SECRET.slice(0, 32)}`],
                ["the secret with more after it", `?secret=${SECRET}00`],
                ["the secret under another name (a function key's code=)", `?code=${SECRET}`],
            ];
            for (const [what, query] of wrong) {
                it(`refuses ${what}: 401, no body, no log line, no call to GitHub, the body never read`, async () => {
                    const gh = await gitHub([{ status: 204 }]);
                    try {
                        let read = false;
                        const body = firedBody();
                        const handler = relay.makeRollbackHandler({ env: env(gh.url), sleep: fakeSleep });
                        const logs: string[] = [];
                        const context = new InvocationContext({ functionName: "rollback", invocationId: "test", logHandler: (level, ...args) => logs.push(`${level} ${args.join(" ")}`) });
                        const request = new HttpRequest({ method: "POST", url: `https://relay.example/api/rollback${query}`, body: { string: body } });
                        const res = await handler({ query: request.query, text: async () => ((read = true), body) }, context);
                        expect(res).to.deep.equal({ status: 401 });
                        expect(logs).to.deep.equal([]);
                        expect(read).to.equal(false);
                        expect(gh.seen).to.have.length(0);
                    } finally {
                        await gh.close();
                    }
                });
            }

            it("accepts the right secret (then decides as usual: here a test notification, 200 without dispatch)", async () => {
                const gh = await gitHub([{ status: 204 }]);
                try {
                    const r = await call(relay.makeRollbackHandler({ env: env(gh.url), sleep: fakeSleep }), JSON.stringify(fixture("test-notification-log-alert-v2.json")));
                    expect(r.res.status).to.equal(200);
                    expect(r.res.jsonBody).to.have.property("dispatched", false);
                    expect(gh.seen).to.have.length(0);
                    noToken(r);
                } finally {
                    await gh.close();
                }
            });

            it("checks the secret before the other settings: a wrong secret gets 401 even when the relay is misconfigured", async () => {
                const r = await call(relay.makeRollbackHandler({ env: { ...env("http://127.0.0.1:9"), GITHUB_TOKEN: "" }, sleep: fakeSleep }), firedBody(), "?secret=nope");
                expect(r.res).to.deep.equal({ status: 401 });
                expect(r.logs).to.deep.equal([]);
            });

            it("answers 500 without detail when RELAY_SECRET is missing or short, whatever the caller presents; the log names the setting, never a value", async () => {
                for (const [secret, message] of [
                    [undefined, "RELAY_SECRET is empty"],
                    ["", "RELAY_SECRET is empty"],
                    ["tooshort", "RELAY_SECRET is shorter than 32 characters"],
                ] as const) {
                    for (const query of ["", "?secret=", `?secret=${secret ?? ""}`]) {
                        const r = await call(relay.makeRollbackHandler({ env: { ...env("http://127.0.0.1:9"), RELAY_SECRET: secret }, sleep: fakeSleep }), firedBody(), query);
                        expect(r.res.status, `${String(secret)} ${query}`).to.equal(500);
                        expect(r.res.jsonBody).to.deep.equal({ dispatched: false, reason: "the relay is misconfigured" });
                        expect(r.logs.join("\n")).to.contain(message);
                        if (secret) {
                            expect(r.logs.join("\n")).not.to.contain(secret);
                        }
                    }
                }
            });

            it("compares with secretMatches: equal strings only, never an empty or absent one", () => {
                expect(relay.secretMatches(SECRET, SECRET)).to.equal(true);
                for (const presented of [null, undefined, "", SECRET.slice(1), `${SECRET} `, SECRET.toUpperCase()]) {
                    expect(relay.secretMatches(presented, SECRET), String(presented)).to.equal(false);
                }
                expect(relay.secretMatches("", "")).to.equal(false);
                expect(relay.secretMatches("x", "")).to.equal(false);
            });
        });

        it("dispatches a fired rollback trigger: POST /repos/owner/name/dispatches with the token and {event_type, client_payload}; 204 → 200 dispatched", async () => {
            const gh = await gitHub([{ status: 204 }]);
            try {
                const r = await call(relay.makeRollbackHandler({ env: env(gh.url), sleep: fakeSleep }), firedBody());
                expect(r.res.status).to.equal(200);
                expect(r.res.jsonBody).to.deep.include({ dispatched: true });
                expect(gh.seen).to.have.length(1);
                const req = gh.seen[0];
                expect(req.method).to.equal("POST");
                expect(req.url).to.equal("/repos/owner/name/dispatches");
                expect(req.headers.authorization).to.match(new RegExp(`^(token|bearer) ${TOKEN}$`, "i"));
                expect(req.headers["content-type"]).to.match(/^application\/json/);
                expect(JSON.parse(req.body)).to.deep.equal({
                    event_type: "slotshift-rollback",
                    client_payload: { stack: "prod", slot: "green", signal: "error-rate", firedAt: FIRED_AT },
                });
                noToken(r);
            } finally {
                await gh.close();
            }
        });

        it("answers 200 without calling GitHub for every skip (resolved, test notification, metric without slot, garbage)", async () => {
            const gh = await gitHub([{ status: 204 }]);
            try {
                const handler = relay.makeRollbackHandler({ env: env(gh.url), sleep: fakeSleep });
                const bodies = [
                    JSON.stringify(fixture("log-alert-v2-resolved-slot.json")),
                    JSON.stringify(fixture("test-notification-log-alert-v2.json")),
                    JSON.stringify(fixture("metric-alert-fired.json")),
                    "not json at all",
                    "",
                ];
                for (const body of bodies) {
                    const r = await call(handler, body);
                    expect(r.res.status, body.slice(0, 40)).to.equal(200);
                    expect(r.res.jsonBody).to.have.property("dispatched", false);
                    expect((r.res.jsonBody as RelayModule.RelayAnswer).reason).to.be.a("string").and.not.equal("");
                }
                expect(gh.seen).to.have.length(0);
            } finally {
                await gh.close();
            }
        });

        for (const [status, message] of [
            [401, "Bad credentials"],
            [404, "Not Found"],
            [422, `Invalid request. event_type is not valid for token ${TOKEN}`],
            [403, "Resource not accessible by personal access token"],
        ] as const) {
            it(`answers 502 when GitHub refuses with ${status} (no retry; the action group retries neither), without the token`, async () => {
                const gh = await gitHub([{ status, body: { message, documentation_url: "https://docs.github.com/rest" } }]);
                try {
                    const r = await call(relay.makeRollbackHandler({ env: env(gh.url), sleep: fakeSleep }), firedBody());
                    expect(r.res.status).to.equal(502);
                    expect(r.res.jsonBody).to.have.property("dispatched", false);
                    expect((r.res.jsonBody as RelayModule.RelayAnswer).reason).to.contain(`GitHub refused the dispatch`).and.contain(String(status));
                    expect(gh.seen).to.have.length(1);
                    expect(sleeps).to.deep.equal([]);
                    noToken(r);
                } finally {
                    await gh.close();
                }
            });
        }

        it("waits out a secondary rate limit of 403 with Retry-After: 1 (GitHub: do not retry before), then dispatches: 2 calls", async () => {
            const gh = await gitHub([{ status: 403, headers: { "retry-after": "1" }, body: { message: "You have exceeded a secondary rate limit" } }, { status: 204 }]);
            try {
                // The real timer: the relay does wait the second.
                const started = Date.now();
                const r = await call(relay.makeRollbackHandler({ env: env(gh.url) }), firedBody());
                expect(Date.now() - started).to.be.at.least(990);
                expect(r.res.status).to.equal(200);
                expect(r.res.jsonBody).to.deep.include({ dispatched: true });
                expect((r.res.jsonBody as RelayModule.RelayAnswer).reason).to.contain("after one retry");
                expect(gh.seen).to.have.length(2);
                noToken(r);
            } finally {
                await gh.close();
            }
        });

        it("retries a rate limit once only: a second 403 with Retry-After answers 503, which the action group retries", async () => {
            const gh = await gitHub([{ status: 403, headers: { "retry-after": "1" }, body: { message: "You have exceeded a secondary rate limit" } }]);
            try {
                const r = await call(relay.makeRollbackHandler({ env: env(gh.url), sleep: fakeSleep }), firedBody());
                expect(r.res.status).to.equal(503);
                expect(r.res.headers).to.deep.include({ "retry-after": "1" });
                expect(gh.seen).to.have.length(2);
                expect(sleeps).to.deep.equal([1000]);
                noToken(r);
            } finally {
                await gh.close();
            }
        });

        it("does not wait out a rate limit longer than 2 s (Retry-After 3 or 60, 429 without one, an hour to the reset): 503 at once, one call", async () => {
            const replies: Reply[] = [
                { status: 403, headers: { "retry-after": "3" }, body: { message: "secondary rate limit" } },
                { status: 403, headers: { "retry-after": "60" }, body: { message: "secondary rate limit" } },
                { status: 429, body: { message: "secondary rate limit" } },
                { status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600) }, body: { message: "API rate limit exceeded" } },
            ];
            for (const reply of replies) {
                sleeps.length = 0;
                const gh = await gitHub([reply]);
                try {
                    const r = await call(relay.makeRollbackHandler({ env: env(gh.url), sleep: fakeSleep }), firedBody());
                    expect(r.res.status, JSON.stringify(reply)).to.equal(503);
                    expect(gh.seen).to.have.length(1);
                    expect(sleeps).to.deep.equal([]);
                } finally {
                    await gh.close();
                }
            }
        });

        it("does not retry a GitHub 5xx: 503 at once, one call, no wait (the action group retries 503)", async () => {
            for (const status of [500, 502, 503, 504]) {
                sleeps.length = 0;
                const gh = await gitHub([{ status, body: { message: "Server Error" } }, { status: 204 }]);
                try {
                    const r = await call(relay.makeRollbackHandler({ env: env(gh.url), sleep: fakeSleep }), firedBody());
                    expect(r.res.status, String(status)).to.equal(503);
                    expect(r.res.jsonBody).to.have.property("dispatched", false);
                    expect(gh.seen).to.have.length(1);
                    expect(sleeps).to.deep.equal([]);
                    noToken(r);
                } finally {
                    await gh.close();
                }
            }
        });

        it("does not retry a refused connection or a timeout: 503 after one call each", async () => {
            // Nothing listens on a port just released.
            const gone = await gitHub([{ status: 204 }]);
            await gone.close();
            const refused = await call(relay.makeRollbackHandler({ env: env(gone.url), sleep: fakeSleep }), firedBody());
            expect(refused.res.status).to.equal(503);
            expect(sleeps).to.deep.equal([]);
            noToken(refused);
            // A GitHub that never answers: the call is cut at the timeout.
            const hang = await gitHub(["hang"]);
            try {
                const started = Date.now();
                const r = await call(relay.makeRollbackHandler({ env: env(hang.url), sleep: fakeSleep, timeoutMs: 200 }), firedBody());
                expect(r.res.status).to.equal(503);
                expect(hang.seen).to.have.length(1);
                expect(sleeps).to.deep.equal([]);
                expect(Date.now() - started).to.be.below(2000);
            } finally {
                await hang.close();
            }
        });

        it("stays under the webhook timeout by default: a GitHub that never answers is cut at 4 s, one call, 503", async () => {
            expect(relay.REQUEST_TIMEOUT_MS).to.equal(4000);
            const hang = await gitHub(["hang"]);
            try {
                const started = Date.now();
                // The real timer and the default timeout.
                const r = await call(relay.makeRollbackHandler({ env: env(hang.url) }), firedBody());
                const took = Date.now() - started;
                expect(r.res.status).to.equal(503);
                expect(hang.seen).to.have.length(1);
                expect(took).to.be.at.least(3900).and.below(6000);
            } finally {
                await hang.close();
            }
        });

        it("bounds the worst case: a rate-limit wait and a second whole call fit in the 7 s budget, under the action group's 10 s", () => {
            expect(relay.RELAY_BUDGET_MS).to.equal(7000);
            expect(relay.MAX_RETRY_AFTER_SECONDS).to.equal(2);
            // The longest path: an answer at the last moment the wait may still be taken, the wait, a second call cut at the timeout.
            const lastFirstAnswer = relay.RELAY_BUDGET_MS - relay.MAX_RETRY_AFTER_SECONDS * 1000 - relay.REQUEST_TIMEOUT_MS;
            expect(lastFirstAnswer).to.equal(1000);
            expect(lastFirstAnswer + relay.MAX_RETRY_AFTER_SECONDS * 1000 + relay.REQUEST_TIMEOUT_MS).to.be.at.most(8000);
        });

        it("does not wait out a rate limit when the wait and a second call would overrun the budget: 503 at once", async () => {
            // A clock on which GitHub's first answer took 2.5 s: 2.5 + 1 + 4 > 7.
            const gh = await gitHub([{ status: 403, headers: { "retry-after": "1" }, body: { message: "You have exceeded a secondary rate limit" } }, { status: 204 }]);
            try {
                const times = [0, 2500];
                const now = () => times.shift() ?? 2500;
                const r = await call(relay.makeRollbackHandler({ env: env(gh.url), sleep: fakeSleep, now }), firedBody());
                expect(r.res.status).to.equal(503);
                expect(r.res.headers).to.deep.include({ "retry-after": "1" });
                expect(gh.seen).to.have.length(1);
                expect(sleeps).to.deep.equal([]);
            } finally {
                await gh.close();
            }
            // The same answer after 0.9 s: 0.9 + 1 + 4 <= 7, so the relay waits and calls again.
            sleeps.length = 0;
            const quick = await gitHub([{ status: 403, headers: { "retry-after": "1" }, body: { message: "You have exceeded a secondary rate limit" } }, { status: 204 }]);
            try {
                const times = [0, 900];
                const now = () => times.shift() ?? 900;
                const r = await call(relay.makeRollbackHandler({ env: env(quick.url), sleep: fakeSleep, now }), firedBody());
                expect(r.res.status).to.equal(200);
                expect(quick.seen).to.have.length(2);
                expect(sleeps).to.deep.equal([1000]);
            } finally {
                await quick.close();
            }
        });

        it("answers 500 naming the setting, never its value, when the app settings are wrong; GitHub is not called", async () => {
            const gh = await gitHub([{ status: 204 }]);
            try {
                for (const [change, message] of [
                    [{ GITHUB_TOKEN: "" }, "GITHUB_TOKEN is empty"],
                    [{ GITHUB_REPOSITORY: "owner" }, 'GITHUB_REPOSITORY is "owner"; expected owner/name'],
                    [{ SLOTSHIFT_STACK: undefined }, "SLOTSHIFT_STACK is empty"],
                ] as const) {
                    const r = await call(relay.makeRollbackHandler({ env: { ...env(gh.url), ...change }, sleep: fakeSleep }), firedBody());
                    expect(r.res.status).to.equal(500);
                    expect((r.res.jsonBody as RelayModule.RelayAnswer).reason).to.contain(message);
                    noToken(r);
                }
                expect(gh.seen).to.have.length(0);
            } finally {
                await gh.close();
            }
        });

        it("reads GITHUB_API_URL as optional: https://api.github.com by default", () => {
            const s = relay.readSettings({ GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: "owner/name", SLOTSHIFT_STACK: "prod" });
            expect(s).to.deep.include({ owner: "owner", repo: "name", stack: "prod", apiUrl: "https://api.github.com" });
        });
    });

    describe("the committed bundle (relay/dist)", () => {
        it(`is what relay/build.ts builds now (else run: ${BUILD_COMMAND})`, async () => {
            const out = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-relay-build-"));
            try {
                const built = await buildRelay(out);
                const committed = fs.existsSync(DIST) ? fs.readdirSync(DIST).sort() : [];
                expect(committed, `relay/dist is stale: run ${BUILD_COMMAND}`).to.deep.equal(built);
                for (const f of built) {
                    const same = Buffer.compare(fs.readFileSync(path.join(out, f)), fs.readFileSync(path.join(DIST, f))) === 0;
                    expect(same, `relay/dist/${f} is stale: run ${BUILD_COMMAND}`).to.equal(true);
                }
            } finally {
                fs.rmSync(out, { recursive: true, force: true });
            }
        });

        it("is a v4 package: package.json main index.js, host.json version 2.0 without extension bundle, under 300 KB", () => {
            expect(JSON.parse(fs.readFileSync(path.join(DIST, "package.json"), "utf8"))).to.include({ main: "index.js" });
            expect(JSON.parse(fs.readFileSync(path.join(DIST, "host.json"), "utf8"))).to.deep.equal({ version: "2.0" });
            expect(fs.statSync(path.join(DIST, "index.js")).size).to.be.below(300 * 1024);
        });

        it("requires nothing outside Node but @azure/functions-core, and holds no absolute path", () => {
            const code = fs.readFileSync(path.join(DIST, "index.js"), "utf8");
            const required = [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort();
            const builtins = new Set(require("module").builtinModules as string[]);
            expect(required.filter((m) => !builtins.has(m.replace(/^node:/, "")))).to.deep.equal(["@azure/functions-core"]);
            expect(code).not.to.contain(ROOT);
        });

        it('registers the function anonymous (the relay checks RELAY_SECRET itself): no host key to read at deploy time', () => {
            const code = fs.readFileSync(path.join(DIST, "index.js"), "utf8");
            expect(code).to.match(/authLevel:"anonymous"/);
            expect(code).not.to.match(/authLevel:"(function|admin)"/);
        });

        it("loads without the Functions host (@azure/functions-core absent: the library's test mode) and relays end to end", async () => {
            expect(() => require.resolve("@azure/functions-core")).to.throw();
            const warnings: string[] = [];
            const warn = console.warn;
            console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
            let bundled: typeof RelayModule;
            try {
                bundled = require(path.join(DIST, "index.js")) as typeof RelayModule;
            } finally {
                console.warn = warn;
            }
            expect(warnings.join("\n")).to.contain('Skipping call to register function "rollback"');
            const seen: string[] = [];
            const server = http.createServer((req, res) => {
                seen.push(`${req.method} ${req.url}`);
                req.resume();
                req.on("end", () => res.writeHead(204).end());
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            try {
                const { port } = server.address() as AddressInfo;
                const handler = bundled.makeRollbackHandler({ env: { RELAY_SECRET: "s".repeat(64), GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "owner/name", SLOTSHIFT_STACK: "prod", GITHUB_API_URL: `http://127.0.0.1:${port}` } });
                const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
                const body = async () => JSON.stringify(fixture(LOG_FIRED));
                expect(await handler({ query: new URLSearchParams("secret=wrong"), text: body }, quiet)).to.deep.equal({ status: 401 });
                expect(seen).to.deep.equal([]);
                const res = await handler({ query: new URLSearchParams(`secret=${"s".repeat(64)}`), text: body }, quiet);
                expect(res.status).to.equal(200);
                expect(res.jsonBody).to.deep.include({ dispatched: true });
                expect(seen).to.deep.equal(["POST /repos/owner/name/dispatches"]);
            } finally {
                server.closeAllConnections();
                await new Promise<void>((resolve) => server.close(() => resolve()));
            }
        });
    });
});
