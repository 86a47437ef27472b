import { Rule, refusal } from "./rule";
import { describeWindow, isInside, nextOpening } from "../windows";
import { at, stage, weight } from "./walks";

/** Weekdays 09:00-17:00 in Berlin: the cases' walks run on Thursday 2026-11-26 from 10:00Z (11:00 there). */
const OFFICE = [{ days: "mon-fri", start: "09:00", end: "17:00", timeZone: "Europe/Berlin" }];
/** Weekends only: closed on a Thursday; the next opens Saturday 2026-11-28 09:00 Berlin, 08:00Z. */
const WEEKEND = [{ days: ["sat", "sun"], start: "09:00", end: "17:00", timeZone: "Europe/Berlin" }];

export const raiseInsideAWindow: Rule = {
    id: "raise-inside-a-window",
    sentence:
        "a move that raises the candidate's traffic (a step, a jump, an update in place) is taken only inside a release window (`promotion.windows`, local time of an IANA zone); rollbacks, moves to 0, stages and finalizes any time; `force` overrides",
    example:
        "slotshift:rollout.weight is 5 but ... is outside every release window (slotshift:promotion.windows: sat-sun 09:00-17:00 Europe/Berlin); the next opens at 2026-11-28T08:00:00.000Z; ...",
    moves: ["step", "jump", "update-in-place"],
    check: ({ cfg, ctx, weight: w, kind }) => {
        const windows = cfg.promotion.windows;
        if (windows === undefined || cfg.rollout.force || isInside(windows, ctx.now).inside) {
            return undefined;
        }
        const open = nextOpening(windows, ctx.now).toISOString();
        const list = windows.map(describeWindow).join("; ");
        const what = kind === "update-in-place" ? "slotshift:slots" : "slotshift:rollout.weight";
        return refusal(
            kind === "update-in-place" ? `slots.${cfg.rollout.live}.version` : "rollout.weight",
            `${what}${kind === "update-in-place" ? ` (${cfg.rollout.live} updated in place)` : ` is ${w}`} but ${ctx.now.toISOString()} is outside every release window (slotshift:promotion.windows: ${list}); ` +
                `the next opens at ${open}; wait for it, roll back with 0, or set slotshift:rollout.force for this one update`,
        );
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        {
            what: "5 % on a Thursday with weekend windows",
            updates: [at(0, { "slotshift:promotion.windows": WEEKEND }), weight(5, 10)],
            refused: "slotshift:rollout.weight",
            says: "is outside every release window (slotshift:promotion.windows: sat-sun 09:00-17:00 Europe/Berlin); the next opens at 2026-11-28T08:00:00.000Z",
        },
        { what: "5 % inside office hours", updates: [at(0, { "slotshift:promotion.windows": OFFICE }), weight(5, 10)], transition: "step" },
        {
            what: "5 % at 16:10Z (17:10 in Berlin), after office hours",
            updates: [at(0, { "slotshift:promotion.windows": OFFICE }), weight(5, 370)],
            refused: "slotshift:rollout.weight",
            says: "the next opens at 2026-11-27T08:00:00.000Z",
        },
        { what: "a rollback outside every window", updates: [stage(), weight(5, 10), weight(0, 20, { "slotshift:promotion.windows": WEEKEND })], transition: "rollback" },
        { what: "a stage outside every window", updates: [at(0, { "slotshift:promotion.windows": WEEKEND })], transition: "first-deploy" },
        { what: "5 % outside every window with force", updates: [at(0, { "slotshift:promotion.windows": WEEKEND }), weight(5, 10, { "slotshift:rollout.force": true })], transition: "step" },
    ],
    // Stryker restore all
};
