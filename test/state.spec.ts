/**
 * The rollout state on its own (rollout/state.ts): what a config puts the slots and the router in,
 * how a build is compared, how an older output is read, and the state a stack file implies.
 */
import { expect } from "chai";
import { parseStackConfig } from "../rollout/config";
import { RolloutState, buildDifference, buildOf, impliedState, isRunning, nextStepAfter, readRolloutState, stateOf } from "../rollout/state";
import { edited } from "./helpers";

const prod = (edits: Record<string, unknown> = {}) => parseStackConfig(edited("prod", edits), "prod");

/** A rollout output as a previous update wrote it. */
function written(edits: Record<string, unknown>, extra: Partial<RolloutState> = {}): Record<string, unknown> {
    const s = stateOf(prod(edits), null);
    return { ...s, digests: { blue: null, green: null }, stepTakenAt: "2026-11-26T10:00:00.000Z", trafficSince: null, finalizedAt: null, nextMoveAt: null, warmUntil: null, pinTenants: false, transition: "step", aborted: null, history: [], expanded: [], ...extra };
}

describe("the rollout state", () => {
    describe("stateOf: what a config puts the slots and the router in", () => {
        it("is staged with the candidate running at 0 %, the first step next", () => {
            const s = stateOf(prod(), null);
            // A proportional canary's candidate runs the pods of its first step: 5 % of 3 plus 25 %, at least 1.
            expect([s.phase, s.step, s.nextStep, s.candidate, s.weights, s.replicas]).to.deep.equal(["staged", 0, 5, "green", { blue: 100, green: 0 }, { blue: 3, green: 1 }]);
            expect(s.versions).to.deep.equal({ blue: "1.0.0", green: "1.1.0" });
            expect(s.gitShas).to.deep.equal({ blue: "a1b2c3d", green: "e4f5a6b" });
            expect(s.image).to.equal("ghcr.io/nextgen-market/nextgen-market");
            expect(s.steps).to.deep.equal([5, 25, 50, 100]);
        });

        it("is shifting between the first and the last step, with the step's 1-based index and the next one", () => {
            expect(stateOf(prod({ "slotshift:rollout.weight": 5 }), null)).to.include({ phase: "shifting", step: 1, nextStep: 25 });
            expect(stateOf(prod({ "slotshift:rollout.weight": 50 }), null)).to.include({ phase: "shifting", step: 3, nextStep: 100 });
        });

        it("is shifted at 100 %, with no next step (the finalize is next)", () => {
            const s = stateOf(prod({ "slotshift:rollout.weight": 100 }), null);
            expect([s.phase, s.step, s.nextStep, s.weights]).to.deep.equal(["shifted", 4, null, { blue: 0, green: 100 }]);
        });

        it("is stable with no candidate, a decommissioned one, or the warm slot at 0 %", () => {
            expect(stateOf(prod({ "slotshift:slots.green": {} }), null)).to.include({ phase: "stable", nextStep: null });
            expect(stateOf(prod({ "slotshift:slots.green.decommissioned": true }), null)).to.include({ phase: "stable", nextStep: null });
            const warm = stateOf(prod(), "green");
            expect([warm.phase, warm.warm, warm.nextStep]).to.deep.equal(["stable", "green", null]);
        });

        it("runs the live slot alone and in place with strategy direct", () => {
            const dev = stateOf(parseStackConfig(edited("dev", {}), "dev"), null);
            expect([dev.phase, dev.candidate, dev.step, dev.nextStep, dev.weights.blue]).to.deep.equal(["stable", null, 0, null, 100]);
            expect(dev.replicas.green).to.equal(0);
        });
    });

    describe("builds", () => {
        it("runs a slot with a version that is not decommissioned, and only the live one with strategy direct", () => {
            expect(isRunning(prod(), "green")).to.equal(true);
            expect(isRunning(prod({ "slotshift:slots.green.decommissioned": true }), "green")).to.equal(false);
            expect(isRunning(prod({ "slotshift:slots.green": {} }), "green")).to.equal(false);
            const dev = parseStackConfig(edited("dev", { "slotshift:slots.green": { version: "1.0.1-dev.3", gitSha: "abcdef1" } }), "dev");
            expect([isRunning(dev, "blue"), isRunning(dev, "green")]).to.deep.equal([true, false]);
        });

        it("finds the step after a weight, the first from 0, none past the last", () => {
            expect([nextStepAfter(0, [5, 25, 100]), nextStepAfter(5, [5, 25, 100]), nextStepAfter(6, [5, 25, 100]), nextStepAfter(100, [5, 25, 100])]).to.deep.equal([5, 25, 25, undefined]);
        });

        it("describes a slot's build by every field that must not change while it carries traffic, none for an empty slot", () => {
            const cfg = prod({ "slotshift:slots.green": { version: "1.1.0", gitSha: "e4f5a6b", buildNumber: 131, branch: "main", nodeVersion: "22.1.0", npmVersion: "10.2.0", buildDate: "2026-11-20T10:00:00Z", digest: `sha256:${"a".repeat(64)}` } });
            expect(JSON.parse(buildOf(cfg, "green")!)).to.deep.equal({
                version: "1.1.0",
                gitSha: "e4f5a6b",
                digest: `sha256:${"a".repeat(64)}`,
                buildNumber: "131",
                buildDate: "2026-11-20T10:00:00Z",
                branch: "main",
                nodeVersion: "22.1.0",
                npmVersion: "10.2.0",
            });
            expect(buildOf(prod({ "slotshift:slots.green": {} }), "green")).to.equal(null);
        });

        it("names the first field in which two builds differ, in the order version, git sha, digest, then build metadata", () => {
            const b = (o: Record<string, unknown>) => JSON.stringify({ version: "1.0.0", gitSha: "a", ...o });
            expect(buildDifference(b({}), b({}))).to.equal(undefined);
            expect(buildDifference(b({}), b({ version: "1.0.1", gitSha: "b" }))).to.deep.equal(["version", "1.0.0", "1.0.1"]);
            expect(buildDifference(b({}), b({ gitSha: "b" }))).to.deep.equal(["gitSha", "a", "b"]);
            expect(buildDifference(b({}), b({ digest: "d" }))).to.deep.equal(["digest", undefined, "d"]);
            for (const k of ["buildNumber", "buildDate", "branch", "nodeVersion", "npmVersion"]) {
                expect(buildDifference(b({}), b({ [k]: "x" })), k).to.deep.equal([k, undefined, "x"]);
            }
            expect(buildDifference(null, b({}))).to.deep.equal(["version", undefined, "1.0.0"]);
            expect(buildDifference(b({}), null)).to.deep.equal(["version", "1.0.0", undefined]);
            // Same fields, another order of keys: a difference in no field is named as the version's.
            expect(buildDifference('{"a":1}', '{"a":2}')).to.deep.equal(["version", undefined, undefined]);
        });
    });

    describe("reading a rollout output", () => {
        it("gives undefined for a stack never updated", () => {
            expect(readRolloutState(undefined)).to.equal(undefined);
            expect(readRolloutState(null)).to.equal(undefined);
        });

        it("reads an output back as it was written", () => {
            const out = written({ "slotshift:rollout.weight": 25 }, { trafficSince: "2026-11-26T09:50:00.000Z", nextMoveAt: "2026-11-26T10:05:00.000Z", pinTenants: true });
            expect(readRolloutState(out)).to.deep.equal(out);
        });

        it("reads aborted and history back, and fills what an older output lacks: no rollback recorded, no history, entries without flags not forced nor retried", () => {
            const out = written({});
            delete out.aborted;
            delete out.history;
            expect(readRolloutState(out)).to.deep.include({ aborted: null, history: [] });
            const entry = { at: "2026-11-26T10:00:00.000Z", transition: "step", live: "blue", weight: 5, versions: { blue: "1.0.0", green: "1.1.0" } };
            const aborted = { slot: "green", version: "1.1.0", build: null, at: "2026-11-26T10:05:00.000Z" };
            const back = readRolloutState({ ...out, aborted, history: [entry, { ...entry, forced: true, retried: true }] })!;
            expect(back.aborted).to.deep.equal(aborted);
            expect(back.history).to.deep.equal([
                { ...entry, forced: false, retried: false },
                { ...entry, forced: true, retried: true },
            ]);
            expect(() => readRolloutState({ ...out, history: [{ ...entry, transition: "teleport" }] })).to.throw(/history\.0\.transition/);
            expect(() => readRolloutState({ ...out, aborted: { ...aborted, slot: "red" } })).to.throw(/aborted\.slot/);
        });

        it("fills what an older output lacks: no warm slot, builds, times or git shas, the transition unchanged, stepTakenAt long ago", () => {
            const out = written({});
            for (const k of ["gitShas", "warm", "stepTakenAt", "finalizedAt", "nextMoveAt", "warmUntil", "builds", "image", "pinTenants", "transition", "trafficSince"]) {
                delete out[k];
            }
            const s = readRolloutState(out)!;
            expect(s).to.deep.include({
                gitShas: { blue: null, green: null },
                warm: null,
                stepTakenAt: "1970-01-01T00:00:00.000Z",
                finalizedAt: null,
                nextMoveAt: null,
                warmUntil: null,
                builds: { blue: null, green: null },
                image: "",
                pinTenants: false,
                transition: "unchanged",
                trafficSince: null,
            });
        });

        it("takes an older output's trafficSince from stepTakenAt above 0 %, null at 0 % and with strategy direct, and keeps a written null", () => {
            const at5 = written({ "slotshift:rollout.weight": 5 });
            delete at5.trafficSince;
            expect(readRolloutState(at5)!.trafficSince).to.equal("2026-11-26T10:00:00.000Z");
            const at0 = written({});
            delete at0.trafficSince;
            expect(readRolloutState(at0)!.trafficSince).to.equal(null);
            const direct = { ...written({}), strategy: "direct", candidate: null };
            delete (direct as Record<string, unknown>).trafficSince;
            expect(readRolloutState(direct)!.trafficSince).to.equal(null);
            expect(readRolloutState({ ...written({ "slotshift:rollout.weight": 5 }), trafficSince: null })!.trafficSince).to.equal(null);
        });

        it("refuses an output it did not write, naming the field", () => {
            expect(() => readRolloutState({ ...written({}), live: "red" })).to.throw(/^the rollout output is not one slotshift wrote: live: /);
            expect(() => readRolloutState({ ...written({}), weights: { blue: 101, green: 0 } })).to.throw(/: weights\.blue: /);
            expect(() => readRolloutState({ ...written({}), replicas: { blue: -1, green: 0 } })).to.throw(/: replicas\.blue: /);
            expect(() => readRolloutState({ ...written({}), phase: "paused" })).to.throw(/: phase: /);
            expect(() => readRolloutState({ ...written({}), transition: "teleport" })).to.throw(/: transition: /);
            expect(() => readRolloutState("a string")).to.throw(/: \(root\): /);
        });
    });

    describe("the state a stack file implies", () => {
        it("takes the file as deployed, its times long past, and pins tenants while a candidate is in flight", () => {
            const s = impliedState(prod({ "slotshift:rollout.weight": 25 }));
            expect(s).to.deep.include({ phase: "shifting", warm: null, stepTakenAt: "1970-01-01T00:00:00.000Z", trafficSince: "1970-01-01T00:00:00.000Z", finalizedAt: null, nextMoveAt: null, warmUntil: null, pinTenants: true, transition: "unchanged" });
            expect(s.digests).to.deep.equal({ blue: null, green: null });
            expect(impliedState(prod())).to.deep.include({ phase: "staged", trafficSince: null, pinTenants: true });
        });

        it("takes a running candidate at 0 % that is older than live for the slot a finalize left warm", () => {
            const after = prod({ "slotshift:rollout.live": "green" });
            const s = impliedState(after);
            expect([s.warm, s.phase, s.finalizedAt, s.pinTenants]).to.deep.equal(["blue", "stable", "1970-01-01T00:00:00.000Z", false]);
        });

        it("takes no slot for warm when the candidate is newer, decommissioned, carries traffic, or the strategy is direct", () => {
            expect(impliedState(prod()).warm).to.equal(null);
            // A stack file records no rollback and no history: only outputs do.
            expect(impliedState(prod())).to.deep.include({ aborted: null, history: [] });
            expect(impliedState(prod({ "slotshift:rollout.live": "green", "slotshift:slots.blue": { version: "1.1.0", gitSha: "a1b2c3d" } })).warm).to.equal(null);
            expect(impliedState(prod({ "slotshift:rollout.live": "green", "slotshift:slots.blue.decommissioned": true })).warm).to.equal(null);
            expect(impliedState(prod({ "slotshift:rollout.live": "green", "slotshift:rollout.weight": 5 })).warm).to.equal(null);
            expect(impliedState(parseStackConfig(edited("dev", { "slotshift:slots.green": { version: "0.9.0", gitSha: "abcdef1" } }), "dev")).warm).to.equal(null);
        });
    });
});
