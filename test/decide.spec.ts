import { expect } from "chai";
import { SlotColour, parseStackConfig } from "../rollout/config";
import { Decision, decide } from "../rollout/decide";
import { ConfigError } from "../rollout/errors";
import { RolloutState, Transition, readRolloutState } from "../rollout/state";
import { edited, sourceLive } from "./helpers";

const T0 = Date.parse("2026-11-26T10:00:00Z");
const minutes = (m: number) => new Date(T0 + m * 60000);
const D = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

/** What staging has live when prod promotes from it. */
const stagingLive = (version: string, digest: string): RolloutState => ({ ...sourceLive(version, digest), stepTakenAt: minutes(-600).toISOString() });

/** The digests a decision deploys: the known ones, else a stand-in per version (what the registry would answer). */
function withDigests(d: Decision): RolloutState {
    const digestOf = (c: SlotColour) => d.knownDigests[c] ?? (d.state.versions[c] === null ? null : `sha256:${"f".repeat(56)}${c.padEnd(8, "0")}`);
    return { ...d.state, digests: { blue: digestOf("blue"), green: digestOf("green") } };
}

interface Update {
    /** Edits on top of the stack file, cumulative over the walk. */
    readonly edits: Record<string, unknown>;
    /** Minutes after T0 this update runs. */
    readonly at: number;
    /** What the promotion source has live at this update, when it differs from the walk's. */
    readonly source?: RolloutState | null;
}

/** Runs updates in order through decide(); returns the last decision, or throws the refusal. */
function run(stack: string, updates: readonly Update[], source: RolloutState | null): Decision {
    let previous: RolloutState | undefined;
    let edits: Record<string, unknown> = {};
    let decision: Decision | undefined;
    for (const u of updates) {
        edits = { ...edits, ...u.edits };
        const cfg = parseStackConfig(edited(stack, edits), stack);
        const promotionSource = u.source === undefined ? source : u.source;
        decision = decide(cfg, { now: minutes(u.at), previous, promotionSource: promotionSource ?? undefined });
        previous = withDigests(decision);
    }
    return decision!;
}

/** Shorthands for prod updates. */
const w = (weight: number, at: number, more: Record<string, unknown> = {}): Update => ({ edits: { "slotshift:rollout.weight": weight, ...more }, at });
const stage = (at = 0): Update => w(0, at);
const finalize = (at: number): Update => ({ edits: { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 }, at });
const STEPS_TO = (weight: number): Update[] => [stage(0), ...[5, 25, 50, 100].filter((x) => x <= weight).map((x, i) => w(x, 10 * (i + 1)))];

interface Case {
    readonly what: string;
    readonly stack?: string;
    readonly updates: readonly Update[];
    /** What the promotion source has live; null for a source never updated. @default staging with 1.1.0 */
    readonly source?: RolloutState | null;
    readonly transition?: Transition;
    readonly check?: (d: Decision) => void;
    readonly refused?: { readonly key: string; readonly message: RegExp };
}

