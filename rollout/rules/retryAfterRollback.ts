import { pct, sameBuild } from "../move";
import { Rule, refusal } from "./rule";
import { at, stage, weight } from "./walks";

/** The time the cases' rollback at minute 20 happens (rules.spec.ts starts the walks at 10:00Z). */
const ROLLED_BACK_AT = "2026-11-26T10:20:00.000Z";

export const retryAfterRollback: Rule = {
    id: "retry-after-rollback",
    sentence:
        "a build a rollback took traffic from takes traffic again only with `retry` set to the time of that rollback (`slotshift retry`); staging a new build clears it. `force` does not override it",
    example:
        "slotshift:rollout.weight is 5 but green's build 1.1.0 was rolled back at ... (the rollout output's aborted); step it again with slotshift:rollout.retry set to ...",
    moves: ["step", "jump"],
    check: ({ previous: P, previousWeight, cfg, weight: w, candidate }) => {
        const aborted = P?.aborted ?? null;
        if (previousWeight !== 0 || aborted === null || aborted.slot !== candidate || !sameBuild(P!, cfg, candidate)) {
            return undefined;
        }
        if (cfg.rollout.retry === aborted.at) {
            return undefined;
        }
        const given = cfg.rollout.retry === undefined ? "" : ` (slotshift:rollout.retry is ${JSON.stringify(cfg.rollout.retry)}, another rollback's time)`;
        return refusal(
            "rollout.weight",
            `slotshift:rollout.weight is ${w} but ${candidate}'s build ${aborted.version ?? "(no version)"} was rolled back at ${aborted.at} (the rollout output's aborted)${given}; ` +
                `step it again with slotshift:rollout.retry set to ${JSON.stringify(aborted.at)} (slotshift retry), stage a new build (slotshift start), or leave it at ${pct(0)}`,
        );
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        {
            what: "5 % again to the build rolled back from 25 %",
            updates: [stage(), weight(5, 10), weight(25, 15), weight(0, 20), weight(5, 30)],
            refused: "slotshift:rollout.weight",
            says: `was rolled back at ${ROLLED_BACK_AT}`,
        },
        {
            what: "5 % again with force: force skips holds, not a rollback",
            updates: [stage(), weight(5, 10), weight(0, 20), weight(5, 30, { "slotshift:rollout.force": true })],
            refused: "slotshift:rollout.weight",
            says: "slotshift retry",
        },
        {
            what: "5 % again with retry naming an earlier rollback",
            updates: [stage(), weight(5, 10), weight(0, 20), weight(5, 30, { "slotshift:rollout.retry": "2026-11-25T09:00:00.000Z" })],
            refused: "slotshift:rollout.weight",
            says: "another rollback's time",
        },
        {
            what: "the build rolled back after a finalize, stepped again without retry",
            updates: [
                stage(),
                weight(5, 10),
                weight(25, 20),
                weight(50, 30),
                weight(100, 40),
                at(50, { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 }),
                at(55, { "slotshift:rollout.live": "blue", "slotshift:rollout.weight": 0 }),
                weight(5, 70),
            ],
            refused: "slotshift:rollout.weight",
            says: "green's build 1.1.0 was rolled back at 2026-11-26T10:55:00.000Z",
        },
        { what: "5 % again with retry set to the rollback's time", updates: [stage(), weight(5, 10), weight(0, 20), weight(5, 30, { "slotshift:rollout.retry": ROLLED_BACK_AT })], transition: "step" },
        {
            what: "5 % to a new build staged after the rollback",
            updates: [stage(), weight(5, 10), weight(0, 20), { ...at(25, { "slotshift:slots.green.version": "1.2.0", "slotshift:slots.green.gitSha": "0c0ffee" }), source: "1.2.0" }, weight(5, 30)],
            transition: "step",
        },
    ],
    // Stryker restore all
};
