import { minutesBetween, pct } from "../move";
import { Rule, refusal } from "./rule";
import { at, stage, weight } from "./walks";

/** The time an output records when it knows none (rollout/state.ts impliedState): no age is known then. */
const UNKNOWN_TIME = "1970-01-01T00:00:00.000Z";

export const staleStep: Rule = {
    id: "stale-step",
    sentence:
        "a step still carrying traffic after `promotion.staleAfterHours` is stale: the next step is refused until the release is looked at again (roll back and `slotshift retry`, or `force` for one update)",
    example:
        "slotshift:rollout.weight is 25 but green has carried 5 % since ... (25 hours), longer than slotshift:promotion.staleAfterHours (24): ...",
    moves: ["step", "jump"],
    check: ({ cfg, ctx, previous: P, previousWeight, weight: w, candidate }) => {
        const limit = cfg.promotion.staleAfterHours;
        if (limit === undefined || previousWeight === 0 || cfg.rollout.force || P!.stepTakenAt === UNKNOWN_TIME) {
            return undefined;
        }
        const minutes = minutesBetween(P!.stepTakenAt, ctx.now);
        if (minutes < limit * 60) {
            return undefined;
        }
        return refusal(
            "rollout.weight",
            `slotshift:rollout.weight is ${w} but ${candidate} has carried ${pct(previousWeight)} since ${P!.stepTakenAt} (${Math.floor(minutes / 60)} hours), longer than slotshift:promotion.staleAfterHours (${limit}): ` +
                `a release left half-way is looked at again: roll back with 0 and step it again with slotshift retry, or set slotshift:rollout.force for this one update`,
        );
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        {
            what: "25 % a day and an hour after 5 %, stale after 24 hours",
            updates: [at(0, { "slotshift:promotion.staleAfterHours": 24 }), weight(5, 10), weight(25, 10 + 25 * 60)],
            refused: "slotshift:rollout.weight",
            says: "green has carried 5 % since 2026-11-26T10:10:00.000Z (25 hours), longer than slotshift:promotion.staleAfterHours (24)",
        },
        { what: "25 % 23 hours after 5 %", updates: [at(0, { "slotshift:promotion.staleAfterHours": 24 }), weight(5, 10), weight(25, 10 + 23 * 60)], transition: "step" },
        { what: "5 % from a build staged for days", updates: [at(0, { "slotshift:promotion.staleAfterHours": 24 }), weight(5, 5 * 24 * 60)], transition: "step" },
        { what: "a rollback of a stale step", updates: [at(0, { "slotshift:promotion.staleAfterHours": 24 }), weight(5, 10), weight(0, 3 * 24 * 60)], transition: "rollback" },
        { what: "a stale step forced", updates: [stage(), weight(5, 10), weight(25, 3 * 24 * 60, { "slotshift:promotion.staleAfterHours": 24, "slotshift:rollout.force": true })], transition: "step" },
    ],
    // Stryker restore all
};
