/** `slotshift:rollout`: the strategy, its steps, which slot is live and the candidate's weight, and the holds. */
import { z } from "zod";
import { bool, intIn, isoDate, oneOf } from "./fields";
import { EnvironmentDefaults, SLOT_COLOURS, STRATEGIES } from "./kinds";

const STEPS = "a list of whole percentages ending at 100, e.g. [5, 25, 50, 100]";

export function rolloutSchema(d: EnvironmentDefaults) {
    return z
        .strictObject({
            strategy: oneOf(STRATEGIES).default(d.strategy),
            steps: z
                .array(intIn(1, 100, "whole percentages from 1 to 100"), { error: STEPS })
                .min(1, { error: STEPS })
                .max(10, { error: "at most 10 steps" })
                .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]), { error: "steps that rise strictly, e.g. [5, 25, 50, 100]" })
                .refine((s) => s[s.length - 1] === 100, { error: "steps whose last is 100, e.g. [5, 25, 50, 100]" })
                .default([...d.steps]),
            live: oneOf(SLOT_COLOURS).default("blue"),
            weight: intIn(0, 100, "0 or one of slotshift:rollout.steps").default(0),
            force: bool().default(false),
            /**
             * Steps a build a rollback took traffic from again: the time of that rollback, as the
             * `rollout` output's `aborted.at` records it (`slotshift retry` writes it). Any other value
             * allows nothing, so a retry left in the file never applies to a later rollback.
             */
            retry: isoDate.optional(),
            allowDowngrade: bool().default(false),
            minStepMinutes: intIn(0, 1440).default(d.minStepMinutes),
            /** Minutes the previous live slot stays warm after a finalize before it may be decommissioned (30 in staging and prod: docs/RELEASE-PROCESS.md §4). */
            warmMinutes: intIn(0, 1440).default(d.warmMinutes),
        })
        .prefault({});
}
