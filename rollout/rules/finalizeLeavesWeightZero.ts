import { Rule, refusal } from "./rule";
import { finalize, stepsTo, weight } from "./walks";

export const finalizeLeavesWeightZero: Rule = {
    id: "finalize-leaves-weight-zero",
    sentence: "a finalize, and a rollback after finalize, set the weight back to 0: the new live slot carries all traffic",
    example: "slotshift:rollout.weight is 100 but finalizing (slotshift:rollout.live blue -> green) sets it back to 0: ...",
    moves: ["finalize", "rollback-after-finalize"],
    check: ({ kind, weight: w, previous: P, live }) => {
        if (w === 0) {
            return undefined;
        }
        return kind === "finalize"
            ? refusal("rollout.weight", `slotshift:rollout.weight is ${w} but finalizing (slotshift:rollout.live ${P!.live} -> ${live}) sets it back to 0: ${live} carries all traffic as live`)
            : refusal("rollout.weight", `slotshift:rollout.weight is ${w} but a rollback to the warm slot ${live} sets it to 0`);
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "a finalize that keeps weight 100", updates: [...stepsTo(100), finalize(50, { "slotshift:rollout.weight": 100 })], refused: "slotshift:rollout.weight", says: "sets it back to 0" },
        {
            what: "a rollback after finalize at 5 %",
            updates: [...stepsTo(100), finalize(50), weight(5, 55, { "slotshift:rollout.live": "blue" })],
            refused: "slotshift:rollout.weight",
            says: "a rollback to the warm slot blue sets it to 0",
        },
        { what: "a finalize at 0", updates: [...stepsTo(100), finalize(50)], transition: "finalize" },
    ],
    // Stryker restore all
};
