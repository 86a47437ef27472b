import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AlertEvent, alertRollbackDecision, parseAlertTime, shown } from "../cli/alertRollback";
import { PlanResult } from "../cli/engine";
import { main } from "../cli/main";
import { RolloutState, readRolloutState } from "../rollout/state";
import { ROOT, edited, planStack } from "./helpers";

const NOW = new Date("2026-11-26T12:10:00.000Z");
const STACKS = ["dev", "prod", "staging"];
const ctx = { now: NOW, stacks: STACKS };

/** Prod in a canary: green (1.1.0) at 25 % since 12:00, carrying traffic since 12:00 too (a forced jump from 0), blue (1.0.0) live. */
const shifting: RolloutState = {
    strategy: "canary",
    live: "blue",
    candidate: "green",
    weights: { blue: 75, green: 25 },
    versions: { blue: "1.0.0", green: "1.1.0" },
    digests: { blue: null, green: null },
    gitShas: { blue: "a1b2c3d", green: "e4f5a6b" },
    replicas: { blue: 3, green: 3 },
    phase: "shifting",
    step: 2,
    nextStep: 50,
    steps: [5, 25, 50, 100],
    warm: null,
    stepTakenAt: "2026-11-26T12:00:00.000Z",
    trafficSince: "2026-11-26T12:00:00.000Z",
    finalizedAt: null,
    nextMoveAt: "2026-11-26T12:05:00.000Z",
    warmUntil: null,
    builds: { blue: null, green: null },
    image: "ghcr.io/nextgen-market/nextgen-market",
    pinTenants: true,
    transition: "step",
    aborted: null,
    history: [],
    expanded: [],
};
const at = (over: Partial<RolloutState>): RolloutState => ({ ...shifting, ...over });

const shifted = at({ weights: { blue: 0, green: 100 }, phase: "shifted", step: 4, nextStep: null, nextMoveAt: null });
/** After the finalize at 12:00: green (1.1.0) live, blue (1.0.0) warm. */
const finalized = at({
    live: "green",
    candidate: "blue",
    weights: { blue: 0, green: 100 },
    phase: "stable",
    step: 0,
    nextStep: null,
    warm: "blue",
    finalizedAt: "2026-11-26T12:00:00.000Z",
    warmUntil: "2026-11-26T12:30:00.000Z",
    nextMoveAt: null,
    pinTenants: false,
    transition: "finalize",
});
const stable = at({
    weights: { blue: 100, green: 0 },
    versions: { blue: "1.0.0", green: null },
    replicas: { blue: 3, green: 0 },
    phase: "stable",
    step: 0,
    nextStep: null,
    nextMoveAt: null,
    pinTenants: false,
    transition: "unchanged",
});
const rolledBack = at({ weights: { blue: 100, green: 0 }, phase: "staged", step: 0, nextStep: 5, nextMoveAt: null, pinTenants: false, transition: "rollback" });
/** After a rollback of the finalize at 12:00: blue live again, green (the failed 1.1.0) at 0 %. */
const backFromFinalize = at({ weights: { blue: 100, green: 0 }, phase: "staged", step: 0, nextStep: 5, nextMoveAt: null, pinTenants: false, transition: "rollback-after-finalize" });
const staged = at({ weights: { blue: 100, green: 0 }, phase: "staged", step: 0, nextStep: 5, nextMoveAt: null, transition: "stage", stepTakenAt: "2026-11-26T11:00:00.000Z" });
const dev = at({
    strategy: "direct",
    candidate: null,
    weights: { blue: 100, green: 0 },
    versions: { blue: "1.2.0-alpha.3+build.140", green: null },
    replicas: { blue: 1, green: 0 },
    phase: "stable",
    step: 0,
    nextStep: null,
    steps: [100],
    nextMoveAt: null,
    transition: "update-in-place",
});

/** A rollout output as slotshift wrote it before trafficSince was recorded. */
const withoutTrafficSince = (s: RolloutState): Record<string, unknown> => Object.fromEntries(Object.entries(s).filter(([k]) => k !== "trafficSince"));

const alert = (over: Partial<AlertEvent> = {}): AlertEvent => ({ stack: "prod", slot: "green", signal: "error-rate", firedAt: "2026-11-26T12:03:00Z", ...over });

