import { Rule, refusal } from "./rule";
import { at, stage, weight } from "./walks";

export const stepsChangeWithoutAStep: Rule = {
    id: "steps-change-without-a-step",
    sentence: "`steps` and `strategy` change only in an update that moves no traffic forward",
    example: "slotshift:rollout.weight is 10 in the same update that changes slotshift:rollout.steps or strategy ...",
    moves: ["step", "jump"],
    check: ({ shapeChanged, weight: w, previous: P }) =>
        shapeChanged
            ? refusal(
                  "rollout.weight",
                  `slotshift:rollout.weight is ${w} in the same update that changes slotshift:rollout.steps or strategy (the previous update ran ${P!.strategy} over ${P!.steps.join(", ")}); ` +
                      `change them in an update that moves no traffic, then step`,
              )
            : undefined,
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "new steps and their first step at once", updates: [stage(), weight(10, 10, { "slotshift:rollout.steps": [10, 50, 100] })], refused: "slotshift:rollout.weight", says: "ran canary over 5, 25, 50, 100" },
        { what: "new steps, then their first step", updates: [stage(), at(5, { "slotshift:rollout.steps": [10, 50, 100] }), weight(10, 10)], transition: "step" },
    ],
    // Stryker restore all
};