const cases: Case[] = [
    // Legal moves.
    { what: "a first deploy staging green at 0", updates: [stage()], transition: "first-deploy", check: (d) => expect(d.state.phase).to.equal("staged") },
    { what: "the same config again", updates: [stage(), stage(5)], transition: "unchanged" },
    { what: "0 to the first step", updates: STEPS_TO(5), transition: "step", check: (d) => expect(d.state).to.deep.include({ phase: "shifting", step: 1, nextStep: 25 }) },
    { what: "5 to 25", updates: STEPS_TO(25), transition: "step", check: (d) => expect(d.state.weights).to.deep.equal({ blue: 75, green: 25 }) },
    { what: "25 to 50", updates: STEPS_TO(50), transition: "step" },
    { what: "50 to 100", updates: STEPS_TO(100), transition: "step", check: (d) => expect(d.state).to.deep.include({ phase: "shifted", nextStep: null }) },
    { what: "a rollback from 5", updates: [...STEPS_TO(5), w(0, 20)], transition: "rollback", check: (d) => expect(d.state.phase).to.equal("staged") },
    { what: "a rollback from 25", updates: [...STEPS_TO(25), w(0, 30)], transition: "rollback" },
    { what: "a rollback from 50", updates: [...STEPS_TO(50), w(0, 40)], transition: "rollback" },
    { what: "a rollback from 100", updates: [...STEPS_TO(100), w(0, 50)], transition: "rollback" },
    { what: "a rollback one minute after a step", updates: [...STEPS_TO(25), w(0, 21)], transition: "rollback" },
    { what: "a step back from 50 to 25", updates: [...STEPS_TO(50), w(25, 40)], transition: "step-back" },
    { what: "a forced jump from 5 to 50", updates: [...STEPS_TO(5), w(50, 20, { "slotshift:rollout.force": true })], transition: "jump" },
    { what: "a forced step before the hold is over", updates: [...STEPS_TO(5), w(25, 11, { "slotshift:rollout.force": true })], transition: "step" },
    { what: "a step exactly when the hold ends", updates: [...STEPS_TO(5), w(25, 15)], transition: "step" },
    {
        what: "a finalize from 100",
        updates: [...STEPS_TO(100), finalize(50)],
        transition: "finalize",
        check: (d) => expect(d.state).to.deep.include({ live: "green", candidate: "blue", warm: "blue", phase: "stable", weights: { blue: 0, green: 100 } }),
    },
    { what: "a rollback after finalize to the warm slot", updates: [...STEPS_TO(100), finalize(50), { edits: { "slotshift:rollout.live": "blue" }, at: 55 }], transition: "rollback-after-finalize", check: (d) => expect(d.state).to.deep.include({ live: "blue", warm: null }) },
    { what: "decommissioning the warm slot after warmMinutes", updates: [...STEPS_TO(100), finalize(50), { edits: { "slotshift:slots.blue.decommissioned": true }, at: 81 }], transition: "decommission", check: (d) => expect(d.state.replicas.blue).to.equal(0) },
    { what: "decommissioning the warm slot early with force", updates: [...STEPS_TO(100), finalize(50), { edits: { "slotshift:slots.blue.decommissioned": true, "slotshift:rollout.force": true }, at: 51 }], transition: "decommission" },
    {
        what: "staging the next release after the warm hold",
        updates: [...STEPS_TO(100), finalize(50), { edits: { "slotshift:slots.blue": { version: "1.2.0", gitSha: "1234567" } }, at: 90, source: stagingLive("1.2.0", D(2)) }],
        transition: "stage",
        check: (d) => expect(d.knownDigests.blue).to.equal(D(2)),
    },
    { what: "a downgrade with allowDowngrade", updates: [{ edits: { "slotshift:slots.green.version": "0.9.0", "slotshift:rollout.allowDowngrade": true }, at: 0 }], source: stagingLive("0.9.0", D(3)), transition: "first-deploy" },
    {
        what: "a promoted candidate taking the source's digest",
        updates: [stage()],
        check: (d) => expect(d.knownDigests.green).to.equal(D(1)),
    },
    {
        what: "a promoted candidate keeping its digest after the source moved on",
        updates: [stage(0), w(5, 10)],
        source: stagingLive("1.1.0", D(1)),
        check: (d) => expect(d.knownDigests.green).to.equal(D(1)),
    },
    { what: "a new image repository with force", updates: [stage(), { edits: { "slotshift:app.image": "ghcr.io/other/app", "slotshift:rollout.force": true }, at: 5 }], transition: "unchanged" },
    { what: "a change of steps at 0 %, then a step", updates: [stage(), { edits: { "slotshift:rollout.steps": [10, 100] }, at: 5 }, w(10, 10)], transition: "step" },
    {
        what: "raising the candidate's endpoint first on a step, the live one first on a rollback",
        updates: [...STEPS_TO(5)],
        check: (d) => {
            expect(d.raising).to.equal("green");
            expect(run("prod", [...STEPS_TO(5), w(0, 20)], stagingLive("1.1.0", D(1))).raising).to.equal("blue");
        },
    },
    {
        what: "pinned tenants from staging on, and not after a rollback",
        updates: [stage()],
        check: (d) => {
            expect(d.state.pinTenants).to.equal(true);
            expect(run("prod", [...STEPS_TO(5), w(0, 20)], stagingLive("1.1.0", D(1))).state.pinTenants).to.equal(false);
            expect(run("prod", [...STEPS_TO(5), w(0, 20), w(0, 30)], stagingLive("1.1.0", D(1))).state.pinTenants).to.equal(false);
            expect(run("prod", [...STEPS_TO(100), finalize(50)], stagingLive("1.1.0", D(1))).state.pinTenants).to.equal(false);
        },
    },
    { what: "a staging switch 0 to 100", stack: "staging", updates: [stage(), w(100, 5)], transition: "step" },
    { what: "a staging finalize", stack: "staging", updates: [stage(), w(100, 5), finalize(6)], transition: "finalize" },
    { what: "a dev update in place", stack: "dev", updates: [stage(), { edits: { "slotshift:slots.blue.version": "1.2.0-alpha.4", "slotshift:slots.blue.gitSha": "abcdef9" }, at: 1 }], transition: "update-in-place" },
    { what: "emptying a candidate that never took traffic", updates: [stage(), { edits: { "slotshift:slots.green": {} }, at: 1 }], transition: "decommission", check: (d) => expect(d.state.phase).to.equal("stable") },

    // Refusals.
    { what: "a first deploy straight at 5", updates: [w(5, 0)], refused: { key: "slotshift:rollout.weight", message: /^slotshift:rollout\.weight is 5 but this stack has no previous update, so green has not been staged; deploy it at 0 first/ } },
    { what: "a skipped step 5 to 50", updates: [...STEPS_TO(5), w(50, 20)], refused: { key: "slotshift:rollout.weight", message: /^slotshift:rollout\.weight is 50 but the previous update left green at 5 %; the next step is 25, or 0 to roll back; set slotshift:rollout\.force to jump$/ } },
    { what: "a skipped step 0 to 25", updates: [stage(), w(25, 10)], refused: { key: "slotshift:rollout.weight", message: /left green at 0 %; the next step is 5; set slotshift:rollout\.force to jump/ } },
    { what: "a skipped step 25 to 100", updates: [...STEPS_TO(25), w(100, 40)], refused: { key: "slotshift:rollout.weight", message: /left green at 25 %; the next step is 50, or a lower step \(5\), or 0 to roll back/ } },
    { what: "a step before the hold is over", updates: [...STEPS_TO(5), w(25, 12)], refused: { key: "slotshift:rollout.weight", message: /green has carried 5 % for 2 minute\(s\) .*\(slotshift:rollout\.minStepMinutes\): wait 3 more, roll back with 0, or set slotshift:rollout\.force/ } },
    { what: "a new candidate version while it carries traffic", updates: [...STEPS_TO(25), { edits: { "slotshift:slots.green.version": "1.1.1" }, at: 40 }], refused: { key: "slotshift:slots.green.version", message: /^slotshift:slots\.green\.version is "1\.1\.1" but green carried 25 % in the previous update with 1\.1\.0; a slot keeps its build while it carries traffic/ } },
    { what: "a new build of the same version while it carries traffic", updates: [...STEPS_TO(5), { edits: { "slotshift:slots.green.gitSha": "fedcba9" }, at: 30 }], refused: { key: "slotshift:slots.green.gitSha", message: /^slotshift:slots\.green\.gitSha is "fedcba9" but green carried 5 % in the previous update with e4f5a6b; a slot keeps its build/ } },
    { what: "a rollback that also changes the slot taking the traffic back", updates: [...STEPS_TO(100), { edits: { "slotshift:rollout.weight": 0, "slotshift:slots.blue.version": "2.0.0", "slotshift:slots.blue.gitSha": "abcdef1" }, at: 60 }], refused: { key: "slotshift:slots.blue.version", message: /^slotshift:slots\.blue\.version is "2\.0\.0" but blue is the live slot with 1\.0\.0; a slot keeps its build while it carries traffic or is live/ } },
    { what: "a new build number on the live slot", updates: [stage(), { edits: { "slotshift:slots.blue.buildNumber": 124 }, at: 5 }], refused: { key: "slotshift:slots.blue.buildNumber", message: /is "124" but blue carried 100 % in the previous update with 123/ } },
    { what: "a new digest for the staged candidate with a step", updates: [stage(), { edits: { "slotshift:slots.green.digest": D(8), "slotshift:rollout.weight": 5 }, at: 10 }], refused: { key: "slotshift:rollout.weight", message: /the previous update ran green with digest none, not sha256:8{64}; stage 1\.1\.0 at 0 first/ } },
    { what: "a step in the update that lowers the hold", updates: [...STEPS_TO(5), { edits: { "slotshift:rollout.weight": 25, "slotshift:rollout.minStepMinutes": 0 }, at: 11 }], refused: { key: "slotshift:rollout.weight", message: /the step holds until 2026-11-26T10:15:00\.000Z/ } },
    { what: "a decommission in the update that drops the warm hold", updates: [...STEPS_TO(100), finalize(50), { edits: { "slotshift:slots.blue.decommissioned": true, "slotshift:rollout.warmMinutes": 0 }, at: 51 }], refused: { key: "slotshift:slots.blue.decommissioned", message: /it stays as it is until 2026-11-26T11:20:00\.000Z/ } },
    { what: "a step in the update that changes strategy and steps", updates: [stage(), { edits: { "slotshift:rollout.strategy": "blue-green", "slotshift:rollout.steps": [100], "slotshift:rollout.weight": 100 }, at: 10 }], refused: { key: "slotshift:rollout.weight", message: /in the same update that changes slotshift:rollout\.steps or strategy/ } },
    { what: "a new image repository", updates: [stage(), { edits: { "slotshift:app.image": "ghcr.io/other/app" }, at: 5 }], refused: { key: "slotshift:app.image", message: /a new repository changes the image of every slot, the live one too: set slotshift:rollout\.force/ } },
    { what: "a new live version in place under canary", updates: [stage(), { edits: { "slotshift:slots.blue.version": "1.0.1" }, at: 5 }], refused: { key: "slotshift:slots.blue.version", message: /blue carried 100 % in the previous update with 1\.0\.0/ } },
    { what: "a version change and a step in one update", updates: [stage(), { edits: { "slotshift:slots.green.version": "1.1.1", "slotshift:rollout.weight": 5 }, at: 5 }], refused: { key: "slotshift:rollout.weight", message: /the previous update ran green with version 1\.1\.0, not 1\.1\.1; stage 1\.1\.1 at 0 first/ } },
    { what: "traffic to a slot that ran no pods", updates: [{ edits: { "slotshift:slots.green.decommissioned": true }, at: 0 }, { edits: { "slotshift:slots.green.decommissioned": false, "slotshift:rollout.weight": 5 }, at: 5 }], refused: { key: "slotshift:rollout.weight", message: /green ran no pods in the previous update; stage it at 0 first/ } },
    { what: "decommissioning a slot as it rolls back", updates: [...STEPS_TO(25), { edits: { "slotshift:rollout.weight": 0, "slotshift:slots.green.decommissioned": true }, at: 40 }], refused: { key: "slotshift:slots.green.decommissioned", message: /green carried 25 % in the previous update; move its traffic away in one update, then decommission it in the next/ } },
    { what: "a finalize before 100", updates: [...STEPS_TO(50), finalize(40)], refused: { key: "slotshift:rollout.live", message: /^slotshift:rollout\.live is green but the previous update left green at 50 %; live flips only when the candidate is at 100 % \(finalize\); keep slotshift:rollout\.live at blue$/ } },
    { what: "a finalize that keeps weight 100", updates: [...STEPS_TO(100), { edits: { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 100 }, at: 50 }], refused: { key: "slotshift:rollout.weight", message: /finalizing \(slotshift:rollout\.live blue -> green\) sets it back to 0/ } },
    { what: "a finalize that changes the old slot", updates: [...STEPS_TO(100), { edits: { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0, "slotshift:slots.blue.decommissioned": true }, at: 50 }], refused: { key: "slotshift:slots.blue", message: /changes while finalizing; keep blue at 1\.0\.0, running, so it stays warm/ } },
    { what: "a flip of live from a staged slot", updates: [stage(), { edits: { "slotshift:rollout.live": "green" }, at: 5 }], refused: { key: "slotshift:rollout.live", message: /left green at 0 %; live flips only when the candidate is at 100 %/ } },
    { what: "a rollback after finalize to a decommissioned slot", updates: [...STEPS_TO(100), finalize(50), { edits: { "slotshift:slots.blue.decommissioned": true }, at: 90 }, { edits: { "slotshift:rollout.live": "blue", "slotshift:slots.blue.decommissioned": false }, at: 95 }], refused: { key: "slotshift:rollout.live", message: /slotshift:rollout\.live is blue but the previous update left blue at 0 %/ } },
    { what: "decommissioning the warm slot early", updates: [...STEPS_TO(100), finalize(50), { edits: { "slotshift:slots.blue.decommissioned": true }, at: 62 }], refused: { key: "slotshift:slots.blue.decommissioned", message: /blue, which has been warm for 12 minute\(s\) since the finalize.*\(slotshift:rollout\.warmMinutes\): keep it 18 more minute\(s\)/ } },
    { what: "restaging the warm slot early", updates: [...STEPS_TO(100), finalize(50), { edits: { "slotshift:slots.blue": { version: "1.2.0", gitSha: "1234567" } }, at: 60, source: stagingLive("1.2.0", D(2)) }], refused: { key: "slotshift:slots.blue.version", message: /has been warm for 10 minute\(s\)/ } },
    { what: "a candidate older than live", updates: [{ edits: { "slotshift:slots.green.version": "0.9.0" }, at: 0 }], source: stagingLive("0.9.0", D(3)), refused: { key: "slotshift:slots.green.version", message: /^slotshift:slots\.green\.version is "0\.9\.0", not newer than 1\.0\.0 on the live slot blue; .*allowDowngrade/ } },
    { what: "a candidate equal to live", updates: [{ edits: { "slotshift:slots.green.version": "1.0.0" }, at: 0 }], source: stagingLive("1.0.0", D(3)), refused: { key: "slotshift:slots.green.version", message: /not newer than 1\.0\.0/ } },
    { what: "traffic to the old warm slot", updates: [...STEPS_TO(100), finalize(50), w(5, 90)], refused: { key: "slotshift:slots.blue.version", message: /"1\.0\.0", not newer than 1\.1\.0 on the live slot green/ } },
    { what: "promoting what staging does not run", updates: [stage()], source: stagingLive("1.2.0", D(2)), refused: { key: "slotshift:slots.green.version", message: /^slotshift:slots\.green\.version is "1\.1\.0" but staging has 1\.2\.0 live; this stack only takes what staging has live/ } },
    { what: "promoting with another digest", updates: [{ edits: { "slotshift:slots.green.digest": D(9) }, at: 0 }], refused: { key: "slotshift:slots.green.digest", message: /but staging runs 1\.1\.0 as sha256:1{64}; promote the artifact, never another build/ } },
    { what: "promoting from a stack never updated", updates: [stage()], source: null, refused: { key: "slotshift:promotion.from", message: /^slotshift:promotion\.from is "staging" but that stack has no rollout output to promote from/ } },
    { what: "a strategy change mid-rollout", updates: [...STEPS_TO(5), { edits: { "slotshift:rollout.strategy": "blue-green", "slotshift:rollout.steps": [100], "slotshift:rollout.weight": 0 }, at: 30 }], refused: { key: "slotshift:rollout.strategy", message: /previous update left green at 5 % under canary; change the strategy at 0 % only/ } },
    { what: "a new digest for a slot carrying traffic", updates: [...STEPS_TO(5), { edits: { "slotshift:slots.green.digest": D(7) }, at: 30 }], refused: { key: "slotshift:slots.green.digest", message: /green carried 5 % in the previous update with sha256:1{64}; a slot keeps its build/ } },
    { what: "a staging jump straight to 100 on a first deploy", stack: "staging", updates: [w(100, 0)], refused: { key: "slotshift:rollout.weight", message: /no previous update, so green has not been staged/ } },
    { what: "a live flip in dev", stack: "dev", updates: [stage(), { edits: { "slotshift:rollout.live": "green", "slotshift:slots.green": { version: "1.0.0", gitSha: "abcdef1" } }, at: 5 }], refused: { key: "slotshift:rollout.live", message: /strategy direct updates blue in place/ } },
];

