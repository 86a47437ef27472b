/**
 * `slotshift:capacity`: how many pods each slot runs while a release is in flight, and where they go.
 *
 * - `canaryScale`: `proportional` sizes a canary's candidate to its share of traffic (plus
 *   `headroomPercent`, at least 1 pod, the full `app.replicas` at the last step), scaled up in the
 *   same update before its share rises (the router waits for its Deployment); `full` runs
 *   `app.replicas` from the stage on. Blue-green always runs full: its switch is all at once.
 *   The live slot runs full until the finalize, and the warm slot stays full until it is decommissioned.
 * - `spread`: topology spread of each slot's pods over zones and nodes: `soft` (ScheduleAnyway) or
 *   `hard` (DoNotSchedule).
 * - `slotsApart`: the two slots' pods kept off each other's nodes: `soft` (preferred), `hard`
 *   (required), or `off`.
 */
import { z } from "zod";
import { intIn, oneOf } from "./fields";

export const CANARY_SCALES = ["proportional", "full"] as const;
export type CanaryScale = (typeof CANARY_SCALES)[number];

export function capacitySchema() {
    return z
        .strictObject({
            canaryScale: oneOf(CANARY_SCALES).default("proportional"),
            /** Pods above the share of traffic, in percent of that share: 25 runs 1.25 times the pods the share needs. */
            headroomPercent: intIn(0, 200, "a whole percentage from 0 to 200").default(25),
            spread: oneOf(["soft", "hard"] as const).default("soft"),
            slotsApart: oneOf(["soft", "hard", "off"] as const).default("soft"),
        })
        .prefault({});
}
