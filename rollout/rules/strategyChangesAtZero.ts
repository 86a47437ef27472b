import { otherSlot } from "../config";
import { MOVES_FROM_A_STATE, pct } from "../move";
import { Rule, refusal } from "./rule";
import { stage, stepsTo, weight } from "./walks";

export const strategyChangesAtZero: Rule = {
    id: "strategy-changes-at-zero",
    sentence: "`strategy` changes only while the candidate is at 0 %",
    example: "slotshift:rollout.strategy is blue-green but the previous update left green at 5 % under canary; change the strategy at 0 % only: ...",
    moves: MOVES_FROM_A_STATE,
    check: ({ previous: P, cfg, previousWeight }) => {
        if (P!.strategy === cfg.rollout.strategy || previousWeight === 0) {
            return undefined;
        }
        return refusal(
            "rollout.strategy",
            `slotshift:rollout.strategy is ${cfg.rollout.strategy} but the previous update left ${otherSlot(P!.live)} at ${pct(previousWeight)} under ${P!.strategy}; ` +
                `change the strategy at 0 % only: roll back (slotshift:rollout.weight 0) or finish the rollout first`,
        );
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        {
            what: "blue-green while green carries 5 %",
            updates: [...stepsTo(5), weight(0, 30, { "slotshift:rollout.strategy": "blue-green", "slotshift:rollout.steps": [100] })],
            refused: "slotshift:rollout.strategy",
            says: "left green at 5 % under canary",
        },
        { what: "blue-green while green is staged at 0 %", updates: [stage(), weight(0, 5, { "slotshift:rollout.strategy": "blue-green", "slotshift:rollout.steps": [100] })], transition: "unchanged" },
    ],
    // Stryker restore all
};