describe("the rollout decision", () => {
    it(`has a table of ${cases.length} transitions, ${cases.filter((c) => c.refused).length} of them refused`, () => {
        expect(cases.length).to.be.at.least(40);
    });

    for (const c of cases) {
        const stack = c.stack ?? "prod";
        if (c.refused) {
            it(`refuses ${c.what} (${stack})`, () => {
                let error: unknown;
                try {
                    run(stack, c.updates, c.source === undefined ? stagingLive("1.1.0", D(1)) : c.source);
                } catch (e) {
                    error = e;
                }
                expect(ConfigError.isInstance(error), `refused, not ${String(error)}`).to.equal(true);
                const e = error as ConfigError;
                expect(e.key).to.equal(c.refused!.key);
                expect(e.message).to.match(c.refused!.message);
            });
        } else {
            it(`takes ${c.what} (${stack})`, () => {
                const d = run(stack, c.updates, c.source === undefined ? stagingLive("1.1.0", D(1)) : c.source);
                if (c.transition) {
                    expect(d.state.transition).to.equal(c.transition);
                }
                c.check?.(d);
            });
        }
    }

    it("records when a step was taken and keeps it while the weight holds", () => {
        const source = stagingLive("1.1.0", D(1));
        const at5 = run("prod", STEPS_TO(5), source);
        expect(at5.state.stepTakenAt).to.equal(minutes(10).toISOString());
        const held = run("prod", [...STEPS_TO(5), w(5, 13)], source);
        expect(held.state.stepTakenAt).to.equal(minutes(10).toISOString());
    });

    describe("trafficSince: when the candidate's build began carrying traffic", () => {
        const source = stagingLive("1.1.0", D(1));
        /** trafficSince after each prefix of the updates: what every update of the walk leaves. */
        const trail = (updates: readonly Update[], stack = "prod") => updates.map((_, i) => run(stack, updates.slice(0, i + 1), source).state.trafficSince);
        const at = (m: number) => minutes(m).toISOString();

        it("is set by the first step, kept by the next ones, null from the finalize", () => {
            expect(trail([...STEPS_TO(100), finalize(50)])).to.deep.equal([null, at(10), at(10), at(10), at(10), null]);
        });
        it("is null after a rollback, and set anew by the retry of the same build", () => {
            expect(trail([...STEPS_TO(25), w(0, 30), w(5, 40, { "slotshift:rollout.retry": at(30) }), w(25, 50)])).to.deep.equal([null, at(10), at(10), null, at(40), at(40)]);
        });
        it("is kept by a forced jump, a step back and an unchanged update; set by a forced jump from 0", () => {
            expect(trail([...STEPS_TO(5), w(50, 20, { "slotshift:rollout.force": true }), w(25, 30), w(25, 40)])).to.deep.equal([null, at(10), at(10), at(10), at(10)]);
            expect(trail([stage(0), w(50, 10, { "slotshift:rollout.force": true })])).to.deep.equal([null, at(10)]);
        });
        it("is null after a rollback after finalize, in a blue-green switch set at 100 and null from its finalize, null in place", () => {
            expect(run("prod", [...STEPS_TO(100), finalize(50), { edits: { "slotshift:rollout.live": "blue" }, at: 55 }], source).state.trafficSince).to.equal(null);
            expect(trail([stage(0), w(100, 5), finalize(6)], "staging")).to.deep.equal([null, at(5), null]);
            expect(trail([stage(0), { edits: { "slotshift:slots.blue.version": "1.2.0-alpha.4", "slotshift:slots.blue.gitSha": "abcdef9" }, at: 1 }], "dev")).to.deep.equal([null, null]);
        });
        it("is read from an older output without it: stepTakenAt above 0 %, null at 0 % and in place; the next step keeps it", () => {
            const older = (d: Decision) => Object.fromEntries(Object.entries(withDigests(d)).filter(([k]) => k !== "trafficSince"));
            const at25 = readRolloutState(older(run("prod", STEPS_TO(25), source)))!;
            expect(at25.trafficSince).to.equal(at(20));
            expect(readRolloutState(older(run("prod", [stage(0)], source)))!.trafficSince).to.equal(null);
            expect(readRolloutState(older(run("dev", [stage(0)], null)))!.trafficSince).to.equal(null);
            const cfg = parseStackConfig(edited("prod", { "slotshift:rollout.weight": 50 }), "prod");
            expect(decide(cfg, { now: minutes(30), previous: at25, promotionSource: source }).state.trafficSince).to.equal(at(20));
        });
    });

    it("reads a stack never updated, and refuses a rollout output it did not write", async () => {
        const { readRolloutState } = await import("../rollout/state");
        expect(readRolloutState(undefined)).to.equal(undefined);
        expect(() => readRolloutState({ live: "red" })).to.throw(/the rollout output is not one slotshift wrote/);
    });
});
