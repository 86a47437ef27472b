import { isRunning } from "../state";
import { Rule, refusal } from "./rule";
import { finalize, stepsTo } from "./walks";

export const finalizeKeepsTheOldSlotWarm: Rule = {
    id: "finalize-keeps-the-old-slot-warm",
    sentence: "a finalize keeps the old live slot as it is, running, so that it stays warm for a rollback",
    example: "slotshift:slots.blue changes while finalizing; keep blue at 1.0.0, running, ...",
    moves: ["finalize"],
    check: ({ cfg, candidate, previous: P }) =>
        isRunning(cfg, candidate)
            ? undefined
            : refusal(
                  `slots.${candidate}`,
                  `slotshift:slots.${candidate} changes while finalizing; keep ${candidate} at ${P!.versions[candidate]}, running, so it stays warm for a rollback; change it in a later update`,
              ),
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "blue decommissioned in the finalize", updates: [...stepsTo(100), finalize(50, { "slotshift:slots.blue.decommissioned": true })], refused: "slotshift:slots.blue" },
        { what: "blue kept running", updates: [...stepsTo(100), finalize(50)], transition: "finalize" },
    ],
    // Stryker restore all
};
