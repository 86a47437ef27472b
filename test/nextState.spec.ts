/**
 * What each accepted move leaves (rollout/decide.ts, nextState), field by field: the transition,
 * phase and step, the times of the step and its hold, the warm slot and its hold, when the
 * candidate's build began carrying traffic, pinned tenants, the slot whose weight rises, and the
 * digests known before any lookup. Each row is worked out by hand from the rules in the README.
 */
import { expect } from "chai";
import { SlotColour, parseStackConfig } from "../rollout/config";
import { Decision, decide, forcedWarning, nextState } from "../rollout/decide";
import { classify } from "../rollout/move";
import { RolloutState } from "../rollout/state";
import { edited, sourceLive } from "./helpers";

const T0 = Date.parse("2026-11-26T10:00:00Z");
const at = (m: number) => new Date(T0 + m * 60000).toISOString();
/** The build green's rollout takes traffic from at minute `m` (prod's 1.1.0). */
const ABORTED = (m: number) => ({ slot: "green" as const, version: "1.1.0", build: JSON.stringify({ version: "1.1.0", gitSha: "e4f5a6b", buildNumber: "131" }), at: at(m) });
const S = `sha256:${"5".repeat(64)}`; // what staging runs 1.1.0 as
const B = `sha256:${"b".repeat(64)}`; // blue's digest, given in config
const standIn = (c: SlotColour) => `sha256:${"f".repeat(56)}${c.padEnd(8, "0")}`;

interface Row {
    readonly edits: Record<string, unknown>;
    readonly minute: number;
    /** What the promotion source has live at this row, when it differs from the walk's. */
    readonly source?: RolloutState;
    readonly expect: Partial<Decision["state"]> & { readonly raising?: SlotColour | null; readonly knownDigests?: Partial<Record<SlotColour, string>> };
}

/** Runs the rows in order on a stack file; each decision's state (with stand-in digests for lookups) is the next one's previous. */
function walk(stack: string, rows: readonly Row[], source?: RolloutState): Decision {
    let previous: RolloutState | undefined;
    let last: Decision | undefined;
    let edits: Record<string, unknown> = {};
    for (const [i, row] of rows.entries()) {
        edits = { ...edits, ...row.edits };
        const cfg = parseStackConfig(edited(stack, edits), stack);
        const d = decide(cfg, { now: new Date(T0 + row.minute * 60000), previous, promotionSource: row.source ?? source });
        const got: Record<string, unknown> = { ...d.state, raising: d.raising, knownDigests: d.knownDigests };
        for (const [k, v] of Object.entries(row.expect)) {
            expect(got[k], `row ${i + 1} (${JSON.stringify(row.edits)} at ${row.minute}): ${k}`).to.deep.equal(v);
        }
        const digest = (c: SlotColour) => d.knownDigests[c] ?? (d.state.versions[c] === null ? null : standIn(c));
        previous = { ...d.state, digests: { blue: digest("blue"), green: digest("green") } };
        last = d;
    }
    return last!;
}

const w = (weight: number, minute: number, expected: Row["expect"], more: Record<string, unknown> = {}): Row => ({ edits: { "slotshift:rollout.weight": weight, ...more }, minute, expect: expected });

