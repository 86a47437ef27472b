import { SAME_LIVE_MOVES, versionOf } from "../move";
import { buildDifference, buildOf } from "../state";
import { Rule, refusal } from "./rule";
import { at, stage, weight } from "./walks";

export const stagedBeforeTraffic: Rule = {
    id: "staged-before-traffic",
    sentence: "traffic only to the build the previous update deployed at 0 % (a new git sha or digest is a new candidate)",
    example: "slotshift:rollout.weight is 5 but this stack has no previous update, so green has not been staged; deploy it at 0 first ...",
    moves: ["first-deploy", ...SAME_LIVE_MOVES],
    check: ({ previous: P, cfg, weight: w, candidate: cand, candidateChanged, direct }) => {
        if (w === 0 || direct) {
            return undefined;
        }
        const r = cfg.rollout;
        if (P === undefined) {
            return refusal(
                "rollout.weight",
                `slotshift:rollout.weight is ${w} but this stack has no previous update, so ${cand} has not been staged; ` +
                    `deploy it at 0 first (set slotshift:rollout.weight to 0), then ${r.steps[0]}`,
            );
        }
        if (candidateChanged) {
            const [field, was, is] = buildDifference(P.builds[cand], buildOf(cfg, cand)) ?? ["version", P.versions[cand], versionOf(cfg, cand)];
            return refusal(
                "rollout.weight",
                `slotshift:rollout.weight is ${w} but the previous update ran ${cand} with ${field} ${was === undefined || was === null ? "none" : String(was)}, not ${String(is)}; ` +
                    `stage ${versionOf(cfg, cand) ?? "it"} at 0 first (slotshift:rollout.weight 0, pulumi up), then ${r.steps[0]}`,
            );
        }
        if (P.replicas[cand] === 0) {
            return refusal("rollout.weight", `slotshift:rollout.weight is ${w} but ${cand} ran no pods in the previous update; stage it at 0 first (slotshift:rollout.weight 0, pulumi up)`);
        }
        return undefined;
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "5 % on a first deploy", updates: [weight(5, 0)], refused: "slotshift:rollout.weight", says: "no previous update" },
        {
            what: "5 % to a build staged in the same update",
            updates: [stage(), weight(5, 10, { "slotshift:slots.green.gitSha": "0c0ffee" })],
            refused: "slotshift:rollout.weight",
            says: "with gitSha e4f5a6b, not 0c0ffee",
        },
        {
            what: "5 % to a slot that ran no pods",
            updates: [stage(), at(5, { "slotshift:slots.green.decommissioned": true }), weight(5, 10, { "slotshift:slots.green.decommissioned": false })],
            refused: "slotshift:rollout.weight",
            says: "ran no pods",
        },
        {
            what: "5 % to a slot that was empty in the previous update",
            updates: [stage(), at(5, { "slotshift:slots.green": {} }), weight(5, 10, { "slotshift:slots.green": { version: "1.1.0", gitSha: "e4f5a6b" } })],
            refused: "slotshift:rollout.weight",
            says: "the previous update ran green with version none, not 1.1.0; stage 1.1.0 at 0 first",
        },
        { what: "5 % to the staged build", updates: [stage(), weight(5, 10)], transition: "step" },
        { what: "a first deploy at 0", updates: [stage()], transition: "first-deploy" },
    ],
    // Stryker restore all
};
