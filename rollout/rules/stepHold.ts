import { minutesBetween, minutesLeft, pct, plus } from "../move";
import { Rule, refusal } from "./rule";
import { stage, weight } from "./walks";

export const stepHold: Rule = {
    id: "step-hold",
    sentence:
        "`minStepMinutes` between canary steps (`force` overrides); the hold is recorded when the step is taken, so editing it in the same update does not shorten it",
    example:
        "... green has carried 5 % for 2 minute(s) ...; the step holds until ... (slotshift:rollout.minStepMinutes): wait 3 more, roll back with 0, or set slotshift:rollout.force",
    moves: ["step", "jump"],
    check: ({ previous: P, previousWeight, cfg, ctx, weight: w, candidate }) => {
        const r = cfg.rollout;
        if (previousWeight === 0 || r.force) {
            return undefined;
        }
        // The hold as it was when the previous step was taken.
        const left = minutesLeft(P!.nextMoveAt ?? plus(new Date(P!.stepTakenAt), r.minStepMinutes), ctx.now);
        if (left === 0) {
            return undefined;
        }
        const age = Math.max(minutesBetween(P!.stepTakenAt, ctx.now), 0);
        return refusal(
            "rollout.weight",
            `slotshift:rollout.weight is ${w} but ${candidate} has carried ${pct(previousWeight)} for ${age} minute(s) (since ${P!.stepTakenAt}); ` +
                `the step holds until ${P!.nextMoveAt ?? "its minStepMinutes pass"} (slotshift:rollout.minStepMinutes): wait ${left} more, roll back with 0, or set slotshift:rollout.force`,
        );
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "25 % two minutes after 5 %", updates: [stage(), weight(5, 10), weight(25, 12)], refused: "slotshift:rollout.weight", says: "for 2 minute(s)" },
        {
            what: "25 % two minutes after 5 %, the hold edited down in the same update",
            updates: [stage(), weight(5, 10), weight(25, 12, { "slotshift:rollout.minStepMinutes": 1 })],
            refused: "slotshift:rollout.weight",
            says: "wait 3 more",
        },
        {
            what: "25 % two minutes after 5 %, after an output that records no hold",
            updates: [stage(), weight(5, 10), weight(25, 12)],
            olderOutput: ["nextMoveAt"],
            refused: "slotshift:rollout.weight",
            says: "the step holds until its minStepMinutes pass (slotshift:rollout.minStepMinutes): wait 3 more",
        },
        { what: "25 % five minutes after 5 %", updates: [stage(), weight(5, 10), weight(25, 15)], transition: "step" },
        { what: "25 % two minutes after 5 %, with force", updates: [stage(), weight(5, 10), weight(25, 12, { "slotshift:rollout.force": true })], transition: "step" },
        { what: "5 % right after staging (no hold at 0 %)", updates: [stage(), weight(5, 0)], transition: "step" },
    ],
    // Stryker restore all
};