describe("the state each move leaves", () => {
    it("through a prod canary: stage, steps, a hold, a rollback, a retry, a forced jump, a step back, 100 %, finalize and the way back", () => {
        walk(
            "prod",
            [
                w(0, 0, { transition: "first-deploy", phase: "staged", step: 0, nextStep: 5, warm: null, stepTakenAt: at(0), trafficSince: null, finalizedAt: null, nextMoveAt: null, warmUntil: null, pinTenants: true, raising: null, knownDigests: { blue: B, green: S } }, { "slotshift:slots.blue.digest": B }),
                w(5, 10, { transition: "step", phase: "shifting", step: 1, nextStep: 25, stepTakenAt: at(10), trafficSince: at(10), nextMoveAt: at(15), pinTenants: true, raising: "green", knownDigests: { blue: B, green: S } }),
                w(5, 12, { transition: "unchanged", stepTakenAt: at(10), trafficSince: at(10), nextMoveAt: at(15), raising: null }, { "slotshift:rollout.minStepMinutes": 1 }),
                w(25, 20, { transition: "step", step: 2, stepTakenAt: at(20), trafficSince: at(10), nextMoveAt: at(25), raising: "green" }, { "slotshift:rollout.minStepMinutes": 5 }),
                w(0, 21, { transition: "rollback", phase: "staged", step: 0, nextStep: 5, stepTakenAt: at(21), trafficSince: null, nextMoveAt: null, pinTenants: false, raising: "blue", aborted: ABORTED(21) }),
                w(0, 22, { transition: "unchanged", phase: "staged", stepTakenAt: at(21), pinTenants: false, raising: null, aborted: ABORTED(21) }),
                w(5, 23, { transition: "step", trafficSince: at(23), nextMoveAt: at(28), pinTenants: true, aborted: null }, { "slotshift:rollout.retry": at(21) }),
                w(50, 30, { transition: "jump", step: 3, nextStep: 100, stepTakenAt: at(30), trafficSince: at(23), nextMoveAt: at(35), raising: "green" }, { "slotshift:rollout.force": true }),
                w(25, 31, { transition: "step-back", step: 2, stepTakenAt: at(31), trafficSince: at(23), nextMoveAt: at(36), raising: "blue" }, { "slotshift:rollout.force": false }),
                w(50, 40, { transition: "step", stepTakenAt: at(40), nextMoveAt: at(45) }),
                w(100, 50, { transition: "step", phase: "shifted", step: 4, nextStep: null, stepTakenAt: at(50), trafficSince: at(23), nextMoveAt: null, pinTenants: true, raising: "green" }),
                w(0, 55, { transition: "finalize", live: "green", phase: "stable", warm: "blue", stepTakenAt: at(55), trafficSince: null, finalizedAt: at(55), warmUntil: at(85), nextMoveAt: null, pinTenants: false, raising: null, knownDigests: { blue: B, green: S } }, { "slotshift:rollout.live": "green" }),
                w(0, 60, { transition: "unchanged", warm: "blue", stepTakenAt: at(55), finalizedAt: at(55), warmUntil: at(85), pinTenants: false }),
                w(0, 62, { transition: "rollback-after-finalize", live: "blue", phase: "staged", warm: null, stepTakenAt: at(62), finalizedAt: null, warmUntil: null, trafficSince: null, pinTenants: false, raising: "blue", aborted: ABORTED(62) }, { "slotshift:rollout.live": "blue" }),
            ],
            sourceLive("1.1.0", S),
        );
    });

    it("through the warm hold: the warm slot kept while it runs as it was, then decommissioned and restaged", () => {
        const to100 = [0, 5, 25, 50, 100].map((x, i) => w(x, 10 * i, {}));
        walk(
            "prod",
            [
                ...to100,
                w(0, 50, { transition: "finalize", warm: "blue", warmUntil: at(80) }, { "slotshift:rollout.live": "green" }),
                { edits: { "slotshift:slots.blue.decommissioned": true }, minute: 80, expect: { transition: "decommission", phase: "stable", warm: null, finalizedAt: null, warmUntil: null, stepTakenAt: at(50), pinTenants: false, replicas: { blue: 0, green: 3 } } },
                { edits: {}, minute: 82, expect: { transition: "unchanged", replicas: { blue: 0, green: 3 } } },
                { edits: { "slotshift:slots.blue.decommissioned": false }, minute: 84, expect: { transition: "stage", phase: "staged", replicas: { blue: 1, green: 3 }, pinTenants: true } },
                { edits: { "slotshift:slots.blue.decommissioned": true }, minute: 86, expect: { transition: "decommission" } },
                {
                    edits: { "slotshift:slots.blue": { version: "1.2.0", gitSha: "0c0ffee" } },
                    minute: 90,
                    source: sourceLive("1.2.0", `sha256:${"7".repeat(64)}`),
                    expect: { transition: "stage", phase: "staged", warm: null, pinTenants: true, nextStep: 5, knownDigests: { green: S, blue: `sha256:${"7".repeat(64)}` } },
                },
            ],
            sourceLive("1.1.0", S),
        );
    });

    it("after a rollback, a forced jump straight to 100 % pins tenants again", () => {
        walk(
            "prod",
            [w(0, 0, {}), w(5, 10, { pinTenants: true }), w(0, 11, { pinTenants: false }), w(100, 12, { transition: "jump", phase: "shifted", pinTenants: true }, { "slotshift:rollout.force": true, "slotshift:rollout.retry": at(11) })],
            sourceLive("1.1.0", S),
        );
    });

    it("takes a step onto the warm slot (a downgrade, allowed) out of the warm hold", () => {
        const to100 = [0, 5, 25, 50, 100].map((x, i) => w(x, 10 * i, {}));
        walk(
            "prod",
            [...to100, w(0, 50, { warm: "blue" }, { "slotshift:rollout.live": "green" }), w(5, 55, { transition: "step", warm: null, finalizedAt: null, warmUntil: null, phase: "shifting" }, { "slotshift:rollout.allowDowngrade": true })],
            sourceLive("1.1.0", S),
        );
    });

    it("takes no digest from a promotion source the stack does not promote from, and none that the source does not report", () => {
        walk("staging", [w(0, 0, { transition: "first-deploy", knownDigests: {} })], sourceLive("1.2.0-rc.1", S));
        const cfg = parseStackConfig(edited("prod", {}), "prod");
        const noDigest = { ...sourceLive("1.1.0", S), digests: { blue: null, green: null } };
        expect(decide(cfg, { now: new Date(T0), promotionSource: noDigest, digestsKnown: false }).knownDigests).to.deep.equal({});
    });

    it("through a staging switch: stage, 100 %, finalize", () => {
        walk("staging", [
            w(0, 0, { transition: "first-deploy", phase: "staged", nextStep: 100, pinTenants: true, knownDigests: {} }),
            w(100, 5, { transition: "step", phase: "shifted", step: 1, nextStep: null, nextMoveAt: null, trafficSince: at(5), raising: "green" }),
            w(0, 10, { transition: "finalize", warm: "blue", warmUntil: at(40), trafficSince: null }, { "slotshift:rollout.live": "green" }),
        ]);
    });

    it("in place with strategy direct: a first deploy, the same config again (its time kept), a new version (a new time)", () => {
        walk("dev", [
            { edits: {}, minute: 0, expect: { transition: "first-deploy", phase: "stable", candidate: null, stepTakenAt: at(0), trafficSince: null, nextMoveAt: null, pinTenants: false, raising: null, knownDigests: {} } },
            { edits: {}, minute: 5, expect: { transition: "unchanged", stepTakenAt: at(0), trafficSince: null, raising: null, knownDigests: { blue: standIn("blue") } } },
            { edits: { "slotshift:slots.blue": { version: "1.2.0-alpha.4", gitSha: "abcdef1" } }, minute: 9, expect: { transition: "update-in-place", stepTakenAt: at(9), trafficSince: null, warm: null, knownDigests: {} } },
        ]);
    });

    it("has no next state for a flip of live, which a rule always refuses first", () => {
        const cfg = parseStackConfig(edited("prod", { "slotshift:rollout.live": "green" }), "prod");
        const previous: RolloutState = { ...sourceLive("1.0.0", B), strategy: "canary", steps: [5, 25, 50, 100] };
        const move = classify(cfg, { now: new Date(T0), previous });
        expect(move.kind).to.equal("flip");
        expect(() => nextState(move)).to.throw(/a flip of slotshift:rollout.live is always refused/);
    });

    describe("history: the transitions the rollout output keeps", () => {
        const entry = (transition: string, minute: number, weight: number, flags: { forced?: boolean; retried?: boolean } = {}) => ({
            at: at(minute),
            transition,
            live: "blue",
            weight,
            versions: { blue: "1.0.0", green: "1.1.0" },
            forced: flags.forced ?? false,
            retried: flags.retried ?? false,
        });

        it("records every move but unchanged, oldest first, with what force let pass and what a retry stepped again", () => {
            const d = walk(
                "prod",
                [
                    w(0, 0, {}),
                    w(5, 10, {}),
                    w(5, 11, {}),
                    w(0, 12, {}),
                    w(5, 13, {}, { "slotshift:rollout.retry": at(12) }),
                    w(25, 14, {}, { "slotshift:rollout.force": true }),
                    w(50, 30, {}),
                ],
                sourceLive("1.1.0", S),
            );
            expect(d.state.history).to.deep.equal([
                entry("first-deploy", 0, 0),
                entry("step", 10, 5),
                entry("rollback", 12, 0),
                entry("step", 13, 5, { retried: true }),
                entry("step", 14, 25, { forced: true }),
                // force still on, but nothing it skips was in the way: not forced.
                entry("step", 30, 50),
            ]);
        });

        it("keeps the last 20", () => {
            const rows: Row[] = [w(0, 0, {})];
            for (let i = 1; i <= 30; i++) {
                rows.push(w(i % 2 === 1 ? 5 : 0, i * 10, {}, i % 2 === 1 && i > 1 ? { "slotshift:rollout.retry": at((i - 1) * 10) } : {}));
            }
            const h = walk("prod", rows, sourceLive("1.1.0", S)).state.history;
            expect(h).to.have.length(20);
            expect(h[19]).to.deep.equal(entry("rollback", 300, 0));
            expect(h[0].at).to.equal(at(110));
        });
    });

    it("records no retry for a move at 0 % with a retry in the file, nor for a step of another build", () => {
        const d = walk(
            "prod",
            [w(0, 0, {}), w(5, 10, {}), w(0, 12, {}), { edits: { "slotshift:rollout.retry": at(12), "slotshift:slots.green.decommissioned": true }, minute: 20, expect: { transition: "decommission", aborted: null } }],
            sourceLive("1.1.0", S),
        );
        expect(d.state.history.at(-1)).to.deep.include({ transition: "decommission", retried: false });
    });

    describe("forcedPast: the refusal force let an update pass", () => {
        it("is warned of naming the rule, its refusal, and how force goes back", () => {
            expect(forcedWarning({ rule: "step-hold", message: "slotshift:rollout.weight is 25 but ..." })).to.equal(
                "FORCED: slotshift:rollout.force is true and takes this update past rule step-hold, which would refuse it: slotshift:rollout.weight is 25 but .... " +
                    "Set slotshift:rollout.force back to false after this update (every slotshift edit without --force does).",
            );
        });

        it("names the hold a forced step skipped, and is null when force skipped nothing or is off", () => {
            const d = walk("prod", [w(0, 0, {}), w(5, 10, {}), w(25, 11, {}, { "slotshift:rollout.force": true })], sourceLive("1.1.0", S));
            expect(d.forcedPast?.rule).to.equal("step-hold");
            expect(d.forcedPast?.key).to.equal("slotshift:rollout.weight");
            expect(walk("prod", [w(0, 0, {}), w(5, 10, {}), w(25, 30, {}, { "slotshift:rollout.force": true })], sourceLive("1.1.0", S)).forcedPast).to.equal(null);
            expect(walk("prod", [w(0, 0, {}), w(5, 10, {}), w(25, 30, {})], sourceLive("1.1.0", S)).forcedPast).to.equal(null);
        });
    });
});
