/**
 * The decision as named rules (rollout/decide.ts, rollout/move.ts, rollout/rules/) against the
 * single function it replaced (kept frozen in test/legacy/decideBefore.ts for this test only):
 * for every input, the same accepted state, digests and raising slot, or the same refusal key and
 * message. Inputs: the whole state space of the exhaustive search, each edit tried at several
 * ages of the previous step and against several promotion sources, and the property tests' random
 * edit sequences on the prod, staging and dev stack files.
 *
 * When a rule's behaviour is changed on purpose, this test has done its work: delete it with the
 * legacy copy in the same commit, and say so. One change on purpose so far lies outside the inputs
 * here, which never switch strategy: the warm hold now also holds against `strategy: direct`, which
 * would scale the warm slot down (rule warm-hold; its cases show it).
 */
import { expect } from "chai";
import * as fc from "fast-check";
import { SLOT_COLOURS, SlotColour, SlotshiftConfig, parseStackConfig } from "../rollout/config";
import { Decision, DecisionContext, decide } from "../rollout/decide";
import { ConfigError } from "../rollout/errors";
import { RolloutState } from "../rollout/state";
import { World as EditWorld, apply, edit, sourceFor } from "./edits";
import { sourceLive, stackConfig } from "./helpers";
import { decide as decideBefore } from "./legacy/decideBefore";
import { World, allConfigs, digestOf, source } from "./space";

type Outcome = { readonly decision: Decision } | { readonly key: string; readonly message: string };

function outcome(f: () => Decision): Outcome {
    try {
        return { decision: f() };
    } catch (e) {
        if (ConfigError.isInstance(e)) {
            return { key: e.key, message: e.message };
        }
        throw e;
    }
}

let compared = 0;
let refusedBoth = 0;

/** Decides with both and asserts the same outcome; returns the state the new one leaves, with digests. */
function both(cfg: SlotshiftConfig, ctx: DecisionContext, what: () => string): RolloutState | undefined {
    const before = outcome(() => decideBefore(cfg, ctx));
    const after = outcome(() => decide(cfg, ctx));
    compared++;
    if (!("decision" in before)) {
        refusedBoth++;
    }
    expect(after, what()).to.deep.equal(before);
    if (!("decision" in after)) {
        return undefined;
    }
    const d = after.decision;
    const digests = {} as Record<SlotColour, string | null>;
    for (const c of SLOT_COLOURS) {
        const v = d.state.versions[c];
        digests[c] = d.knownDigests[c] ?? (v === null ? null : digestOf(v));
    }
    return { ...d.state, digests };
}

/** Promotion sources to try besides the candidate's own: none, another version, one with no digest. */
function sources(cfg: SlotshiftConfig): (RolloutState | undefined)[] {
    const own = source(cfg);
    return [own, undefined, sourceLive("1.2.0", digestOf("1.2.0")), own && { ...own, digests: { blue: null, green: null } }];
}

/** Minutes after the previous step to try each edit at: inside and past the step hold and the warm hold, and a clock gone back. */
const AGES = [60, 2, 6, 29, 31, -1];

const keyOf = (world: World, s: RolloutState) => JSON.stringify([world, { ...s, stepTakenAt: null, finalizedAt: null, nextMoveAt: null, warmUntil: null, trafficSince: null, transition: null }]);

describe("the decision as rules, against the function it replaced", function () {
    this.timeout(600000);

    after(() => console.log(`      (${compared} decisions compared, ${refusedBoth} of them refusals)`));

    it("decides the same over the whole state space of the exhaustive search, at every age of the last step and against every kind of promotion source", () => {
        const configs = allConfigs();
        let time = Date.parse("2026-11-26T00:00:00Z");
        const seen = new Set<string>();
        const queue: { world: World; state: RolloutState }[] = [];
        const enqueue = (world: World, s: RolloutState | undefined) => {
            if (s && !seen.has(keyOf(world, s))) {
                seen.add(keyOf(world, s));
                queue.push({ world, state: s });
            }
        };
        for (const c of configs) {
            for (const [i, src] of sources(c.cfg).entries()) {
                const s = both(c.cfg, { now: new Date(time), previous: undefined, promotionSource: src, digestsKnown: i !== 3 }, () => JSON.stringify(c.world));
                if (i === 0) {
                    enqueue(c.world, s);
                }
            }
        }
        let n = 0;
        while (queue.length > 0) {
            const from = queue.shift()!;
            time += 3600000;
            const stepAt = Date.parse(from.state.stepTakenAt);
            for (const to of configs) {
                n++;
                // Every edit at the hour the search moves on by (what it explores from), and at one more
                // age and one more source in turn, so that every age meets every source over the search.
                const age = AGES[1 + (n % (AGES.length - 1))];
                const srcs = sources(to.cfg);
                const k = n % srcs.length;
                const what = () => `${JSON.stringify(to.world)} from ${JSON.stringify(from.state)}`;
                const s = both(to.cfg, { now: new Date(time), previous: from.state, promotionSource: srcs[0] }, what);
                enqueue(to.world, s);
                const anchor = Number.isNaN(stepAt) ? time : Math.max(stepAt, Date.parse(from.state.finalizedAt ?? "") || 0);
                both(to.cfg, { now: new Date(anchor + age * 60000), previous: from.state, promotionSource: srcs[k], digestsKnown: k !== 3 }, what);
            }
        }
        expect(seen.size).to.be.greaterThan(100);
    });

    for (const stack of ["prod", "staging", "dev"] as const) {
        it(`decides the same over the property tests' random edit sequences on the ${stack} stack file`, () => {
            fc.assert(
                fc.property(fc.array(edit, { minLength: 1, maxLength: 30 }), (edits) => {
                    const world: EditWorld = { config: stackConfig(stack).config, previous: undefined, now: Date.parse("2026-11-26T09:00:00Z") };
                    for (const e of edits) {
                        world.now += (e.kind === "wait" ? e.minutes : 1) * 60000;
                        const config = apply(world, e);
                        let cfg: SlotshiftConfig;
                        try {
                            cfg = parseStackConfig(config, stack);
                        } catch (err) {
                            if (ConfigError.isInstance(err)) {
                                continue;
                            }
                            throw err;
                        }
                        const s = both(cfg, { now: new Date(world.now), previous: world.previous, promotionSource: sourceFor(cfg) }, () => JSON.stringify(edits));
                        if (s) {
                            world.config = config;
                            world.previous = s;
                        }
                    }
                }),
                { numRuns: 400 },
            );
        });
    }
});
