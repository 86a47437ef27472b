import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Analysis, WatchDeps, watch } from "../analysis/analyze";
import type { TokenCredential } from "@azure/identity";
import { AnalysisError, logsReader, parseLogsEndpoint, staticTokenCredential } from "../analysis/client";
import { readRecord } from "../analysis/record";
import { Measurement, judge } from "../analysis/verdict";
import { ANALYZE_EXIT, analyzeCommand } from "../cli/analyze";
import { PlanResult } from "../cli/engine";
import { rollbackSignals, alertRulesInputOf, alertRules } from "../rollout/alerts";
import { parseStackConfig } from "../rollout/config";
import { FakeLogAnalytics, SlotTelemetry } from "./fakes/logAnalytics";
import { ROOT, edited, planStack, runCli } from "./helpers";

const TOKEN = "test-token-7c1d0e";
const STAGED_AT = new Date("2026-11-26T13:00:00.000Z");
const STEP_AT = new Date("2026-11-26T14:00:00.000Z");
const minutes = (n: number) => new Date(STEP_AT.getTime() + n * 60000);

/** A project folder with the real stack files (the analysis's thresholds), where records are written. */
function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-analyze-"));
    for (const f of fs.readdirSync(ROOT).filter((x) => /^Pulumi(\..+)?\.yaml$/.test(x))) {
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    return dir;
}

/** Runs the slotshift command in a folder. */
function slotshift(dir: string, args: string[], env: NodeJS.ProcessEnv = { SLOTSHIFT_ANALYSIS_TOKEN: TOKEN }) {
    return runCli(dir, args, env);
}

let guids = 0;
/** A fresh workspace ID per test: the stand-in's requests and answers stay apart. */
const guid = () => `00000000-0000-4000-8000-${String(++guids).padStart(12, "0")}`;

const HEALTHY: Record<string, SlotTelemetry> = {
    green: { requests: 400, failed: 1, p99Ms: 300, exhaustedInstances: 0, probeFailures: 0 },
    blue: { requests: 8000, failed: 16, p99Ms: 280, exhaustedInstances: 0, probeFailures: 0 },
};

