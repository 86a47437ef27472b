/**
 * Property-based tests of the rollout rules: random sequences of config edits,
 * each decided against the state the last accepted one left.
 */
import { expect } from "chai";
import * as fc from "fast-check";
import { SLOT_COLOURS, SlotColour, parseStackConfig } from "../rollout/config";
import { decide } from "../rollout/decide";
import { ConfigError } from "../rollout/errors";
import { RolloutState } from "../rollout/state";
import { versionPolicyViolation } from "../rollout/versions";
import { World, apply, digestOf, edit, sourceFor } from "./edits";
import { aged, edited, planStack, stackConfig, withKey } from "./helpers";

/** Decides one config against the world; returns the new state or the refusal. */
function attempt(world: World, config: Record<string, string>): RolloutState | ConfigError {
    try {
        const cfg = parseStackConfig(config, "prod");
        const d = decide(cfg, { now: new Date(world.now), previous: world.previous, promotionSource: sourceFor(cfg) });
        const digests = {} as Record<SlotColour, string | null>;
        for (const c of SLOT_COLOURS) {
            digests[c] = d.knownDigests[c] ?? (d.state.versions[c] === null ? null : digestOf(d.state.versions[c]!));
        }
        return { ...d.state, digests };
    } catch (e) {
        if (ConfigError.isInstance(e)) {
            return e;
        }
        throw e;
    }
}

let statesSeen = 0;
const distinct = new Set<string>();
let transitionsTried = 0;
let transitionsAccepted = 0;

describe("rollout properties over random edit sequences", function () {
    this.timeout(300000);

    after(() => {
        // The counts go into the report of a run: how much of the state space was walked.
        console.log(`      (${transitionsTried} edits tried, ${transitionsAccepted} accepted; ${statesSeen} states checked, ${distinct.size} distinct)`);
    });

    it("keeps every invariant in every reachable state", () => {
        fc.assert(
            fc.property(fc.array(edit, { minLength: 1, maxLength: 30 }), (edits) => {
                const world: World = { config: stackConfig("prod").config, previous: undefined, now: Date.parse("2026-11-26T09:00:00Z") };
                for (const e of edits) {
                    if (e.kind === "wait") {
                        world.now += e.minutes * 60000;
                        continue;
                    }
                    world.now += 60000;
                    const config = apply(world, e);
                    transitionsTried++;
                    const result = attempt(world, config);
                    if (ConfigError.isInstance(result)) {
                        expect(result.key).to.match(/^slotshift:/);
                        continue;
                    }
                    transitionsAccepted++;
                    const before = world.previous;
                    const state = result;
                    statesSeen++;
                    distinct.add(JSON.stringify({ ...state, stepTakenAt: null, finalizedAt: null, nextMoveAt: null, warmUntil: null, transition: null }));

                    // The weights sum to 100, and only slots with pods carry any.
                    expect(state.weights.blue + state.weights.green).to.equal(100);
                    for (const c of SLOT_COLOURS) {
                        if (state.weights[c] > 0) {
                            expect(state.replicas[c], `${c} carries ${state.weights[c]} % with no pods`).to.be.greaterThan(0);
                        }
                    }
                    // A slot that carried traffic keeps its version and its digest in the same update.
                    if (before) {
                        for (const c of SLOT_COLOURS) {
                            if (before.weights[c] > 0) {
                                expect(state.versions[c]).to.equal(before.versions[c]);
                                expect(state.digests[c]).to.equal(before.digests[c]);
                            }
                        }
                    }
                    // Prod never runs a prerelease.
                    for (const c of SLOT_COLOURS) {
                        if (state.versions[c] !== null) {
                            expect(versionPolicyViolation("prod", state.versions[c]!)).to.equal(undefined);
                        }
                    }
                    // From here, a rollback is one edit (weight 0) that is legal and changes nothing but routing.
                    const rollback = attempt({ ...world, previous: state }, withKey(config, "slotshift:rollout.weight", 0));
                    expect(ConfigError.isInstance(rollback), ConfigError.isInstance(rollback) ? rollback.message : "").to.equal(false);
                    const back = rollback as RolloutState;
                    expect(back.versions).to.deep.equal(state.versions);
                    // A rollback keeps every slot's pods; from 0 % the same edit is an unchanged update, which may
                    // scale a candidate a rollback left above its share down to it, and never up.
                    if (state.candidate !== null && state.weights[state.candidate] > 0) {
                        expect(back.replicas).to.deep.equal(state.replicas);
                    } else {
                        for (const c of SLOT_COLOURS) {
                            expect(back.replicas[c]).to.be.at.most(state.replicas[c]);
                        }
                    }
                    expect(back.digests).to.deep.equal(state.digests);
                    expect(back.live).to.equal(state.live);
                    expect(back.weights[state.live]).to.equal(100);

                    world.config = config;
                    world.previous = state;
                }
            }),
            { numRuns: 1500 },
        );
    });

    it("registers nothing when the real program refuses an edit", async () => {
        await fc.assert(
            fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
                let config = stackConfig("prod").config;
                let previous: Record<string, unknown> | undefined;
                for (const e of edits) {
                    const world: World = { config, previous: undefined, now: Date.now() };
                    config = e.kind === "wait" ? config : apply(world, e);
                    const result = await planStack("prod", { config, previous: previous && aged(previous, 10) });
                    if (!result.ok) {
                        expect(result.resources).to.deep.equal([]);
                        expect(result.outputs).to.deep.equal({});
                        expect(result.error?.key ?? "").to.match(/^slotshift:/);
                        return;
                    }
                    previous = result.outputs;
                }
            }),
            { numRuns: 25 },
        );
    });

    it("has a generator that reaches every phase, so the properties are not vacuous", () => {
        const phases = new Set<string>();
        fc.assert(
            fc.property(fc.array(edit, { minLength: 5, maxLength: 30 }), (edits) => {
                const world: World = { config: edited("prod", {}), previous: undefined, now: Date.parse("2026-11-26T09:00:00Z") };
                for (const e of edits) {
                    world.now += (e.kind === "wait" ? e.minutes : 1) * 60000;
                    const config = apply(world, e);
                    const result = attempt(world, config);
                    if (!ConfigError.isInstance(result)) {
                        phases.add(result.phase);
                        world.config = config;
                        world.previous = result;
                    }
                }
            }),
            { numRuns: 300, seed: 42 },
        );
        expect([...phases].sort()).to.deep.equal(["shifted", "shifting", "stable", "staged"]);
    });
});
