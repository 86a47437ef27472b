import { Rule, refusal } from "./rule";
import { compareVersions } from "../versions";
import { SAME_LIVE_MOVES, versionOf } from "../move";
import { at, stage } from "./walks";

export const candidateNewerThanLive: Rule = {
    id: "candidate-newer-than-live",
    sentence: "the candidate is newer than live (`allowDowngrade: true` otherwise)",
    example: 'slotshift:slots.green.version is "0.9.0", not newer than 1.0.0 on the live slot blue; ...',
    moves: ["first-deploy", ...SAME_LIVE_MOVES],
    check: ({ cfg, candidate: cand, live, newBuild, weight: w }) => {
        // Judged when the candidate's build is deployed and whenever it carries traffic: never in place
        // (no new build, weight 0), and the candidate then has a version (rollout/move.ts; the schema
        // refuses traffic to an empty slot), as the live slot always does (the schema).
        if (!(newBuild || w > 0) || cfg.rollout.allowDowngrade) {
            return undefined;
        }
        const candVersion = versionOf(cfg, cand)!;
        const liveVersion = versionOf(cfg, live)!;
        if (compareVersions(candVersion, liveVersion) > 0) {
            return undefined;
        }
        return refusal(
            `slots.${cand}.version`,
            `slotshift:slots.${cand}.version is ${JSON.stringify(candVersion)}, not newer than ${liveVersion} on the live slot ${live}; ` +
                `stage a newer version, or set slotshift:rollout.allowDowngrade to deploy an older one`,
        );
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "0.9.0 staged against 1.0.0 live", updates: [at(0, { "slotshift:slots.green": { version: "0.9.0", gitSha: "0c0ffee" } })], refused: "slotshift:slots.green.version" },
        { what: "1.0.0 staged against 1.0.0 live", updates: [stage(), at(5, { "slotshift:slots.green": { version: "1.0.0", gitSha: "0c0ffee" } })], refused: "slotshift:slots.green.version", says: "not newer than 1.0.0" },
        {
            what: "0.9.0 staged with allowDowngrade",
            updates: [at(0, { "slotshift:slots.green": { version: "0.9.0", gitSha: "0c0ffee" }, "slotshift:rollout.allowDowngrade": true })],
            transition: "first-deploy",
        },
        { what: "1.1.0 staged against 1.0.0 live", updates: [stage()], transition: "first-deploy" },
    ],
    // Stryker restore all
};
