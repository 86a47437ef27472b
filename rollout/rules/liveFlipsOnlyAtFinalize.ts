import { pct } from "../move";
import { Rule, refusal } from "./rule";
import { at, finalize, stage, stepsTo, weight } from "./walks";

export const liveFlipsOnlyAtFinalize: Rule = {
    id: "live-flips-only-at-finalize",
    sentence: "`live` flips only at 100 % (finalize), or back to the warm slot",
    example: "slotshift:rollout.live is green but the previous update left green at 50 %; live flips only when the candidate is at 100 % (finalize); ...",
    moves: ["flip"],
    check: ({ previous: P, live, direct }) => {
        if (direct) {
            return refusal("rollout.live", `slotshift:rollout.live is ${live} but strategy direct updates ${P!.live} in place; keep slotshift:rollout.live at ${P!.live}`);
        }
        const back = P!.warm === null ? "" : ` or back to ${P!.warm} while it is warm and unchanged (a rollback after finalize)`;
        return refusal(
            "rollout.live",
            `slotshift:rollout.live is ${live} but the previous update left ${live} at ${pct(P!.weights[live])}; ` +
                `live flips only when the candidate is at 100 % (finalize)${back}; keep slotshift:rollout.live at ${P!.live}`,
        );
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "green made live at 50 %", updates: [...stepsTo(50), finalize(40)], refused: "slotshift:rollout.live", says: "left green at 50 %" },
        {
            what: "a live flip in dev",
            stack: "dev",
            updates: [stage(), finalize(5, { "slotshift:slots.green": { version: "1.0.0", gitSha: "abcdef1" } })],
            refused: "slotshift:rollout.live",
            says: "strategy direct updates blue in place",
        },
        {
            what: "back to blue once it is no longer warm",
            updates: [...stepsTo(100), finalize(50), at(90, { "slotshift:slots.blue.decommissioned": true }), weight(0, 95, { "slotshift:rollout.live": "blue", "slotshift:slots.blue.decommissioned": false })],
            refused: "slotshift:rollout.live",
        },
        {
            what: "back to the warm slot in the same update that switches to strategy direct",
            stack: "staging",
            updates: [weight(0, 0), weight(100, 5), finalize(10), weight(0, 15, { "slotshift:rollout.live": "blue", "slotshift:rollout.strategy": "direct" })],
            refused: "slotshift:rollout.live",
            says: "slotshift:rollout.live is blue but strategy direct updates green in place",
        },
        {
            what: "back to blue after the finalize with a new build in it",
            updates: [...stepsTo(100), finalize(50), weight(0, 55, { "slotshift:rollout.live": "blue", "slotshift:slots.blue": { version: "1.0.1", gitSha: "0c0ffee" } })],
            refused: "slotshift:rollout.live",
            says: "live flips only when the candidate is at 100 % (finalize) or back to blue while it is warm and unchanged (a rollback after finalize); keep slotshift:rollout.live at green",
        },
        { what: "green made live at 100 % (finalize)", updates: [...stepsTo(100), finalize(50)], transition: "finalize" },
        { what: "back to the warm blue after a finalize", updates: [...stepsTo(100), finalize(50), weight(0, 55, { "slotshift:rollout.live": "blue" })], transition: "rollback-after-finalize" },
    ],
    // Stryker restore all
};
