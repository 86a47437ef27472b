import { legalAfter, pct } from "../move";
import { Rule, refusal } from "./rule";
import { stage, stepsTo, weight } from "./walks";

export const oneStepAtATime: Rule = {
    id: "one-step-at-a-time",
    sentence: "forward one step at a time (`force: true` to jump)",
    example: "slotshift:rollout.weight is 50 but the previous update left green at 5 %; the next step is 25, or 0 to roll back; set slotshift:rollout.force to jump",
    moves: ["jump"],
    check: ({ cfg, weight: w, previousWeight, candidate }) =>
        cfg.rollout.force
            ? undefined
            : refusal(
                  "rollout.weight",
                  `slotshift:rollout.weight is ${w} but the previous update left ${candidate} at ${pct(previousWeight)}; ${legalAfter(previousWeight, cfg.rollout.steps)}; set slotshift:rollout.force to jump`,
              ),
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "50 % from 5 %", updates: [...stepsTo(5), weight(50, 30)], refused: "slotshift:rollout.weight", says: "the next step is 25, or 0 to roll back" },
        { what: "100 % from 25 %", updates: [...stepsTo(25), weight(100, 30)], refused: "slotshift:rollout.weight", says: "the next step is 50, or a lower step (5), or 0 to roll back" },
        { what: "25 % from staged", updates: [stage(), weight(25, 10)], refused: "slotshift:rollout.weight", says: "the next step is 5;" },
        { what: "50 % from 5 % with force", updates: [...stepsTo(5), weight(50, 30, { "slotshift:rollout.force": true })], transition: "jump" },
        { what: "the next step", updates: [...stepsTo(5), weight(25, 30)], transition: "step" },
    ],
    // Stryker restore all
};
