import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Command, CommanderError } from "commander";
import { MESSAGE_MAX, NOTIFY_EXIT, NotificationInput, notificationMessage, postWebhook, redact, registerNotify, retryAfterMs, slackPayload, teamsPayload } from "../cli/notify";
import { UsageError } from "../cli/stackFile";
import { RolloutState, readRolloutState } from "../rollout/state";
import { FakeWebhooks, refusedUrl } from "./fakes/webhooks";

const NOW = "2026-11-26T14:10:00.000Z";
const STEP_AT = "2026-11-26T14:00:00.000Z";
const RUN = "https://github.com/acme/market/actions/runs/4242";

/** A rollout output as slotshift writes it, with the fields a test changes. */
function rollout(over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        strategy: "canary",
        live: "blue",
        candidate: "green",
        weights: { blue: 75, green: 25 },
        versions: { blue: "1.0.0", green: "1.1.0" },
        digests: { blue: `sha256:${"a".repeat(64)}`, green: `sha256:${"b".repeat(64)}` },
        replicas: { blue: 3, green: 3 },
        phase: "shifting",
        step: 2,
        nextStep: 50,
        steps: [5, 25, 50, 100],
        stepTakenAt: STEP_AT,
        transition: "step",
        ...over,
    };
}
const state = (over: Record<string, unknown> = {}): RolloutState => readRolloutState(rollout(over))!;

const AT_25 = state();
const ROLLED_BACK = state({ weights: { blue: 100, green: 0 }, step: 0, phase: "staged", nextStep: 5, transition: "rollback", aborted: { slot: "green", version: "1.1.0", build: "1.1.0", at: STEP_AT } });
const FINALIZED = state({ live: "green", candidate: "blue", weights: { blue: 0, green: 100 }, step: 0, phase: "stable", nextStep: null, transition: "finalize", warm: "blue" });

const message = (over: Partial<NotificationInput> = {}) => notificationMessage({ stack: "prod", event: "step", state: AT_25, at: new Date(NOW), ...over });

