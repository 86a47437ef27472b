import { versionOf } from "../move";
import { Rule, refusal } from "./rule";
import { at, sourceDigest, stage } from "./walks";

export const promotionFromTheSource: Rule = {
    id: "promotion-from-the-source",
    sentence: "prod takes only what staging has live, with its digest (`promotion.from`)",
    example: 'slotshift:slots.green.version is "1.1.0" but staging has 1.2.0 live; ...',
    moves: ["first-deploy", "stage"],
    check: ({ newBuild, cfg, candidate: cand, ctx }) => {
        const from = cfg.promotion.from;
        // A new build is never deployed in place, and always has a version (rollout/move.ts).
        if (!newBuild || from === undefined) {
            return undefined;
        }
        const candVersion = versionOf(cfg, cand)!;
        const src = ctx.promotionSource;
        if (src === undefined) {
            return refusal(
                "promotion.from",
                `slotshift:promotion.from is ${JSON.stringify(from)} but that stack has no rollout output to promote from (never updated, or not readable); deploy ${candVersion} there first`,
            );
        }
        const srcVersion = src.versions[src.live];
        const srcDigest = src.digests[src.live];
        if (srcVersion !== candVersion) {
            return refusal(
                `slots.${cand}.version`,
                `slotshift:slots.${cand}.version is ${JSON.stringify(candVersion)} but ${from} has ${srcVersion ?? "nothing"} live; ` +
                    `this stack only takes what ${from} has live: promote ${srcVersion ?? "a version"} or finish the release in ${from} first`,
            );
        }
        if (srcDigest === null && ctx.digestsKnown !== false) {
            return refusal("promotion.from", `slotshift:promotion.from is ${JSON.stringify(from)} but ${from} reports no digest for its live slot ${src.live}`);
        }
        const given = cfg.slots[cand].digest;
        if (given !== undefined && srcDigest !== null && given !== srcDigest) {
            return refusal(
                `slots.${cand}.digest`,
                `slotshift:slots.${cand}.digest is ${given} but ${from} runs ${candVersion} as ${srcDigest}; promote the artifact, never another build: remove the digest or use ${srcDigest}`,
            );
        }
        return undefined;
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "1.1.0 while staging has 1.2.0 live", updates: [stage()], source: "1.2.0", refused: "slotshift:slots.green.version", says: "staging has 1.2.0 live" },
        { what: "a source never updated", updates: [stage()], source: null, refused: "slotshift:promotion.from", says: "no rollout output to promote from" },
        { what: "another digest than staging's", updates: [at(0, { "slotshift:slots.green.digest": `sha256:${"9".repeat(64)}` })], refused: "slotshift:slots.green.digest", says: "promote the artifact, never another build" },
        { what: "a source that reports no digest", updates: [stage()], sourceWithoutDigest: true, refused: "slotshift:promotion.from", says: 'slotshift:promotion.from is "staging" but staging reports no digest for its live slot blue' },
        { what: "a restage that staging does not run", updates: [stage(), at(5, { "slotshift:slots.green": { version: "1.1.1", gitSha: "0c0ffee" } })], source: "1.1.0", refused: "slotshift:slots.green.version", says: "promote 1.1.0 or finish the release in staging first" },
        { what: "what staging has live", updates: [stage()], transition: "first-deploy" },
        { what: "a first deploy with no candidate, which promotes nothing", updates: [at(0, { "slotshift:slots.green": {} })], source: null, transition: "first-deploy" },
        {
            what: "a first deploy in place, which promotes nothing even with promotion.from",
            stack: "dev",
            updates: [at(0, { "slotshift:promotion.from": "staging", "slotshift:slots.green": { version: "1.2.0-alpha.4", gitSha: "abcdef1" } })],
            source: null,
            transition: "first-deploy",
        },
        { what: "the digest staging runs it as, given in config", updates: [at(0, { "slotshift:slots.green.digest": sourceDigest("1.1.0") })], transition: "first-deploy" },
        { what: "a step, which promotes nothing, while staging has moved on", updates: [stage(), { edits: { "slotshift:rollout.weight": 5 }, at: 10, source: "1.2.0" }], transition: "step" },
    ],
    // Stryker restore all
};
