/**
 * `slotshift:analysis`: how `slotshift analyze` judges a step from the candidate's telemetry. The
 * signals and their thresholds are the alert rules' rollback triggers (`slotshift:alerts`,
 * rollout/alerts.ts); these keys say how much evidence a verdict needs, how much worse than the
 * live slot the candidate may be, how often a watch looks, and how long a step may stay undecided.
 */
import { z } from "zod";
import { intIn, numberIn } from "./fields";

const interval = () => intIn(5, 600, "seconds from 5 to 600 between two analyses");

const ratio = (what: string) => numberIn(1, 100, `a ratio from 1 to 100: the candidate fails when its ${what} is above the live slot's times this`);

export function analysisSchema() {
    return z
        .strictObject({
            /**
             * Requests the candidate must have answered since the step before its error rate and p99
             * are judged (the live slot's too, for the comparison); fewer is inconclusive, never a pass.
             * At 100, one failed request is a 1 % error rate: at the rollback threshold ("Error rate > 1%",
             * docs/RELEASE-PROCESS.md §5), not above it.
             */
            minRequests: intIn(1, 1000000, "a whole number of requests from 1 to 1000000").default(100),
            /**
             * Seconds between two analyses of `slotshift analyze --watch`: `canary` at the first step
             * of `slotshift:rollout.steps` (prod's 5 %, staging's only step), `gradual` at every later one
             * (every 10 seconds in the canary phase, every 30 in the gradual phase: docs/RELEASE-PROCESS.md §5).
             */
            intervalSeconds: z.strictObject({ canary: interval().default(10), gradual: interval().default(30) }).prefault({}),
            /** The candidate fails when its error rate is above the live slot's times this (from the warning rate up). */
            maxErrorRateRatio: ratio("error rate").default(2),
            /** The candidate fails when its p99 latency is above the live slot's times this. */
            maxLatencyRatio: ratio("p99 latency").default(1.5),
            /**
             * Minutes from the step, at least its hold (`minStepMinutes`), within which a watch must reach
             * a pass: a step still inconclusive then is rolled back by the pipeline. The gate step's
             * 40-minute timeout also bounds the watch (the job keeps time for the rollback).
             */
            progressDeadlineMinutes: intIn(1, 30, "minutes from 1 to 30 (the step job's timeout also holds the updates)").default(15),
        })
        .prefault({});
}