describe("slotshift notify", function () {
    this.timeout(60000);

    describe("notificationMessage: one short message per event", () => {
        it("a step: versions, weights, the step, the command, the time and the run link", () => {
            const m = message({ command: "next --stack prod", runUrl: RUN });
            expect(m.title).to.equal("slotshift prod: green at 25 %");
            expect(m.lines).to.deep.equal([
                "prod: green 1.1.0 at 25 % (step 2/4), blue 1.0.0 live",
                "command: slotshift next --stack prod",
                `at ${NOW}`,
                `run: ${RUN}`,
            ]);
            expect(m.text).to.equal([m.title, ...m.lines].join("\n"));
        });

        it("a rollback names the rolled-back build at 0 % and the live slot", () => {
            const m = message({ event: "rollback", state: ROLLED_BACK, verdict: "fail", command: "slotshift rollback --stack prod", runUrl: RUN });
            expect(m.title).to.equal("slotshift prod: ROLLED BACK");
            expect(m.lines).to.deep.equal([
                "prod: blue 1.0.0 live at 100 %, green 1.1.0 at 0 % (rolled back)",
                "command: slotshift rollback --stack prod",
                "analysis: FAIL",
                `at ${NOW}`,
                `run: ${RUN}`,
            ]);
        });

        it("a failed analysis names the verdict; an error and inconclusive are never a pass", () => {
            expect(message({ event: "analysis-failed", verdict: "fail" }).title).to.equal("slotshift prod: ANALYSIS FAILED");
            expect(message({ event: "analysis-failed", verdict: "fail" }).lines).to.include("analysis: FAIL");
            expect(message({ event: "analysis-failed", verdict: "error" }).lines).to.include("analysis: error: the logs could not be read (never a pass)");
            expect(message({ event: "analysis-failed", verdict: "inconclusive" }).lines).to.include("analysis: inconclusive (never a pass)");
            expect(message({ verdict: "pass" }).lines).to.include("analysis: pass");
        });

        it("a failed step without outputs says what is deployed is not known", () => {
            const m = message({ event: "step-failed", state: undefined });
            expect(m.title).to.equal("slotshift prod: STEP FAILED");
            expect(m.lines[0]).to.equal("prod: what is deployed is not known (no stack outputs given)");
        });

        it("a finalize, a stage and a first deploy", () => {
            expect(message({ state: FINALIZED }).title).to.equal("slotshift prod: finalized: green 1.1.0 is live");
            expect(message({ state: FINALIZED }).lines[0]).to.equal("prod: green 1.1.0 live at 100 %, blue 1.0.0 at 0 % (warm)");
            const staged = state({ weights: { blue: 100, green: 0 }, step: 0, phase: "staged", nextStep: 5, transition: "stage" });
            expect(message({ state: staged }).title).to.equal("slotshift prod: staged green 1.1.0 at 0 %");
            expect(message({ state: staged }).lines[0]).to.equal("prod: blue 1.0.0 live at 100 %, green 1.1.0 at 0 % (staged)");
            const first = state({ strategy: "direct", candidate: null, weights: { blue: 100, green: 0 }, versions: { blue: "1.0.0", green: null }, step: 0, phase: "stable", nextStep: null, transition: "first-deploy" });
            expect(message({ state: first }).title).to.equal("slotshift prod: first deploy of blue 1.0.0");
            expect(message({ state: first }).lines[0]).to.equal("prod: blue 1.0.0 live at 100 %");
        });

        it("cuts long values, drops a run link that is not an http(s) URL, keeps one line per value and at most 1000 characters", () => {
            const long = state({ versions: { blue: "1.0.0", green: `1.1.0-${"x".repeat(500)}` } });
            const m = message({ state: long, command: `next --stack prod\n${"y".repeat(2000)}`, runUrl: "javascript:alert(1)" });
            expect(m.text.length).to.be.at.most(MESSAGE_MAX);
            expect(m.lines.every((l) => !l.includes("\n") && l.length <= 200)).to.equal(true);
            expect(m.lines[0]).to.match(/^prod: green 1\.1\.0-x+… at 25 %/);
            expect(m.text).to.not.contain("javascript:");
            expect(message({ runUrl: `https://example.com/${"z".repeat(400)}` }).text).to.not.contain("run:");
            const huge = notificationMessage({ stack: "s".repeat(300), event: "rollback", command: "c".repeat(5000), verdict: "fail", runUrl: RUN, at: new Date(NOW) });
            expect(huge.text.length).to.be.at.most(MESSAGE_MAX);
        });

        it("never names anything of the environment", () => {
            process.env.SLOTSHIFT_SLACK_WEBHOOK_URL = "https://hooks.slack.com/services/SECRETSECRET";
            try {
                expect(message({ runUrl: RUN, command: "next" }).text).to.not.contain("SECRETSECRET");
            } finally {
                delete process.env.SLOTSHIFT_SLACK_WEBHOOK_URL;
            }
        });

        it("the payloads: Slack { text } escaped, Teams an Adaptive Card in a message envelope", () => {
            const m = message({ command: "next <!channel> & more", runUrl: RUN });
            expect(slackPayload(m)).to.deep.equal({ text: m.text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") });
            expect(slackPayload(m).text).to.contain("next &lt;!channel&gt; &amp; more");
            expect(teamsPayload(m, RUN)).to.deep.equal({
                type: "message",
                attachments: [
                    {
                        contentType: "application/vnd.microsoft.card.adaptive",
                        contentUrl: null,
                        content: {
                            type: "AdaptiveCard",
                            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
                            version: "1.4",
                            body: [
                                { type: "TextBlock", text: m.title, weight: "Bolder", size: "Medium", wrap: true },
                                ...m.lines.map((text) => ({ type: "TextBlock", text, wrap: true, spacing: "Small" })),
                            ],
                            actions: [{ type: "Action.OpenUrl", title: "Open the run", url: RUN }],
                        },
                    },
                ],
            });
        });
    });

    describe("helpers", () => {
        it("Retry-After in seconds or as an HTTP date", () => {
            expect(retryAfterMs("2")).to.equal(2000);
            expect(retryAfterMs(null)).to.equal(undefined);
            expect(retryAfterMs("soon")).to.equal(undefined);
            expect(retryAfterMs(new Date(Date.parse(NOW) + 5000).toUTCString(), Date.parse(NOW))).to.equal(5000);
        });

        it("redacts the URL, its path, its query and their long parts", () => {
            const url = "https://prod-01.westeurope.logic.azure.com:443/workflows/abcdef123456/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRETSECRETsig";
            const said = redact(`bad request to ${url}; sig=SECRETSECRETsig; workflow abcdef123456`, url);
            expect(said).to.not.match(/SECRETSECRET|abcdef123456/);
        });
    });

    describe("posting, against loopback webhooks", () => {
        const fake = new FakeWebhooks();
        let dir = "";
        let base = "";
        let n = 0;
        /** A fresh path with a secret in it. */
        const secretPath = (kind: string) => `/${kind}/T000/B000/SECRETSECRET${++n}`;
        const fast = { sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 50))), backoffMs: 10 };

        before(async () => {
            base = await fake.start();
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-notify-"));
        });
        after(() => fake.stop());

        /** The outputs file of a stack at 25 %. */
        function previous(over: Record<string, unknown> = {}): string {
            const file = path.join(dir, `outputs-${++n}.json`);
            fs.writeFileSync(file, JSON.stringify({ rollout: rollout(over) }));
            return file;
        }

        /** Runs `slotshift notify` as cli/main.ts would: the command registered, a UsageError exit 2. */
        async function notify(args: string[], env: NodeJS.ProcessEnv, post = fast) {
            let stdout = "";
            let stderr = "";
            let code = 0;
            const summary = path.join(dir, `summary-${++n}.md`);
            fs.writeFileSync(summary, "");
            const out = { write: (s: string) => (stdout += s) };
            const err = { write: (s: string) => (stderr += s) };
            const program = new Command("slotshift").exitOverride().configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
            registerNotify(program, { out, err, env: { GITHUB_STEP_SUMMARY: summary, ...env } }, (c) => (code = c), post);
            try {
                await program.parseAsync(["notify", ...args], { from: "user" });
            } catch (e) {
                if (e instanceof UsageError) {
                    stderr += `slotshift: ${e.message}\n`;
                    code = 2;
                } else if (e instanceof CommanderError) {
                    code = 2;
                } else {
                    throw e;
                }
            }
            return { code, stdout, stderr, summary: fs.readFileSync(summary, "utf8") };
        }

        const STEP = ["--stack", "prod", "--event", "step", "--command", "next --stack prod", "--run-url", RUN, "--now", NOW];

        it("posts { text } to Slack and the Adaptive Card to Teams, and writes the job summary", async () => {
            const slackPath = secretPath("slack");
            const teamsPath = secretPath("teams");
            const slack = fake.slack(slackPath);
            const teams = fake.teams(teamsPath);
            const r = await notify([...STEP, "--previous", previous()], { SLOTSHIFT_SLACK_WEBHOOK_URL: slack, SLOTSHIFT_TEAMS_WEBHOOK_URL: teams });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain("notified Slack\n");
            expect(r.stdout).to.contain("notified Teams\n");
            const m = message({ command: "next --stack prod", runUrl: RUN });
            const [s] = fake.to(slackPath);
            expect(s.method).to.equal("POST");
            expect(s.contentType).to.equal("application/json");
            expect(s.status).to.equal(200);
            expect(JSON.parse(s.raw)).to.deep.equal({ text: m.text });
            const [t] = fake.to(teamsPath);
            expect(t.contentType).to.equal("application/json");
            expect(t.status).to.equal(202);
            expect(JSON.parse(t.raw)).to.deep.equal(teamsPayload(m, RUN));
            expect(r.summary).to.contain("### slotshift prod: green at 25 %");
            expect(r.summary).to.contain("- prod: green 1.1.0 at 25 % (step 2/4), blue 1.0.0 live");
            expect(r.summary).to.contain(`- run: ${RUN}`);
            expect(r.summary).to.contain("- notified Slack");
            for (const text of [r.stdout, r.stderr, r.summary]) {
                expect(text).to.not.contain("SECRETSECRET");
            }
        });

        it("takes a retired Office 365 connector's 200 `1` as delivered", async () => {
            const p = secretPath("teams");
            const r = await notify(STEP, { SLOTSHIFT_TEAMS_WEBHOOK_URL: fake.teams(p, { connector: true }) });
            expect(r.stdout).to.contain("notified Teams\n");
            expect(fake.to(p).map((x) => x.status)).to.deep.equal([200]);
        });

        for (const [status, body] of [
            [400, "invalid_payload"],
            [400, "no_text"],
            [403, "invalid_token"],
            [404, "no_service"],
            [410, "channel_is_archived"],
        ] as const) {
            it(`Slack ${status} ${body}: not notified, not retried, exit 0 (11 with --strict), the URL never printed`, async () => {
                const p = secretPath("slack");
                const url = fake.slack(p, { status, body }, { status, body });
                const r = await notify(STEP, { SLOTSHIFT_SLACK_WEBHOOK_URL: url });
                expect(r.code).to.equal(0);
                expect(r.stdout).to.contain(`Slack: not notified: HTTP ${status} ${body} (after 1 attempt)\n`);
                expect(fake.to(p)).to.have.length(1);
                expect(r.summary).to.contain(`Slack: not notified: HTTP ${status} ${body}`);
                for (const text of [r.stdout, r.stderr, r.summary]) {
                    expect(text).to.not.contain("SECRETSECRET");
                }
                const strict = await notify([...STEP, "--strict"], { SLOTSHIFT_SLACK_WEBHOOK_URL: url });
                expect(strict.code).to.equal(NOTIFY_EXIT.failed);
            });
        }

        it("the real contract's own refusals: an unknown hook is 404 no_service", async () => {
            const r = await notify(STEP, { SLOTSHIFT_SLACK_WEBHOOK_URL: `${base}/services/SECRETSECRETnohook` });
            expect(r.code).to.equal(0);
            expect(r.stdout).to.contain("Slack: not notified: HTTP 404 no_service (after 1 attempt)");
        });

        it("an error body that echoes the URL is redacted", async () => {
            const p = secretPath("teams");
            const url = fake.teams(p, {}, { status: 400, body: `{"error":{"message":"flow at ${"http://127.0.0.1"}${p} is disabled"}}` });
            const r = await notify(STEP, { SLOTSHIFT_TEAMS_WEBHOOK_URL: url });
            expect(r.stdout).to.match(/Teams: not notified: HTTP 400 .*\[webhook\].* \(after 1 attempt\)/);
            expect(r.stdout + r.stderr + r.summary).to.not.contain("SECRETSECRET");
        });

        it("429 with Retry-After: waits as told (capped), then delivers", async () => {
            const p = secretPath("slack");
            const waits: number[] = [];
            const url = fake.slack(p, { status: 429, body: "rate_limited", headers: { "Retry-After": "1" } });
            const r = await notify(STEP, { SLOTSHIFT_SLACK_WEBHOOK_URL: url }, { ...fast, sleep: async (ms: number) => void waits.push(ms) });
            expect(r.stdout).to.contain("notified Slack\n");
            expect(fake.to(p).map((x) => x.status)).to.deep.equal([429, 200]);
            expect(waits).to.deep.equal([1000]);
            const capped: number[] = [];
            const q = secretPath("slack");
            const res = await postWebhook("slack", fake.slack(q, { status: 429, headers: { "Retry-After": "3600" } }), { text: "x" }, { sleep: async (ms) => void capped.push(ms), retryAfterCapMs: 20000 });
            expect(res).to.deep.include({ ok: true, attempts: 2 });
            expect(capped).to.deep.equal([20000]);
        });

        it("a Teams connector's throttle (2xx with 'HTTP error 429' in the body) is retried", async () => {
            const p = secretPath("teams");
            const url = fake.teams(p, { connector: true }, { status: 200, body: "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId abc" });
            const r = await notify(STEP, { SLOTSHIFT_TEAMS_WEBHOOK_URL: url });
            expect(r.stdout).to.contain("notified Teams\n");
            expect(fake.to(p)).to.have.length(2);
        });

        it("500 then success: retried with a backoff", async () => {
            const p = secretPath("teams");
            const waits: number[] = [];
            const url = fake.teams(p, {}, { status: 500, body: "rollup_error" }, { status: 503 });
            const r = await notify(STEP, { SLOTSHIFT_TEAMS_WEBHOOK_URL: url }, { backoffMs: 100, sleep: async (ms: number) => void waits.push(ms) });
            expect(r.stdout).to.contain("notified Teams\n");
            expect(fake.to(p).map((x) => x.status)).to.deep.equal([500, 503, 202]);
            expect(waits).to.deep.equal([100, 200]);
        });

        it("500 three times: not notified after 3 attempts, exit 0", async () => {
            const p = secretPath("slack");
            const url = fake.slack(p, { status: 500, body: "rollup_error" }, { status: 500, body: "rollup_error" }, { status: 500, body: "rollup_error" });
            const r = await notify(STEP, { SLOTSHIFT_SLACK_WEBHOOK_URL: url });
            expect(r.code).to.equal(0);
            expect(r.stdout).to.contain("Slack: not notified: HTTP 500 rollup_error (after 3 attempts)\n");
        });

        it("a webhook that never answers: each attempt cut at --timeout, 3 in all", async () => {
            const p = secretPath("slack");
            const url = fake.slack(p, { hang: true }, { hang: true }, { hang: true });
            const t0 = Date.now();
            const r = await notify([...STEP, "--timeout", "1"], { SLOTSHIFT_SLACK_WEBHOOK_URL: url });
            const took = Date.now() - t0;
            expect(r.code).to.equal(0);
            expect(r.stdout).to.contain("Slack: not notified: no answer within 1 s (after 3 attempts)\n");
            expect(took).to.be.within(2900, 10000);
            expect(r.stdout + r.stderr + r.summary).to.not.contain("SECRETSECRET");
        });

        it("a connection dropped, then delivered", async () => {
            const p = secretPath("slack");
            const r = await notify(STEP, { SLOTSHIFT_SLACK_WEBHOOK_URL: fake.slack(p, { reset: true }) });
            expect(r.stdout).to.contain("notified Slack\n");
        });

        it("connection refused: not notified, the other channel still is, exit 0", async () => {
            const refused = await refusedUrl("/services/SECRETSECRETrefused");
            const p = secretPath("slack");
            const r = await notify(STEP, { SLOTSHIFT_TEAMS_WEBHOOK_URL: refused, SLOTSHIFT_SLACK_WEBHOOK_URL: fake.slack(p) });
            expect(r.code).to.equal(0);
            expect(r.stdout).to.match(/Teams: not notified: cannot reach the Teams webhook \(ECONNREFUSED\) \(after 3 attempts\)\n/);
            expect(r.stdout).to.contain("notified Slack\n");
            expect(r.stdout + r.stderr + r.summary).to.not.contain("SECRETSECRET");
            expect((await notify([...STEP, "--strict"], { SLOTSHIFT_TEAMS_WEBHOOK_URL: refused })).code).to.equal(NOTIFY_EXIT.failed);
        });

        it("refuses a URL that is not https (http only on 127.0.0.1), without printing it", async () => {
            const r = await notify(STEP, { SLOTSHIFT_SLACK_WEBHOOK_URL: "http://hooks.example.com/services/SECRETSECRET", SLOTSHIFT_TEAMS_WEBHOOK_URL: "not a url SECRETSECRET" });
            expect(r.code).to.equal(0);
            expect(r.stdout).to.contain("Slack: not notified: the Slack webhook is not an https URL: not posted\n");
            expect(r.stdout).to.contain("Teams: not notified: the Teams webhook is not a URL: not posted\n");
            expect(r.stdout + r.stderr + r.summary).to.not.contain("SECRETSECRET");
        });

        it("no webhook set: the job summary only, exit 0 even with --strict", async () => {
            const r = await notify([...STEP, "--strict"], { SLOTSHIFT_SLACK_WEBHOOK_URL: "" });
            expect(r.code).to.equal(0);
            expect(r.stdout).to.contain("no webhook configured");
            expect(r.summary).to.contain("### slotshift prod:");
        });

        it("an unreadable --previous: a warning, and the message goes out without versions", async () => {
            const p = secretPath("slack");
            const bad = path.join(dir, "bad.json");
            fs.writeFileSync(bad, "{ not json");
            const r = await notify(["--stack", "prod", "--event", "rollback", "--previous", bad, "--now", NOW], { SLOTSHIFT_SLACK_WEBHOOK_URL: fake.slack(p) });
            expect(r.code).to.equal(0);
            expect(r.stderr).to.match(/^slotshift notify: warning: .*the message names no versions$/m);
            expect((JSON.parse(fake.to(p)[0].raw) as { text: string }).text).to.contain("what is deployed is not known");
        });

        it("the run link defaults to GitHub's run; bad options are exit 2", async () => {
            const p = secretPath("slack");
            const r = await notify(["--stack", "prod", "--event", "analysis-failed", "--verdict", "fail", "--now", NOW], {
                SLOTSHIFT_SLACK_WEBHOOK_URL: fake.slack(p),
                GITHUB_SERVER_URL: "https://github.com",
                GITHUB_REPOSITORY: "acme/market",
                GITHUB_RUN_ID: "4242",
            });
            expect(r.stdout).to.contain(`run: ${RUN}`);
            expect((await notify(["--stack", "prod", "--event", "deployed"], {})).code).to.equal(2);
            expect((await notify(["--stack", "prod", "--event", "step", "--verdict", "ok"], {})).code).to.equal(2);
            expect((await notify(["--stack", "prod", "--event", "step", "--timeout", "0"], {})).code).to.equal(2);
            expect((await notify(["--event", "step"], {})).code).to.equal(2);
        });
    });
});
