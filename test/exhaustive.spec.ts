/**
 * An exhaustive search of the rollout state machine over a bounded world: every
 * prod config of the world (live slot, weight, each slot's version or none,
 * decommissioned or not, force on or off, a retry of the last rollback or not, a contract migration or not) tried as the next edit from every
 * reachable state, breadth first. Each accepted edit is checked against the
 * invariants; each reachable state must allow a rollback that changes only routing.
 */
import { expect } from "chai";
import { SLOT_COLOURS, SlotColour, SlotshiftConfig } from "../rollout/config";
import { decide } from "../rollout/decide";
import { ConfigError } from "../rollout/errors";
import { RolloutState, podsForShare } from "../rollout/state";
import { versionPolicyViolation } from "../rollout/versions";
import { compareVersions } from "../rollout/versions";
import { CONTRACT_REQUIRES, World, allConfigs, digestOf, source } from "./space";

function attempt(world: World | undefined, given: SlotshiftConfig, previous: RolloutState | undefined, at: number): RolloutState | undefined {
    // The world's `retry` means "retry the rollback the previous state records": its time, whatever it is.
    const cfg = world?.retry && previous?.aborted ? { ...given, rollout: { ...given.rollout, retry: previous.aborted.at } } : given;
    try {
        const d = decide(cfg, { now: new Date(at), previous, promotionSource: source(cfg) });
        const digests = {} as Record<SlotColour, string | null>;
        for (const c of SLOT_COLOURS) {
            const v = d.state.versions[c];
            digests[c] = d.knownDigests[c] ?? (v === null ? null : digestOf(v));
        }
        return { ...d.state, digests };
    } catch (e) {
        if (ConfigError.isInstance(e)) {
            return undefined;
        }
        throw e;
    }
}

/** A reachable state: the config that made it and the state it left, times aside. */
const keyOf = (world: World, s: RolloutState) =>
    JSON.stringify([
        world,
        { ...s, stepTakenAt: null, finalizedAt: null, nextMoveAt: null, warmUntil: null, trafficSince: null, transition: null, history: null, aborted: s.aborted && { ...s.aborted, at: null } },
    ]);

describe("the rollout state machine, searched exhaustively", function () {
    this.timeout(600000);

    it("keeps every invariant on every edit from every reachable state", () => {
        const configs = allConfigs();
        const HOUR = 3600000;
        let time = Date.parse("2026-11-26T00:00:00Z");
        const seen = new Map<string, { world: World; cfg: SlotshiftConfig; state: RolloutState }>();
        const queue: { world: World; cfg: SlotshiftConfig; state: RolloutState }[] = [];
        for (const c of configs) {
            const s = attempt(c.world, c.cfg, undefined, time);
            if (s) {
                const k = keyOf(c.world, s);
                if (!seen.has(k)) {
                    seen.set(k, { ...c, state: s });
                    queue.push({ ...c, state: s });
                }
            }
        }
        let tried = 0;
        let accepted = 0;
        let rollbacks = 0;
        while (queue.length > 0) {
            const from = queue.shift()!;
            // Every edit is tried as if an hour had passed: no hold is in the way (holds have their own tests).
            time += HOUR;
            for (const to of configs) {
                tried++;
                const s = attempt(to.world, to.cfg, from.state, time);
                if (!s) {
                    continue;
                }
                accepted++;
                const P = from.state;
                expect(s.weights.blue + s.weights.green).to.equal(100);
                for (const c of SLOT_COLOURS) {
                    if (s.weights[c] > 0) {
                        expect(s.replicas[c], `${c} carries traffic with no pods`).to.be.greaterThan(0);
                    }
                    if (P.weights[c] > 0) {
                        expect([s.versions[c], s.digests[c], s.gitShas[c]], `${c} carried traffic`).to.deep.equal([P.versions[c], P.digests[c], P.gitShas[c]]);
                    }
                    if (s.versions[c] !== null) {
                        expect(versionPolicyViolation("prod", s.versions[c]!), "prod runs a prerelease").to.equal(undefined);
                    }
                }
                // Capacity: the live slot runs all its pods; a candidate carrying traffic at least the pods of its share.
                expect(s.replicas[s.live], "the live slot at full capacity").to.equal(to.cfg.app.replicas);
                if (s.candidate !== null && s.weights[s.candidate] > 0) {
                    expect(s.replicas[s.candidate], "the candidate's pods for its share").to.be.at.least(podsForShare(to.cfg, s.weights[s.candidate]));
                }
                // A build a rollback took traffic from takes traffic again only by a retry.
                const A = P.aborted;
                if (A !== null && s.live === P.live && s.candidate === A.slot && P.weights[A.slot] === 0 && s.weights[A.slot] > 0) {
                    expect(s.builds[A.slot] !== A.build || to.world.retry, `${A.slot}'s rolled-back build stepped again without retry`).to.equal(true);
                }
                // While a contract migration is declared, nothing older than it requires runs.
                if (to.world.contract) {
                    for (const c of SLOT_COLOURS) {
                        if (s.replicas[c] > 0) {
                            expect(compareVersions(s.versions[c]!, CONTRACT_REQUIRES), `${c} runs ${s.versions[c]} under a contract requiring ${CONTRACT_REQUIRES}`).to.be.at.least(0);
                        }
                    }
                }
                if (s.transition === "rollback" || s.transition === "rollback-after-finalize") {
                    expect(s.aborted?.slot, "a rollback records the build it took traffic from").to.equal(s.candidate);
                }
                const k = keyOf(to.world, s);
                if (!seen.has(k)) {
                    seen.set(k, { ...to, state: s });
                    queue.push({ ...to, state: s });
                }
            }
        }
        // From every reachable state, a rollback is one edit (weight 0) that changes only routing.
        for (const { world, cfg, state } of seen.values()) {
            const back = { ...cfg, rollout: { ...cfg.rollout, weight: 0, force: false } };
            const s = attempt(undefined, back, state, time + HOUR);
            expect(s, `rollback from ${JSON.stringify(world)}`).to.not.equal(undefined);
            expect([s!.versions, s!.digests, s!.live]).to.deep.equal([state.versions, state.digests, state.live]);
            // A rollback keeps every slot's pods; from 0 % the same edit is an unchanged update, which may
            // scale a candidate a rollback left above its share down to it, and never up.
            const cand = state.candidate;
            if (cand !== null && state.weights[cand] > 0) {
                expect(s!.replicas).to.deep.equal(state.replicas);
            } else {
                for (const c of SLOT_COLOURS) {
                    expect(s!.replicas[c]).to.be.at.most(state.replicas[c]);
                }
            }
            rollbacks++;
        }
        console.log(`      (${configs.length} configs, ${seen.size} reachable states, ${tried} transitions tried, ${accepted} accepted, ${rollbacks} rollbacks checked)`);
        expect(seen.size).to.be.greaterThan(50);
    });
});
