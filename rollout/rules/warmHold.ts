import { SAME_LIVE_MOVES, minutesBetween, minutesLeft, plus } from "../move";
import { isRunning } from "../state";
import { Rule, refusal } from "./rule";
import { at, finalize, stepsTo, weight } from "./walks";

export const warmHold: Rule = {
    id: "warm-hold",
    sentence: "`warmMinutes` before the previous live slot is decommissioned or restaged (recorded at the finalize)",
    example: "... blue, which has been warm for 12 minute(s) since the finalize ...: keep it 18 more minute(s) ...",
    // In place too: strategy direct runs the live slot alone, so it would scale the warm slot down.
    moves: [...SAME_LIVE_MOVES, "update-in-place"],
    check: ({ direct, candidateWasWarm, candidateChanged, cfg, candidate: cand, previous: P, ctx }) => {
        if (!candidateWasWarm || cfg.rollout.force || (!candidateChanged && isRunning(cfg, cand))) {
            return undefined;
        }
        const until = P!.warmUntil ?? (P!.finalizedAt === null ? null : plus(new Date(P!.finalizedAt), cfg.rollout.warmMinutes));
        const left = minutesLeft(until, ctx.now);
        if (left === 0) {
            return undefined;
        }
        const age = P!.finalizedAt === null ? 0 : Math.max(minutesBetween(P!.finalizedAt, ctx.now), 0);
        const [path, what] = direct
            ? ["rollout.strategy", `slotshift:rollout.strategy is direct, which runs the live slot alone and scales ${cand} down`]
            : candidateChanged
              ? [`slots.${cand}.version`, `slotshift:slots.${cand}.version changes ${cand}`]
              : [`slots.${cand}.decommissioned`, `slotshift:slots.${cand}.decommissioned changes ${cand}`];
        return refusal(
            path,
            `${what}, which has been warm for ${age} minute(s) since the finalize at ${P!.finalizedAt}; ` +
                `it stays as it is until ${until} (slotshift:rollout.warmMinutes): keep it ${left} more minute(s) for an instant rollback, or set slotshift:rollout.force`,
        );
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "blue decommissioned 12 minutes after the finalize", updates: [...stepsTo(100), finalize(50), at(62, { "slotshift:slots.blue.decommissioned": true })], refused: "slotshift:slots.blue.decommissioned", says: "keep it 18 more minute(s)" },
        {
            what: "the next release staged into blue 10 minutes after the finalize",
            updates: [...stepsTo(100), finalize(50), at(60, { "slotshift:slots.blue": { version: "1.2.0", gitSha: "0c0ffee" } })],
            refused: "slotshift:slots.blue.version",
        },
        {
            what: "blue decommissioned 12 minutes after the finalize, after an output that records no warm hold",
            updates: [...stepsTo(100), finalize(50), at(62, { "slotshift:slots.blue.decommissioned": true })],
            olderOutput: ["warmUntil"],
            refused: "slotshift:slots.blue.decommissioned",
            says: "warm for 12 minute(s) since the finalize at 2026-11-26T10:50:00.000Z; it stays as it is until 2026-11-26T11:20:00.000Z",
        },
        {
            what: "blue decommissioned after an output that records neither the finalize's time nor the hold (none to keep)",
            updates: [...stepsTo(100), finalize(50), at(62, { "slotshift:slots.blue.decommissioned": true })],
            olderOutput: ["warmUntil", "finalizedAt"],
            transition: "decommission",
        },
        {
            what: "strategy direct 10 minutes after a staging switch's finalize (it would scale the warm slot down)",
            stack: "staging",
            updates: [weight(0, 0), weight(100, 5), finalize(10), at(20, { "slotshift:rollout.strategy": "direct" })],
            refused: "slotshift:rollout.strategy",
            says: "slotshift:rollout.strategy is direct, which runs the live slot alone and scales blue down, which has been warm for 10 minute(s)",
        },
        {
            what: "strategy direct once the staging switch's warm hold is over",
            stack: "staging",
            updates: [weight(0, 0), weight(100, 5), finalize(10), at(40, { "slotshift:rollout.strategy": "direct" })],
            transition: "unchanged",
        },
        { what: "blue decommissioned 30 minutes after the finalize", updates: [...stepsTo(100), finalize(50), at(80, { "slotshift:slots.blue.decommissioned": true })], transition: "decommission" },
        { what: "blue decommissioned early, with force", updates: [...stepsTo(100), finalize(50), at(55, { "slotshift:slots.blue.decommissioned": true, "slotshift:rollout.force": true })], transition: "decommission" },
    ],
    // Stryker restore all
};
