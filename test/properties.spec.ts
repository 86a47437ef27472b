/**
 * Property-based tests of the rollout rules: random sequences of config edits,
 * each decided against the state the last accepted one left.
 */
import { expect } from "chai";
import * as fc from "fast-check";
import { SLOT_COLOURS, SlotColour, SlotshiftConfig, otherSlot, parseStackConfig } from "../rollout/config";
import { decide } from "../rollout/decide";
import { ConfigError } from "../rollout/errors";
import { RolloutState } from "../rollout/state";
import { versionPolicyViolation } from "../rollout/versions";
import { aged, edited, planStack, sourceLive, stackConfig, withKey } from "./helpers";

const VERSIONS = ["0.9.0", "1.0.0", "1.1.0", "1.2.0", "2.0.0", "1.2.0-rc.1"];
const digestOf = (version: string) => `sha256:${Buffer.from(version.padEnd(32, ".")).toString("hex").slice(0, 64)}`;

/** One edit an engineer (or a careless script) might make. */
type Edit =
    | { kind: "weight"; weight: number }
    | { kind: "next" }
    | { kind: "rollback" }
    | { kind: "finalize" }
    | { kind: "flip"; weight: number }
    | { kind: "stage"; version: string }
    | { kind: "version"; colour: SlotColour; version: string }
    | { kind: "empty"; colour: SlotColour }
    | { kind: "decommission"; colour: SlotColour; value: boolean }
    | { kind: "force"; value: boolean }
    | { kind: "wait"; minutes: number };

const colour = fc.constantFrom<SlotColour>("blue", "green");
const edit: fc.Arbitrary<Edit> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("weight" as const), weight: fc.oneof(fc.constantFrom(0, 5, 25, 50, 100), fc.integer({ min: 0, max: 100 })) }) },
    { weight: 4, arbitrary: fc.constant<Edit>({ kind: "next" }) },
    { weight: 2, arbitrary: fc.constant<Edit>({ kind: "rollback" }) },
    { weight: 2, arbitrary: fc.constant<Edit>({ kind: "finalize" }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("flip" as const), weight: fc.constantFrom(0, 5, 100) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("stage" as const), version: fc.constantFrom(...VERSIONS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("version" as const), colour, version: fc.constantFrom(...VERSIONS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("empty" as const), colour }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("decommission" as const), colour, value: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("force" as const), value: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("wait" as const), minutes: fc.integer({ min: 0, max: 45 }) }) },
);

interface World {
    config: Record<string, string>;
    previous: RolloutState | undefined;
    now: number;
}

const get = (config: Record<string, string>, top: string) => JSON.parse(config[`slotshift:${top}`] ?? "{}") as Record<string, unknown>;

/** Applies an edit to the stack config the way a person would edit the file. */
function apply(world: World, e: Edit): Record<string, string> {
    const rollout = get(world.config, "rollout") as { live?: SlotColour; weight?: number; steps?: number[] };
    const live = rollout.live ?? "blue";
    const weight = rollout.weight ?? 0;
    const steps = rollout.steps ?? [5, 25, 50, 100];
    const set = (k: string, v: unknown) => withKey(world.config, k, v);
    switch (e.kind) {
        case "weight":
            return set("slotshift:rollout.weight", e.weight);
        case "next":
            return set("slotshift:rollout.weight", steps.find((s) => s > weight) ?? weight);
        case "rollback":
            return set("slotshift:rollout.weight", 0);
        case "finalize":
            return withKey(set("slotshift:rollout.live", otherSlot(live)), "slotshift:rollout.weight", 0);
        case "flip":
            return withKey(set("slotshift:rollout.live", otherSlot(live)), "slotshift:rollout.weight", e.weight);
        case "stage":
            return withKey(set(`slotshift:slots.${otherSlot(live)}`, { version: e.version, gitSha: "abcdef1" }), "slotshift:rollout.weight", 0);
        case "version":
            return set(`slotshift:slots.${e.colour}`, { version: e.version, gitSha: "abcdef2" });
        case "empty":
            return set(`slotshift:slots.${e.colour}`, {});
        case "decommission":
            return set(`slotshift:slots.${e.colour}.decommissioned`, e.value);
        case "force":
            return set("slotshift:rollout.force", e.value);
        case "wait":
            return world.config;
    }
}

/** What the promotion source has live: here, always the candidate being tried (the gate's own tests are elsewhere). */
function sourceFor(cfg: SlotshiftConfig): RolloutState | undefined {
    const version = cfg.slots[otherSlot(cfg.rollout.live)].version;
    if (version === undefined) {
        return undefined;
    }
    return sourceLive(version, digestOf(version));
}

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
                    expect(back.replicas).to.deep.equal(state.replicas);
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