describe("alertRollbackDecision: whether an alert from the relay rolls the stack back", () => {
    const cases: { what: string; event: AlertEvent; deployed: RolloutState | undefined; go: boolean; reason: string }[] = [
        {
            what: "the candidate carrying traffic, alert fired after its weight was set",
            event: alert(),
            deployed: shifting,
            go: true,
            reason: 'green is prod\'s candidate at 25 % and its alert "error-rate" fired at 2026-11-26T12:03:00Z, after green began carrying traffic in prod at 2026-11-26T12:00:00.000Z: roll back',
        },
        {
            what: "the candidate at 100 % before the finalize, no signal given, fired the very moment its weight was set",
            event: alert({ signal: undefined, firedAt: "2026-11-26T12:00:00Z" }),
            deployed: shifted,
            go: true,
            reason: "green is prod's candidate at 100 % and its alert fired at 2026-11-26T12:00:00Z, after green began carrying traffic in prod at 2026-11-26T12:00:00.000Z: roll back",
        },
        {
            what: "an alert with Azure Monitor's seven fraction digits",
            event: alert({ firedAt: "2026-11-26T12:03:00.4339215Z" }),
            deployed: shifting,
            go: true,
            reason: 'green is prod\'s candidate at 25 % and its alert "error-rate" fired at 2026-11-26T12:03:00.4339215Z, after green began carrying traffic in prod at 2026-11-26T12:00:00.000Z: roll back',
        },
        {
            what: "a stale alert: fired before the candidate's current weight was set (an earlier build, or before the last rollback)",
            event: alert({ firedAt: "2026-11-26T11:59:59Z" }),
            deployed: shifting,
            go: false,
            reason: "the alert fired at 2026-11-26T11:59:59Z, before green began carrying traffic in prod at 2026-11-26T12:00:00.000Z: it concerns an earlier state; no rollback",
        },
        {
            what: "the shared database's alert (no slot) after a finalize",
            event: alert({ slot: "", signal: "db-connections" }),
            deployed: finalized,
            go: false,
            reason: "the alert on prod names no slot (a signal of the whole stack, e.g. the shared database): only a candidate's alert rolls back",
        },
        {
            what: "no slot at all",
            event: alert({ slot: undefined }),
            deployed: shifting,
            go: false,
            reason: "the alert on prod names no slot (a signal of the whole stack, e.g. the shared database): only a candidate's alert rolls back",
        },
        {
            what: "an unknown slot",
            event: alert({ slot: "purple" }),
            deployed: shifting,
            go: false,
            reason: 'slot "purple" of the alert on prod is not a slot; allowed: blue, green',
        },
        {
            what: "an unknown stack",
            event: alert({ stack: "qa" }),
            deployed: shifting,
            go: false,
            reason: 'stack "qa" is not a stack of this project; allowed: dev, prod, staging',
        },
        { what: "no stack", event: alert({ stack: "" }), deployed: shifting, go: false, reason: "the alert names no stack; allowed: dev, prod, staging" },
        {
            what: "no firedAt",
            event: alert({ firedAt: undefined }),
            deployed: shifting,
            go: false,
            reason: "the alert on prod green gives no firedAt: it cannot be matched to what is deployed",
        },
        {
            what: "a firedAt that is not ISO 8601 UTC",
            event: alert({ firedAt: "2026-11-26T12:03:00+01:00" }),
            deployed: shifting,
            go: false,
            reason: 'firedAt "2026-11-26T12:03:00+01:00" is not an ISO 8601 UTC time, e.g. 2026-11-26T14:00:03Z',
        },
        {
            what: "a firedAt in the future",
            event: alert({ firedAt: "2026-11-26T12:15:01Z" }),
            deployed: shifting,
            go: false,
            reason: "the alert on prod green fired at 2026-11-26T12:15:01Z, more than 5 minutes after now (2026-11-26T12:10:00.000Z): its clock is not trusted",
        },
        { what: "a stack never updated", event: alert(), deployed: undefined, go: false, reason: "prod has no rollout output (never updated): nothing to roll back" },
        {
            what: "dev (strategy direct, no second slot)",
            event: alert({ stack: "dev", slot: "blue" }),
            deployed: dev,
            go: false,
            reason: "dev deploys in place (strategy direct): no second slot to roll back to; roll back by hand (workflow_dispatch with a version)",
        },
        {
            what: "the live slot during a canary",
            event: alert({ slot: "blue" }),
            deployed: shifting,
            go: false,
            reason: "blue is prod's live slot (green is the candidate at 25 %): an alert on the live slot is for people, not a rollback",
        },
        {
            what: "the live slot after a finalize (the new release)",
            event: alert({ slot: "green" }),
            deployed: finalized,
            go: false,
            reason: "green is prod's live slot (blue is the candidate at 0 %): an alert on the live slot is for people, not a rollback",
        },
        {
            what: "the warm slot after a finalize (the previous release)",
            event: alert({ slot: "blue" }),
            deployed: finalized,
            go: false,
            reason: "blue is prod's warm slot (the previous release, since the finalize at 2026-11-26T12:00:00.000Z): it takes no traffic; not a rollback",
        },
        {
            what: "the empty slot of a stable stack",
            event: alert(),
            deployed: stable,
            go: false,
            reason: "prod is stable (blue live, green runs nothing): nothing to roll back",
        },
        {
            what: "the candidate already rolled back to 0 %",
            event: alert({ firedAt: "2026-11-26T12:05:00Z" }),
            deployed: rolledBack,
            go: false,
            reason: "green is at 0 % in prod: already rolled back at 2026-11-26T12:00:00.000Z",
        },
        {
            what: "the failed release after a rollback of its finalize",
            event: alert({ firedAt: "2026-11-26T12:05:00Z" }),
            deployed: backFromFinalize,
            go: false,
            reason: "green is at 0 % in prod: already rolled back at 2026-11-26T12:00:00.000Z",
        },
        {
            what: "a candidate staged at 0 %",
            event: alert(),
            deployed: staged,
            go: false,
            reason: "green is staged at 0 % in prod: it takes no traffic; nothing to roll back",
        },
        {
            what: "a deployed time that does not parse",
            event: alert(),
            deployed: at({ stepTakenAt: "soon", trafficSince: "soon" }),
            go: false,
            reason: "the alert fired at 2026-11-26T12:03:00Z, before green began carrying traffic in prod at soon: it concerns an earlier state; no rollback",
        },
        {
            what: "an alert fired at 5 % (11:57), decided after the step to 25 % (12:00): the same build, carrying traffic since 11:55",
            event: alert({ firedAt: "2026-11-26T11:57:00Z" }),
            deployed: at({ trafficSince: "2026-11-26T11:55:00.000Z" }),
            go: true,
            reason: 'green is prod\'s candidate at 25 % and its alert "error-rate" fired at 2026-11-26T11:57:00Z, after green began carrying traffic in prod at 2026-11-26T11:55:00.000Z: roll back',
        },
        {
            what: "an alert fired before a rollback (11:57), decided after a retry of the same build at 5 % (12:00)",
            event: alert({ firedAt: "2026-11-26T11:57:00Z" }),
            deployed: at({ weights: { blue: 95, green: 5 }, step: 1, nextStep: 25, stepTakenAt: "2026-11-26T12:00:00.000Z", trafficSince: "2026-11-26T12:00:00.000Z" }),
            go: false,
            reason: "the alert fired at 2026-11-26T11:57:00Z, before green began carrying traffic in prod at 2026-11-26T12:00:00.000Z: it concerns an earlier state; no rollback",
        },
        {
            what: "a rollout output written before trafficSince: read back, it takes stepTakenAt",
            event: alert({ firedAt: "2026-11-26T11:57:00Z" }),
            deployed: readRolloutState(withoutTrafficSince(shifting)),
            go: false,
            reason: "the alert fired at 2026-11-26T11:57:00Z, before green began carrying traffic in prod at 2026-11-26T12:00:00.000Z: it concerns an earlier state; no rollback",
        },
    ];
    for (const c of cases) {
        it(`${c.go ? "rolls back" : "no-op"}: ${c.what}`, () => {
            expect(alertRollbackDecision(c.event, c.deployed, ctx)).to.deep.equal({ go: c.go, reason: c.reason });
        });
    }

    it("shows untrusted values as one short line of printable ASCII", () => {
        fc.assert(
            fc.property(fc.string({ unit: "binary", maxLength: 500 }), fc.constantFrom<"stack" | "slot">("stack", "slot"), (value, field) => {
                const d = alertRollbackDecision(alert({ [field]: value }), shifting, ctx);
                expect(d.reason).to.match(/^[\x20-\x7e]*$/);
                expect(d.reason.length).to.be.at.most(200);
                expect(d.reason).not.to.match(/[<>&`]/);
            }),
        );
        expect(shown("a".repeat(100))).to.equal(`"${"a".repeat(40)}..."`);
        expect(shown('x"\n<b>')).to.equal('"x\\u0022\\u000a\\u003cb\\u003e"');
    });

    it("reads firedAt as strict ISO 8601 UTC", () => {
        for (const good of ["2026-11-26T14:00:03Z", "2026-11-26T14:00:03.1Z", "2026-11-26T14:00:03.123456789Z", "2028-02-29T23:59:59Z"]) {
            expect(parseAlertTime(good), good).to.be.instanceOf(Date);
        }
        expect(parseAlertTime("2021-11-25T17:11:59.4339215Z")!.toISOString()).to.equal("2021-11-25T17:11:59.433Z");
        for (const bad of ["2026-11-26T14:00:03", "2026-11-26T14:00:03+00:00", "2026-11-26 14:00:03Z", "2026-11-26T14:00Z", "2026-02-30T00:00:00Z", "2026-11-26T24:00:00Z", "2027-02-29T00:00:00Z", "2026-11-26t14:00:03z", "1764165603", "", " 2026-11-26T14:00:03Z"]) {
            expect(parseAlertTime(bad), bad).to.equal(undefined);
        }
    });
});

describe("slotshift should-rollback", function () {
    this.timeout(300000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-alert-"));
    const files: Record<string, string> = {};
    const save = (name: string, p: PlanResult) => {
        expect(p.ok, `${name}: ${p.error?.message}`).to.equal(true);
        files[name] = path.join(dir, `${name.slice(1)}.json`);
        fs.writeFileSync(files[name], JSON.stringify(p.outputs));
        return p.outputs;
    };

    before(async () => {
        // Prod, real program: green 1.1.0 staged at 11:00, at 5 % from 12:00, rolled back at 12:06.
        const prodStaged = save("@prod-staged", await planStack("prod", { now: new Date("2026-11-26T11:00:00Z") }));
        const prod5 = save("@prod-5", await planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 5 }), previous: prodStaged, now: new Date("2026-11-26T12:00:00Z") }));
        const prodBack = save("@prod-back", await planStack("prod", { previous: prod5, now: new Date("2026-11-26T12:06:00Z") }));
        // The same 5 % stepped on to 25 % at 12:05 instead; and the rolled-back build retried at 5 % at 12:08.
        save("@prod-25", await planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 25 }), previous: prod5, now: new Date("2026-11-26T12:05:00Z") }));
        save(
            "@prod-retry",
            await planStack("prod", {
                config: edited("prod", { "slotshift:rollout.weight": 5, "slotshift:rollout.retry": "2026-11-26T12:06:00.000Z" }),
                previous: prodBack,
                now: new Date("2026-11-26T12:08:00Z"),
            }),
        );
        // Staging: green 1.2.0-rc.1 staged, switched to 100 %, finalized at 10:20 (blue warm).
        const s0 = save("@staging-staged", await planStack("staging", { now: new Date("2026-11-26T10:00:00Z") }));
        const s100 = save("@staging-100", await planStack("staging", { config: edited("staging", { "slotshift:rollout.weight": 100 }), previous: s0, now: new Date("2026-11-26T10:10:00Z") }));
        save(
            "@staging-final",
            await planStack("staging", { config: edited("staging", { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 }), previous: s100, now: new Date("2026-11-26T10:20:00Z") }),
        );
        save("@dev", await planStack("dev", { now: new Date("2026-11-26T09:00:00Z") }));
        fs.writeFileSync(path.join(dir, "never.json"), "{}");
        files["@never"] = path.join(dir, "never.json");
    });

    /** Runs the command in the project, with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. */
    async function shouldRollback(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; output: string; summary: string }> {
        const output = path.join(dir, `output-${Math.random()}`);
        const summary = path.join(dir, `summary-${Math.random()}`);
        let stdout = "";
        let stderr = "";
        const code = await main(["should-rollback", ...args], { write: (s: string) => (stdout += s) }, { write: (s: string) => (stderr += s) }, { GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary });
        const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "");
        return { code, stdout, stderr, output: read(output), summary: read(summary) };
    }
    const event = (stack: string, slot: string, firedAt: string, previous: string) => ["--stack", stack, "--slot", slot, "--signal", "error-rate", "--fired-at", firedAt, "--previous", previous, "--now", "2026-11-26T12:10:00Z"];

    it("rolls back the candidate at 5 % on an alert fired after the step: go=true and the stack for the workflow", async () => {
        const r = await shouldRollback(...event("prod", "green", "2026-11-26T12:04:00Z", files["@prod-5"]));
        expect(r.code, r.stderr).to.equal(0);
        const line = 'rollback prod: green is prod\'s candidate at 5 % and its alert "error-rate" fired at 2026-11-26T12:04:00Z, after green began carrying traffic in prod at 2026-11-26T12:00:00.000Z: roll back\n';
        expect(r.stdout).to.equal(line);
        expect(r.output).to.equal("go=true\nstack=prod\n");
        expect(r.summary).to.equal(`slotshift should-rollback: ${line}`);
    });

    it("rolls back the candidate at 25 % on an alert fired at 5 %, before the step: the same build has carried traffic since 12:00", async () => {
        const r = await shouldRollback(...event("prod", "green", "2026-11-26T12:04:00Z", files["@prod-25"]));
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal('rollback prod: green is prod\'s candidate at 25 % and its alert "error-rate" fired at 2026-11-26T12:04:00Z, after green began carrying traffic in prod at 2026-11-26T12:00:00.000Z: roll back\n');
        expect(r.output).to.equal("go=true\nstack=prod\n");
    });

    const noops: { what: string; args: string[]; reason: string }[] = [
        { what: "an alert fired while green was only staged (before its first step)", args: event("prod", "green", "2026-11-26T11:30:00Z", "@prod-5"), reason: "the alert fired at 2026-11-26T11:30:00Z, before green began carrying traffic in prod at 2026-11-26T12:00:00.000Z: it concerns an earlier state; no rollback" },
        { what: "an alert fired at 5 % before a rollback at 12:06, decided after the retry at 12:08", args: event("prod", "green", "2026-11-26T12:04:00Z", "@prod-retry"), reason: "the alert fired at 2026-11-26T12:04:00Z, before green began carrying traffic in prod at 2026-11-26T12:08:00.000Z: it concerns an earlier state; no rollback" },
        { what: "the live slot", args: event("prod", "blue", "2026-11-26T12:04:00Z", "@prod-5"), reason: "blue is prod's live slot (green is the candidate at 5 %): an alert on the live slot is for people, not a rollback" },
        { what: "the candidate rolled back at 12:06 (by the first alert)", args: event("prod", "green", "2026-11-26T12:04:00Z", "@prod-back"), reason: "green is at 0 % in prod: already rolled back at 2026-11-26T12:06:00.000Z" },
        { what: "a staged candidate at 0 %", args: event("prod", "green", "2026-11-26T12:04:00Z", "@prod-staged"), reason: "green is staged at 0 % in prod: it takes no traffic; nothing to roll back" },
        { what: "the warm slot after a finalize", args: event("staging", "blue", "2026-11-26T10:25:00Z", "@staging-final"), reason: "blue is staging's warm slot (the previous release, since the finalize at 2026-11-26T10:20:00.000Z): it takes no traffic; not a rollback" },
        { what: "the new live slot after a finalize", args: event("staging", "green", "2026-11-26T10:25:00Z", "@staging-final"), reason: "green is staging's live slot (blue is the candidate at 0 %): an alert on the live slot is for people, not a rollback" },
        { what: "the shared database after a finalize", args: event("staging", "", "2026-11-26T10:25:00Z", "@staging-final"), reason: "the alert on staging names no slot (a signal of the whole stack, e.g. the shared database): only a candidate's alert rolls back" },
        { what: "dev", args: event("dev", "blue", "2026-11-26T12:04:00Z", "@dev"), reason: "dev deploys in place (strategy direct): no second slot to roll back to; roll back by hand (workflow_dispatch with a version)" },
        { what: "a stack never updated ({} outputs)", args: event("prod", "green", "2026-11-26T12:04:00Z", "@never"), reason: "prod has no rollout output (never updated): nothing to roll back" },
        { what: "an unknown stack, whose outputs are never read", args: event("qa", "green", "2026-11-26T12:04:00Z", "/nonexistent/previous.json"), reason: 'stack "qa" is not a stack of this project; allowed: dev, prod, staging' },
        { what: "an unknown slot, outputs not read", args: event("prod", "purple", "2026-11-26T12:04:00Z", "/nonexistent/previous.json"), reason: 'slot "purple" of the alert on prod is not a slot; allowed: blue, green' },
        { what: "no firedAt", args: event("prod", "green", "", "@prod-5"), reason: "the alert on prod green gives no firedAt: it cannot be matched to what is deployed" },
    ];
    for (const c of noops) {
        it(`no-op, exit 0, go=false, one line why: ${c.what}`, async () => {
            const args = c.args.map((a) => (a.startsWith("@") ? files[a] : a));
            const r = await shouldRollback(...args);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stderr).to.equal("");
            expect(r.stdout).to.equal(`no rollback: ${c.reason}\n`);
            expect(r.output).to.equal("go=false\n");
            expect(r.summary).to.equal(`slotshift should-rollback: no rollback: ${c.reason}\n`);
        });
    }

    it("gives one JSON document with --json", async () => {
        const r = await shouldRollback(...event("prod", "green", "2026-11-26T12:04:00Z", files["@prod-5"]), "--json");
        expect(JSON.parse(r.stdout)).to.deep.include({ go: true, stack: "prod" });
        const n = await shouldRollback(...event("prod", "blue", "2026-11-26T12:04:00Z", files["@prod-5"]), "--json");
        expect(JSON.parse(n.stdout)).to.deep.include({ go: false, stack: null });
        expect(n.stdout.trim().split("\n")).to.have.length(1);
    });

    const usage: { what: string; args: string[]; message: string | RegExp }[] = [
        {
            what: "a --fired-at that is not ISO 8601 UTC",
            args: event("prod", "green", "26/11/2026 12:04", "@prod-5"),
            message: 'slotshift: --fired-at "26/11/2026 12:04" is not an ISO 8601 UTC time; allowed: YYYY-MM-DDTHH:MM:SS[.fraction]Z, e.g. 2026-11-26T14:00:03Z\n',
        },
        {
            what: "a long --fired-at, shown cut",
            args: event("prod", "green", "x".repeat(5000), "@prod-5"),
            message: `slotshift: --fired-at "${"x".repeat(40)}..." is not an ISO 8601 UTC time; allowed: YYYY-MM-DDTHH:MM:SS[.fraction]Z, e.g. 2026-11-26T14:00:03Z\n`,
        },
        {
            what: "no --previous for a stack and slot that need it",
            args: ["--stack", "prod", "--slot", "green", "--fired-at", "2026-11-26T12:04:00Z", "--now", "2026-11-26T12:10:00Z"],
            message: "slotshift: --previous FILE is needed for prod (what 'pulumi stack output --json --stack prod' writes): what is deployed decides\n",
        },
        {
            what: "a --previous whose rollout output slotshift did not write",
            args: event("prod", "green", "2026-11-26T12:04:00Z", "@bad-rollout"),
            message: /^slotshift: --previous \/\S+\/bad-rollout\.json: rollout\.live is "purple"; allowed: what slotshift writes there \(Invalid option: expected one of "blue"\|"green"\)\n$/,
        },
    ];
    for (const c of usage) {
        it(`exit 2, nothing for the workflow: ${c.what}`, async () => {
            files["@bad-rollout"] = path.join(dir, "bad-rollout.json");
            fs.writeFileSync(files["@bad-rollout"], JSON.stringify({ rollout: { ...shifting, live: "purple" } }));
            const r = await shouldRollback(...c.args.map((a) => (a.startsWith("@") ? files[a] : a)));
            expect(r.code).to.equal(2);
            if (c.message instanceof RegExp) {
                expect(r.stderr).to.match(c.message);
            } else {
                expect(r.stderr).to.equal(c.message);
            }
            expect(r.stdout).to.equal("");
            expect(r.output).to.equal("");
        });
    }

    it("runs as the package's bin: exit 0 for a no-op, 2 for a bad --fired-at, 2 without --stack", () => {
        const bin = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, "bin/slotshift.js"), "should-rollback", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, GITHUB_OUTPUT: "", GITHUB_STEP_SUMMARY: "" } });
        const ok = bin("--stack", "prod", "--slot", "", "--fired-at", "2026-11-26T12:04:00Z");
        expect(ok.status, ok.stderr).to.equal(0);
        expect(ok.stdout).to.match(/^no rollback: the alert on prod names no slot/);
        expect(bin("--stack", "prod", "--slot", "green", "--fired-at", "yesterday").status).to.equal(2);
        expect(bin("--slot", "green").status).to.equal(2);
    });
});