describe("slotshift analyze: the candidate against the rollback triggers and the live slot, from the logs", function () {
    this.timeout(120000);

    const fake = new FakeLogAnalytics(TOKEN);
    let endpoint = "";
    let atFive: PlanResult;
    let dir = "";

    before(async () => {
        endpoint = await fake.start();
        dir = project();
        // Prod's green staged, then stepped to 5 % at STEP_AT, by the real program under the offline engine.
        const staged = await planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 0 }), now: STAGED_AT });
        expect(staged.ok, staged.error?.message).to.equal(true);
        atFive = await planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 5 }), previous: staged.outputs, now: STEP_AT });
        expect(atFive.ok, atFive.error?.message).to.equal(true);
    });

    after(() => fake.stop());

    const expectations = (start = STEP_AT) => ({
        roles: { blue: "nextgen-market-blue", green: "nextgen-market-green" },
        namespace: "nextgen-market-prod",
        app: "nextgen-market",
        windowStart: start,
        probeLookbackMinutes: 24 * 60,
    });

    /** Prod at 5 % with its own workspaces in the stand-in; the outputs file for --previous. */
    function stack(telemetry: Record<string, SlotTelemetry> = HEALTHY, opts: { cluster?: string | null; known?: boolean; rollout?: Record<string, unknown> } = {}) {
        const app = guid();
        const cluster = opts.cluster === undefined ? guid() : opts.cluster;
        if (opts.known !== false) {
            fake.workspace(app, telemetry, expectations());
            if (cluster !== null) {
                fake.workspace(cluster, telemetry, expectations());
            }
        }
        const outputs = { ...atFive.outputs, rollout: { ...(atFive.outputs.rollout as object), ...opts.rollout }, telemetry: { workspaceCustomerId: app, clusterWorkspaceCustomerId: cluster } };
        const file = path.join(dir, `outputs-${app}.json`);
        fs.writeFileSync(file, JSON.stringify(outputs, null, 2));
        return { app, cluster, file };
    }

    const analyze = (file: string, ...more: string[]) => slotshift(dir, ["analyze", "--stack", "prod", "--previous", file, "--logs-endpoint", endpoint, "--now", minutes(6).toISOString(), ...more]);

    describe("verdicts", () => {
        it("passes a healthy candidate, every signal judged over the step's window, and says so in a table", async () => {
            const s = stack();
            const r = await analyze(s.file);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.match(/^SIGNAL\s+CANDIDATE \(green\)\s+LIVE \(blue\)\s+FAILS WHEN\s+VERDICT$/m);
            for (const signal of ["error-rate", "p99-latency", "pool-exhausted", "health"]) {
                expect(r.stdout).to.match(new RegExp(`^${signal}\\s.*✔ pass$`, "m"));
            }
            expect(r.stdout).to.match(/^error-rate\s+0\.25 % of 400 req\s+0\.20 % of 8000 req\s+> 1\.00 % or > 2 × live\s+✔ pass$/m);
            expect(r.stdout).to.contain("PASS: every signal passed: error-rate, p99-latency, pool-exhausted, health");
            // Three queries of the app's workspace, one of the cluster's, each the documented request.
            const app = fake.to(s.app);
            expect(app.map((q) => q.signal)).to.deep.equal(["error-rate", "p99-latency", "pool-exhausted"]);
            expect(fake.to(s.cluster!).map((q) => q.signal)).to.deep.equal(["health"]);
            for (const q of [...app, ...fake.to(s.cluster!)]) {
                expect(q.status).to.equal(200);
                expect(q.path).to.equal(`/v1/workspaces/${q.workspace}/query`);
                expect(q.authorization).to.equal(`Bearer ${TOKEN}`);
                expect(q.contentType).to.match(/^application\/json/);
                expect(q.prefer).to.equal("wait=30");
                expect(String(q.body?.timespan).split("/")[1]).to.equal(minutes(6).toISOString());
            }
            expect(String(app[0].body?.timespan).split("/")[0]).to.equal(STEP_AT.toISOString());
        });

        it("prints one JSON document for pipelines, and keeps the verdict for next and finalize", async () => {
            const s = stack();
            const r = await analyze(s.file, "--json");
            expect(r.code, r.stderr).to.equal(0);
            const doc = JSON.parse(r.stdout) as Analysis;
            expect(doc).to.deep.include({ stack: "prod", verdict: "pass", window: { start: STEP_AT.toISOString(), end: minutes(6).toISOString() } });
            expect(doc.candidate).to.deep.equal({ slot: "green", version: "1.1.0", weight: 5 });
            expect(doc.live).to.deep.equal({ slot: "blue", version: "1.0.0" });
            expect(doc.step).to.deep.equal({ takenAt: STEP_AT.toISOString(), phase: "canary" });
            expect(doc.signals.find((x) => x.signal === "error-rate")).to.deep.include({ verdict: "pass", candidate: { value: 0.25, requests: 400, rows: 400, failedRows: 1 }, live: { value: 0.2, requests: 8000, rows: 8000, failedRows: 16 }, threshold: 1, maxRatio: 2 });
            expect(readRecord(dir, "prod")).to.deep.include({ verdict: "pass", candidate: "green", version: "1.1.0", weight: 5, stepTakenAt: STEP_AT.toISOString() });
        });

        it("fails 1.5 % errors, naming the signal and both slots' values", async () => {
            const s = stack({ ...HEALTHY, green: { ...HEALTHY.green, failed: 6 } });
            const r = await analyze(s.file);
            expect(r.code).to.equal(ANALYZE_EXIT.fail);
            expect(r.stdout).to.match(/^error-rate\s.*✖ fail$/m);
            expect(r.stdout).to.contain("FAIL: error-rate: green 1.50 % is above the threshold of 1.00 % (blue 0.20 %)");
        });

        it("fails a p99 of 2.5 s", async () => {
            const s = stack({ ...HEALTHY, green: { ...HEALTHY.green, p99Ms: 2500 } });
            const r = await analyze(s.file);
            expect(r.code).to.equal(ANALYZE_EXIT.fail);
            expect(r.stdout).to.contain("FAIL: p99-latency: green 2500 ms is above the threshold of 2000 ms (blue 280 ms)");
        });

        it("fails a candidate whose connection pool was full", async () => {
            const s = stack({ ...HEALTHY, green: { ...HEALTHY.green, exhaustedInstances: 1 } });
            const r = await analyze(s.file);
            expect(r.code).to.equal(ANALYZE_EXIT.fail);
            expect(r.stdout).to.contain("FAIL: pool-exhausted: green 1 instance is above the threshold of 0 instances (blue 0 instances)");
        });

        it("fails probe failures of the candidate's pods above the health threshold", async () => {
            const s = stack({ ...HEALTHY, green: { ...HEALTHY.green, probeFailures: 4 } });
            const r = await analyze(s.file);
            expect(r.code).to.equal(ANALYZE_EXIT.fail);
            expect(r.stdout).to.contain("FAIL: health: green 4 failures is above the threshold of 3 failures");
        });

        it("fails a candidate worse than live by more than the margin, under the thresholds, on significant evidence", async () => {
            const errors = stack({ ...HEALTHY, green: { ...HEALTHY.green, requests: 4000, failed: 36 } });
            const r = await analyze(errors.file);
            expect(r.code).to.equal(ANALYZE_EXIT.fail);
            expect(r.stdout).to.contain("FAIL: error-rate: green 0.90 % is more than 2 × blue's 0.20 % over the same window (under the threshold of 1.00 %)");
            const slow = stack({ ...HEALTHY, green: { ...HEALTHY.green, requests: 2000, p99Ms: 600 } });
            const r2 = await analyze(slow.file);
            expect(r2.code).to.equal(ANALYZE_EXIT.fail);
            expect(r2.stdout).to.contain("FAIL: p99-latency: green 600 ms is more than 1.5 × blue's 280 ms");
        });

        it("does not fail a candidate by ratio on a few unlucky errors or a p99 of few requests: the same figures on little evidence pass", async () => {
            // 3 failures in 400 (0.75 %) against 0.20 %: z of about 0.8, under the one-sided 1 % test's 2.326.
            const errors = stack({ ...HEALTHY, green: { ...HEALTHY.green, failed: 3 } });
            const r = await analyze(errors.file);
            expect(r.code, r.stdout).to.equal(0);
            const slow = stack({ ...HEALTHY, green: { ...HEALTHY.green, p99Ms: 600 } });
            const r2 = await analyze(slow.file, "--json");
            expect(r2.code, r2.stdout).to.equal(0);
            const p99 = (JSON.parse(r2.stdout) as Analysis).signals.find((x) => x.signal === "p99-latency")!;
            expect(p99.reason).to.equal("p99-latency: green 600 ms, within the threshold of 2000 ms; too few requests to compare p99 with blue (1000 recorded on each)");
        });

        it("weighs the evidence by the rows recorded, not the requests they stand for (the distro samples)", async () => {
            // 0.90 % of 4000 requests, but only 400 rows recorded (36 requests' worth of failures in 4 rows): too little to fail by ratio.
            const sampled = stack({ ...HEALTHY, green: { ...HEALTHY.green, requests: 4000, failed: 36, rows: 400, failedRows: 4 } });
            const r = await analyze(sampled.file);
            expect(r.code, r.stdout).to.equal(0);
            // And fewer rows than minRequests is inconclusive, whatever they stand for.
            const few = stack({ ...HEALTHY, green: { ...HEALTHY.green, requests: 4000, rows: 40 } });
            const r2 = await analyze(few.file);
            expect(r2.code).to.equal(ANALYZE_EXIT.inconclusive);
            expect(r2.stdout).to.contain("green answered 40 requests in the window");
        });

        it("judges no error rate by ratio below the warning rate: a ratio of two tiny rates is noise", async () => {
            const s = stack({ green: { ...HEALTHY.green, failed: 1 }, blue: { ...HEALTHY.blue, failed: 0 } });
            const r = await analyze(s.file);
            expect(r.code, r.stdout).to.equal(0);
        });

        it("is inconclusive, never a pass, on too few requests, even with no error at all", async () => {
            const s = stack({ ...HEALTHY, green: { requests: 40, failed: 0, p99Ms: 100, exhaustedInstances: 0 } });
            const r = await analyze(s.file);
            expect(r.code).to.equal(ANALYZE_EXIT.inconclusive);
            expect(r.stdout).to.contain("INCONCLUSIVE: error-rate: green answered 40 requests in the window; at least 100 are needed for a judgement (slotshift:analysis.minRequests)");
            expect(readRecord(dir, "prod")?.verdict).to.equal("inconclusive");
        });

        it("is inconclusive when the candidate reported no pool metrics", async () => {
            const s = stack({ ...HEALTHY, green: { requests: 400, failed: 0, p99Ms: 100 } });
            const r = await analyze(s.file);
            expect(r.code).to.equal(ANALYZE_EXIT.inconclusive);
            expect(r.stdout).to.match(/^pool-exhausted\s+no data\s.*◌ inconclusive$/m);
        });

        it("skips the pool signal, saying why, when neither slot reports pool metrics (an app without a pool), and passes on the rest", async () => {
            const s = stack({ green: { requests: 400, failed: 0, p99Ms: 100, probeFailures: 0 }, blue: { requests: 8000, failed: 16, p99Ms: 280, probeFailures: 0 } });
            const r = await analyze(s.file);
            expect(r.code, r.stdout + r.stderr).to.equal(0);
            expect(r.stdout).to.match(/^pool-exhausted\s.*- skipped$/m);
            expect(r.stdout).to.contain("PASS: every signal passed: error-rate, p99-latency, health");
        });

        it("skips health, saying why, when the cluster workspace's ID is not in the outputs", async () => {
            const s = stack(HEALTHY, { cluster: null });
            const r = await analyze(s.file);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.match(/^health\s+-\s+-\s.*- skipped$/m);
        });
    });

    describe("errors are never a pass", () => {
        it("retries a 429 with Retry-After, then judges", async () => {
            const s = stack();
            fake.answerNext(s.app, { status: 429, code: "TooManyRequests", message: "throttled", headers: { "retry-after": "1" } });
            const r = await analyze(s.file);
            expect(r.code, r.stderr).to.equal(0);
            expect(fake.to(s.app).map((q) => q.status)).to.deep.equal([429, 200, 200, 200]);
        });

        it("retries a 429 without Retry-After a bounded number of times (the SDK does not)", async () => {
            const s = stack();
            fake.answerNext(s.app, { status: 429, code: "TooManyRequests" }, { status: 429, code: "TooManyRequests" });
            const reader = logsReader({ endpoint: parseLogsEndpoint(endpoint), credential: staticTokenCredential(TOKEN), throttle: { attempts: 3, delayMs: 10 } });
            const q = rollbackSignals(alertRulesInputOf(parseStackConfig(edited("prod", {}), "prod"), "nextgen-market-prod"))[0].query({ kind: "since", start: STEP_AT });
            const answer = await reader.query(s.app, q, { start: STEP_AT, end: minutes(6) }, "error-rate");
            expect(answer.rows).to.have.length(2);
            expect(fake.to(s.app).map((x) => x.status)).to.deep.equal([429, 429, 200]);
            fake.answerNext(s.app, ...[1, 2, 3].map(() => ({ status: 429, code: "TooManyRequests" })));
            const e = await reader.query(s.app, q, { start: STEP_AT, end: minutes(6) }, "error-rate").then(() => undefined, (x: unknown) => x);
            expect(e).to.be.instanceOf(AnalysisError);
            expect((e as Error).message).to.contain("answered 429 TooManyRequests");
        });

        const failures: { what: string; setup: (s: ReturnType<typeof stack>) => void; known?: boolean; args?: string[]; env?: NodeJS.ProcessEnv; message: RegExp }[] = [
            { what: "a 401", setup: (s) => fake.answerNext(s.app, { status: 401, code: "AuthenticationFailed", message: "Authentication failed." }), message: /answered 401 AuthenticationFailed: Authentication failed\. \(the credential: SLOTSHIFT_ANALYSIS_TOKEN/ },
            { what: "a token the API refuses (403)", setup: () => undefined, env: { SLOTSHIFT_ANALYSIS_TOKEN: "not-the-token-91b2" }, message: /answered 403 InvalidAuthenticationToken: The access token is invalid\./ },
            { what: "a workspace that does not exist (404)", setup: () => undefined, known: false, message: /answered 404 PathNotFoundError: The requested path does not exist \(no such workspace/ },
            { what: "a malformed answer (an HTML page)", setup: (s) => fake.answerNext(s.app, { status: 200, raw: "<html>gateway</html>", contentType: "text/html" }), message: /gave an answer that is not the query API's/ },
            { what: "a hang (no answer within --timeout)", setup: (s) => fake.answerNext(s.app, { hang: true }), args: ["--timeout", "1"], message: /no answer from http:\/\/127\.0\.0\.1:\d+\/v1 within the analysis's deadline of 1 s/ },
            { what: "a query error (400)", setup: (s) => fake.answerNext(s.app, { status: 400, code: "BadArgumentError", message: "The request had some invalid properties" }), message: /answered 400 BadArgumentError/ },
        ];
        for (const f of failures) {
            it(`ends ${f.what} with exit 7 and one line, never a pass, never the token`, async () => {
                const s = stack(HEALTHY, { known: f.known });
                f.setup(s);
                const env = f.env ?? { SLOTSHIFT_ANALYSIS_TOKEN: TOKEN };
                const r = await slotshift(dir, ["analyze", "--stack", "prod", "--previous", s.file, "--logs-endpoint", endpoint, "--now", minutes(6).toISOString(), ...(f.args ?? [])], env);
                expect(r.code, r.stdout + r.stderr).to.equal(ANALYZE_EXIT.error);
                expect(r.stdout).to.equal("");
                expect(r.stderr.trimEnd().split("\n")).to.have.length(1);
                expect(r.stderr).to.match(/^slotshift analyze: the logs could not be read, so no verdict \(never a pass\): the error-rate query of workspace /);
                expect(r.stderr).to.match(f.message);
                expect(r.stderr + r.stdout).not.to.contain(String(env.SLOTSHIFT_ANALYSIS_TOKEN));
                expect(readRecord(dir, "prod")?.verdict).to.equal("error");
            });
        }

        it("says when no token could be had, and sends nothing", async () => {
            const s = stack();
            const unavailable: TokenCredential = {
                getToken: async () => {
                    throw Object.assign(new Error("EnvironmentCredential is unavailable. No underlying credential could be used."), { name: "CredentialUnavailableError" });
                },
            };
            const reader = logsReader({ endpoint: parseLogsEndpoint(endpoint), credential: unavailable });
            const e = await reader.query(s.app, "AppRequests | take 1", { start: STEP_AT, end: minutes(6) }, "error-rate").then(() => undefined, (x: unknown) => x);
            expect(e).to.be.instanceOf(AnalysisError);
            expect((e as Error).message).to.match(/no token for the query API \(CredentialUnavailableError: EnvironmentCredential is unavailable/);
            expect(fake.to(s.app)).to.deep.equal([]);
        });

        it("says so in the JSON document too", async () => {
            const s = stack(HEALTHY, { known: false });
            const r = await analyze(s.file, "--json");
            expect(r.code).to.equal(ANALYZE_EXIT.error);
            expect(JSON.parse(r.stdout)).to.deep.include({ stack: "prod", verdict: "error" });
        });

        it("ends an answer without the measure's column with exit 7", async () => {
            const s = stack();
            fake.answerNext(s.app, { status: 200, raw: JSON.stringify({ tables: [{ name: "PrimaryResult", columns: [{ name: "slot", type: "string" }], rows: [["green"]] }] }), contentType: "application/json" });
            const r = await analyze(s.file);
            expect(r.code).to.equal(ANALYZE_EXIT.error);
            expect(r.stderr, r.stderr).to.contain("the error-rate query's answer has no column errorRatePercent (columns: slot)");
        });

        it("is refused by the stand-in when the window does not start at the step, or a query does not name the slots", async () => {
            // The stand-in's checks are live: the same telemetry, a step taken a minute later.
            const s = stack(HEALTHY, { rollout: { stepTakenAt: minutes(1).toISOString() } });
            const r = await analyze(s.file);
            expect(r.code).to.equal(ANALYZE_EXIT.error);
            expect(fake.to(s.app)[0].refused).to.match(/^timespan starts at 2026-11-26T14:01:00\.000Z, not when the step was taken/);
            const reader = logsReader({ endpoint: parseLogsEndpoint(endpoint), credential: staticTokenCredential(TOKEN) });
            const e = await reader.query(s.app, "AppRequests | summarize total = sum(ItemCount), errorRatePercent = 0.0 by slot = AppRoleName", { start: STEP_AT, end: minutes(6) }, "error-rate").then(
                () => undefined,
                (x: unknown) => x,
            );
            expect((e as Error).message).to.contain("answered 400 BadArgumentError");
            expect(fake.to(s.app).pop()?.refused).to.equal("the query does not filter and name the slots by their role names");
        });
    });

    describe("usage", () => {
        it("refuses a step that carries no traffic, a stack never updated, and outputs without the workspace's ID (exit 2)", async () => {
            const staged = stack(HEALTHY, { rollout: { weights: { blue: 100, green: 0 }, phase: "staged", step: 0, nextStep: 5 } });
            const r = await analyze(staged.file);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.contain("green carries no traffic in prod (phase staged, 0 %): nothing to analyse");
            const none = path.join(dir, "none.json");
            fs.writeFileSync(none, "{}");
            expect((await analyze(none)).stderr).to.contain("have no rollout output (the stack was never updated)");
            const old = path.join(dir, "old.json");
            fs.writeFileSync(old, JSON.stringify({ rollout: atFive.outputs.rollout }));
            const r3 = await analyze(old);
            expect(r3.code).to.equal(2);
            expect(r3.stderr).to.contain("have no telemetry.workspaceCustomerId");
        });

        it("refuses a logs endpoint that is not the query API's over https, or a loopback stand-in's, in one line naming the flag: no other host gets the token", async () => {
            const s = stack();
            for (const url of ["http://api.example.com/v1", "https://api.loganalytics.io", "ftp://127.0.0.1/v1", "not a url", "https://logs.example.com/v1", "https://api.loganalytics.io.example.com/v1"]) {
                const r = await slotshift(dir, ["analyze", "--stack", "prod", "--previous", s.file, "--logs-endpoint", url]);
                expect(r.code, url).to.equal(2);
                expect(r.stderr, url).to.match(new RegExp(`^slotshift: --logs-endpoint ${JSON.stringify(url).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is (not allowed|not a URL); allowed: the Log Analytics query API's https URL ending in /v1`));
            }
            expect(fake.to(s.app)).to.deep.equal([]);
        });

        it("refuses --until without --watch, and a duration it does not know", async () => {
            const s = stack();
            expect((await analyze(s.file, "--until", "hold")).stderr).to.contain('--until "hold" needs --watch');
            const r = await analyze(s.file, "--watch", "--until", "5 minutes");
            expect(r.code).to.equal(2);
            expect(r.stderr).to.contain('--until "5 minutes" is not allowed; allowed: hold');
        });

        it("reads the outputs with the Pulumi CLI when no --previous is given, and says what to do without one", async () => {
            const s = stack();
            const bin = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-pulumi-"));
            fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\n[ "$*" = "stack output --json --stack prod" ] || exit 9\ncat ${JSON.stringify(s.file)}\n`, { mode: 0o755 });
            const r = await slotshift(dir, ["analyze", "--stack", "prod", "--logs-endpoint", endpoint, "--now", minutes(6).toISOString()], { SLOTSHIFT_ANALYSIS_TOKEN: TOKEN, PATH: `${bin}:/usr/bin:/bin` });
            expect(r.code, r.stderr).to.equal(0);
            const empty = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-nopulumi-"));
            const r2 = await slotshift(dir, ["analyze", "--stack", "prod"], { SLOTSHIFT_ANALYSIS_TOKEN: TOKEN, PATH: empty });
            expect(r2.code).to.equal(2);
            expect(r2.stderr).to.contain("give --previous FILE (what 'pulumi stack output --json --stack prod' writes), or install the Pulumi CLI");
        });
    });

    describe("--watch", () => {
        /** analyze --watch with a clock of its own: each wait moves it on at once. */
        async function watched(file: string, startAt: Date, args: string[], onSleep: (sleeps: number) => void = () => undefined) {
            let t = 0;
            let sleeps = 0;
            let stdout = "";
            let stderr = "";
            const cwd = process.cwd();
            process.chdir(dir);
            try {
                const code = await analyzeCommand(
                    { stack: "prod", previous: file, logsEndpoint: endpoint, now: startAt.toISOString(), watch: true, ...Object.fromEntries(args.map((a) => a.split("="))) },
                    {
                        out: { write: (x: string) => (stdout += x) },
                        err: { write: (x: string) => (stderr += x) },
                        env: { SLOTSHIFT_ANALYSIS_TOKEN: TOKEN },
                        clock: () => t,
                        sleep: async (ms) => {
                            t += ms;
                            onSleep(++sleeps);
                        },
                    },
                );
                return { code, stdout, stderr, sleeps };
            } finally {
                process.chdir(cwd);
            }
        }
        const ends = (id: string) => fake.to(id).filter((q) => q.signal === "error-rate").map((q) => String(q.body?.timespan).split("/")[1]);

        it("analyses every 10 s in the canary phase until the hold ends, and passes there", async () => {
            const s = stack();
            const r = await watched(s.file, minutes(1), []);
            expect(r.code, r.stderr).to.equal(0);
            const seen = ends(s.app);
            // From a minute into the step to the hold's end (minStepMinutes 5): every 10 s, the last at the hold's end.
            expect(seen).to.have.length(25);
            expect(seen[0]).to.equal(minutes(1).toISOString());
            expect(seen[1]).to.equal(new Date(minutes(1).getTime() + 10000).toISOString());
            expect(seen[seen.length - 1]).to.equal(minutes(5).toISOString());
            expect(r.stdout).to.contain("watching prod every 10 s until 2026-11-26T14:05:00.000Z");
        });

        it("stops at the first fail", async () => {
            const telemetry: Record<string, SlotTelemetry> = { ...HEALTHY };
            const s = stack(telemetry);
            const r = await watched(s.file, minutes(1), [], (n) => {
                if (n === 3) {
                    telemetry.green = { ...HEALTHY.green, failed: 20 };
                }
            });
            expect(r.code).to.equal(ANALYZE_EXIT.fail);
            expect(ends(s.app)).to.have.length(4);
            expect(r.stdout).to.contain("FAIL: error-rate: green 5.00 % is above the threshold");
        });

        it("watches an inconclusive step on after the hold, up to progressDeadlineMinutes, then stays inconclusive", async () => {
            const s = stack({ ...HEALTHY, green: { ...HEALTHY.green, requests: 30 } });
            const r = await watched(s.file, minutes(4), ["json=true"]);
            expect(r.code).to.equal(ANALYZE_EXIT.inconclusive);
            const seen = ends(s.app);
            expect(seen[seen.length - 1]).to.equal(minutes(15).toISOString());
            // 4 -> 5 min every 10 s, then 5 -> 15 min every 10 s: bounded by the deadline.
            expect(seen).to.have.length(1 + 6 + 60);
            expect((JSON.parse(r.stdout) as Analysis).verdict).to.equal("inconclusive");
            expect(r.stderr).to.contain("while inconclusive until 2026-11-26T14:15:00.000Z");
        });

        it("passes once enough requests arrive after the hold, before the deadline", async () => {
            const telemetry: Record<string, SlotTelemetry> = { ...HEALTHY, green: { ...HEALTHY.green, requests: 30 } };
            const s = stack(telemetry);
            const r = await watched(s.file, minutes(5), [], (n) => {
                if (n === 6) {
                    telemetry.green = HEALTHY.green;
                }
            });
            expect(r.code, r.stdout).to.equal(0);
            expect(ends(s.app)).to.have.length(7);
        });

        it("takes --until DURATION, and every 30 s in the gradual phase", async () => {
            const s = stack(HEALTHY, { rollout: { weights: { blue: 75, green: 25 }, step: 2, nextStep: 50 } });
            const r = await watched(s.file, minutes(1), ["until=2m"]);
            expect(r.code, r.stderr).to.equal(0);
            expect(ends(s.app)).to.have.length(5);
            expect(r.stdout).to.contain("watching prod every 30 s until 2026-11-26T14:03:00.000Z");
        });

        it("ends with the error, exit 7, after three analyses in a row cannot read the logs", async () => {
            const s = stack();
            fake.answerNext(s.app, ...[1, 2, 3].map(() => ({ status: 400, code: "BadArgumentError" })));
            const r = await watched(s.file, minutes(1), []);
            expect(r.code).to.equal(ANALYZE_EXIT.error);
            expect(fake.to(s.app)).to.have.length(3);
        });
    });

    describe("the watch loop, bounded", () => {
        const analysis = (verdict: Analysis["verdict"]): Analysis => ({
            stack: "prod",
            verdict,
            reason: verdict,
            candidate: { slot: "green", version: "1.1.0", weight: 5 },
            live: { slot: "blue", version: "1.0.0" },
            step: { takenAt: STEP_AT.toISOString(), phase: "canary" },
            window: { start: STEP_AT.toISOString(), end: STEP_AT.toISOString() },
            signals: [],
        });
        const run = async (next: (round: number) => Analysis | AnalysisError, plan: { until: number; deadline: number | null; interval: number }) => {
            let t = STEP_AT.getTime();
            let round = 0;
            const deps: WatchDeps = {
                now: () => new Date(t),
                sleep: async (ms) => {
                    t += ms;
                },
                analyse: async () => {
                    const r = next(++round);
                    if (r instanceof AnalysisError) {
                        throw r;
                    }
                    return r;
                },
            };
            const result = await watch({ until: new Date(STEP_AT.getTime() + plan.until), deadline: plan.deadline === null ? null : new Date(STEP_AT.getTime() + plan.deadline), intervalMs: plan.interval }, deps);
            return { result, round };
        };

        it("makes at most the watch's length over the interval, plus two, analyses", async () => {
            const { result, round } = await run(() => analysis("inconclusive"), { until: 60000, deadline: 120000, interval: 10000 });
            expect(result.kind).to.equal("analysis");
            expect(round).to.equal(13);
        });

        it("never turns an error at the end into a pass", async () => {
            const { result } = await run((n) => (n < 7 ? analysis("pass") : new AnalysisError("down")), { until: 60000, deadline: null, interval: 10000 });
            expect(result.kind).to.equal("error");
        });

        it("tries again after an error, and a later pass stands", async () => {
            const { result, round } = await run((n) => (n === 2 ? new AnalysisError("blip") : analysis("pass")), { until: 30000, deadline: null, interval: 10000 });
            expect(result).to.deep.include({ kind: "analysis" });
            expect(round).to.equal(4);
        });
    });

    describe("the judge", () => {
        const ctx = { candidate: "green" as const, live: "blue" as const, analysis: { minRequests: 100, maxErrorRateRatio: 2, maxLatencyRatio: 1.5 }, errorRateFloor: 0.5 };
        const m = (over: Partial<Measurement>): Measurement => ({ signal: "error-rate", unit: "percent", threshold: 1, requestSignal: true, candidate: { value: 0, requests: 1000 }, live: { value: 0, requests: 1000 }, ...over });

        it("never passes without evidence: nothing measured, or only skipped signals, is inconclusive", () => {
            expect(judge([], ctx).verdict).to.equal("inconclusive");
            expect(judge([m({ skipped: "not known", candidate: null, live: null })], ctx).verdict).to.equal("inconclusive");
        });

        it("judges by the thresholds alone when the live slot answered too few requests (the candidate at 100 %)", () => {
            const v = judge([m({ candidate: { value: 0.8, requests: 1000 }, live: { value: 0, requests: 0 } })], ctx);
            expect(v.verdict).to.equal("pass");
            expect(v.signals[0].reason).to.contain("blue answered too few requests in the window to compare with");
        });

        it("fails by ratio only above the margin and on significant evidence: five failed rows, and the one-sided 1 % test", () => {
            // At exactly the margin: never, whatever the evidence.
            expect(judge([m({ candidate: { value: 0.8, requests: 1000000 }, live: { value: 0.4, requests: 1000000 } })], ctx).verdict).to.equal("pass");
            // Above it on a million rows each: z far above 2.326.
            expect(judge([m({ candidate: { value: 0.9, requests: 1000000 }, live: { value: 0.4, requests: 1000000 } })], ctx).verdict).to.equal("fail");
            // The same rates on a thousand rows each: z about 0.5, a pass.
            expect(judge([m({ candidate: { value: 0.9, requests: 1000 }, live: { value: 0.4, requests: 1000 } })], ctx).verdict).to.equal("pass");
            // Against a live slot with no errors: 4 failed rows of 500 (z about 2.0) pass, 9 of 1000 (z about 3.0) fail.
            expect(judge([m({ candidate: { value: 0.8, requests: 500, failedRows: 4 }, live: { value: 0, requests: 100000, failedRows: 0 } })], ctx).verdict).to.equal("pass");
            expect(judge([m({ candidate: { value: 0.9, requests: 1000, failedRows: 9 }, live: { value: 0, requests: 100000, failedRows: 0 } })], ctx).verdict).to.equal("fail");
        });
    });

    describe("one definition of each signal: the alert rules' and the analysis's", () => {
        it("gives the analysis each rollback trigger's threshold, and the same query up to its grouping", () => {
            const cfg = parseStackConfig(edited("prod", { "slotshift:alerts.errorRatePercent": 2, "slotshift:alerts.p99LatencyMs": 1500, "slotshift:alerts.healthFailures": 5 }), "prod");
            const input = alertRulesInputOf(cfg, "nextgen-market-prod");
            const rules = alertRules(input).filter((r) => r.rollback);
            const signals = rollbackSignals(input);
            expect(signals.map((s) => s.id)).to.deep.equal(rules.map((r) => r.id));
            for (const s of signals) {
                const rule = rules.find((r) => r.id === s.id)!;
                expect(s.threshold, s.id).to.equal(rule.threshold);
                expect(rule.kind === "log" && rule.measure).to.equal(s.measure);
                const window = s.query({ kind: "since", start: STEP_AT }).split("\n");
                const binned = rule.kind === "log" ? rule.query.split("\n") : [];
                // Every line up to the first aggregation is the same: the tables, the slots, the filters.
                const filters = (lines: string[]) => lines.slice(0, lines.findIndex((l) => l.startsWith("| summarize")));
                expect(filters(window), s.id).to.deep.equal(filters(binned).map((l) => l.replace("ago(5m)", `datetime(${STEP_AT.toISOString()})`)));
            }
            expect(signals.map((s) => s.threshold)).to.deep.equal([2, 1500, 0, 5]);
        });
    });

    describe("next and finalize by hand", () => {
        it("warn when no passing analysis is known for the step deployed, and not after a pass", async () => {
            const fresh = project();
            const s = stack();
            const next = () => slotshift(fresh, ["next", "--stack", "prod", "--previous", s.file, "--dry-run", "--now", minutes(30).toISOString()]);
            const before = await next();
            expect(before.code, before.stderr).to.equal(0);
            expect(before.stderr).to.contain(
                `slotshift: warning: no passing analysis is known for prod's step at 5 % (green 1.1.0, taken at ${STEP_AT.toISOString()}): check it with slotshift analyze --stack prod before moving on`,
            );
            const failing = stack({ ...HEALTHY, green: { ...HEALTHY.green, failed: 40 } });
            await slotshift(fresh, ["analyze", "--stack", "prod", "--previous", failing.file, "--logs-endpoint", endpoint, "--now", minutes(6).toISOString()]);
            expect((await next()).stderr).to.contain("the last analysis of prod's step at 5 %");
            expect((await next()).stderr).to.contain("is fail (at 2026-11-26T14:06:00.000Z)");
            const a = await slotshift(fresh, ["analyze", "--stack", "prod", "--previous", s.file, "--logs-endpoint", endpoint, "--now", minutes(6).toISOString()]);
            expect(a.code).to.equal(0);
            expect((await next()).stderr).not.to.contain("warning");
            // A pass of another step is not this one's.
            const later = stack(HEALTHY, { rollout: { stepTakenAt: minutes(20).toISOString() } });
            const r = await slotshift(fresh, ["next", "--stack", "prod", "--previous", later.file, "--dry-run", "--now", minutes(40).toISOString()]);
            expect(r.stderr).to.contain("no passing analysis is known for prod's step at 5 %");
        });
    });
});
