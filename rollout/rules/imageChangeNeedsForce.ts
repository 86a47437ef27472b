import { MOVES_FROM_A_STATE } from "../move";
import { Rule, refusal } from "./rule";
import { at, stage } from "./walks";

export const imageChangeNeedsForce: Rule = {
    id: "image-change-needs-force",
    sentence: "a new `app.image` repository changes every slot, the live one too: it needs `force`",
    example: 'slotshift:app.image is "ghcr.io/other/app" but the slots run from ghcr.io/nextgen-market/nextgen-market; ...',
    moves: MOVES_FROM_A_STATE,
    check: ({ previous: P, cfg }) => {
        if (P!.image === "" || P!.image === cfg.app.image || cfg.rollout.force) {
            return undefined;
        }
        return refusal(
            "app.image",
            `slotshift:app.image is ${JSON.stringify(cfg.app.image)} but the slots run from ${P!.image}; a new repository changes the image of every slot, ` +
                `the live one too: set slotshift:rollout.force for that one update`,
        );
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        { what: "another repository", updates: [stage(), at(5, { "slotshift:app.image": "ghcr.io/other/app" })], refused: "slotshift:app.image", says: "set slotshift:rollout.force for that one update" },
        { what: "another repository after an output that records none (nothing to compare)", updates: [stage(), at(5, { "slotshift:app.image": "ghcr.io/other/app" })], olderOutput: ["image"], transition: "unchanged" },
        { what: "another repository with force", updates: [stage(), at(5, { "slotshift:app.image": "ghcr.io/other/app", "slotshift:rollout.force": true })], transition: "unchanged" },
    ],
    // Stryker restore all
};
