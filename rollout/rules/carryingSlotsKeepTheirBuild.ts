import { SLOT_COLOURS, SlotColour } from "../config";
import { MOVES_FROM_A_STATE, Move, pct, versionOf } from "../move";
import { buildDifference, buildOf } from "../state";
import { Refusal, Rule, refusal } from "./rule";
import { at, stepsTo, weight } from "./walks";

/** What a slot that carried traffic, or is live, changed in this update: its build, its git sha, or its pods. */
function changeOf(m: Move, c: SlotColour): Refusal | undefined {
    const P = m.previous!;
    const carried = P.weights[c] > 0;
    if (!carried && c !== P.live) {
        return undefined;
    }
    const why = carried ? `${c} carried ${pct(P.weights[c])} in the previous update` : `${c} is the live slot`;
    // An output written before builds were recorded has only the version to compare.
    const diff =
        P.builds[c] === null && P.versions[c] !== null
            ? versionOf(m.cfg, c) === P.versions[c]
                ? undefined
                : (["version", P.versions[c], versionOf(m.cfg, c)] as const)
            : buildDifference(P.builds[c], buildOf(m.cfg, c));
    if (diff) {
        const [field, given, is] = diff;
        // A digest not in config was resolved when deployed: name that one.
        const was = field === "digest" && given === undefined ? P.digests[c] ?? undefined : given;
        return refusal(
            `slots.${c}.${field}`,
            `slotshift:slots.${c}.${field} is ${JSON.stringify(is ?? null)} but ${why} with ${was === undefined ? "none" : String(was)}; ` +
                `a slot keeps its build while it carries traffic or is live: move its traffic away first (slotshift:rollout.weight 0, or finalize), then change it`,
        );
    }
    const gitSha = m.cfg.slots[c].gitSha ?? null;
    if (P.gitShas[c] !== null && gitSha !== P.gitShas[c]) {
        return refusal(
            `slots.${c}.gitSha`,
            `slotshift:slots.${c}.gitSha is ${JSON.stringify(gitSha)} but ${why} built from ${P.gitShas[c]}; ` +
                `a slot keeps its build while it carries traffic: move its traffic away first, then change it`,
        );
    }
    if (m.cfg.slots[c].decommissioned && carried) {
        return refusal(
            `slots.${c}.decommissioned`,
            `slotshift:slots.${c}.decommissioned is true but ${why}; move its traffic away in one update, then decommission it in the next`,
        );
    }
    return undefined;
}

export const carryingSlotsKeepTheirBuild: Rule = {
    id: "carrying-slots-keep-their-build",
    sentence: "the live slot, and a slot that carried traffic, keep their build (version, git sha, digest, build metadata) and pods in that update",
    example: 'slotshift:slots.green.version is "1.1.1" but green carried 25 % in the previous update with 1.1.0; ...',
    moves: MOVES_FROM_A_STATE,
    // Slot by slot, blue first: each slot's build, then its git sha, then its pods.
    check: (m) => (m.direct ? undefined : SLOT_COLOURS.map((c) => changeOf(m, c)).find((r) => r !== undefined)),
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        {
            what: "a new version for the candidate at 25 %",
            updates: [...stepsTo(25), at(30, { "slotshift:slots.green": { version: "1.1.1", gitSha: "e4f5a6b" } })],
            refused: "slotshift:slots.green.version",
        },
        { what: "a new git sha for the live slot", updates: [...stepsTo(5), at(30, { "slotshift:slots.blue.gitSha": "0000000" })], refused: "slotshift:slots.blue.gitSha" },
        {
            what: "the candidate decommissioned in its rollback",
            updates: [...stepsTo(5), weight(0, 30, { "slotshift:slots.green.decommissioned": true })],
            refused: "slotshift:slots.green.decommissioned",
            says: "move its traffic away in one update, then decommission it in the next",
        },
        {
            what: "build metadata added to the candidate at 5 %",
            updates: [...stepsTo(5), at(30, { "slotshift:slots.green.branch": "main" })],
            refused: "slotshift:slots.green.branch",
            says: 'slotshift:slots.green.branch is "main" but green carried 5 % in the previous update with none;',
        },
        {
            what: "a digest given for the candidate at 5 % other than the one it was deployed with",
            updates: [...stepsTo(5), at(30, { "slotshift:slots.green.digest": `sha256:${"7".repeat(64)}` })],
            refused: "slotshift:slots.green.digest",
            says: "in the previous update with sha256:312e312e30",
        },
        {
            what: "a new version for the candidate at 25 %, after an output that records no builds",
            updates: [...stepsTo(25), at(30, { "slotshift:slots.green": { version: "1.1.1", gitSha: "e4f5a6b" } })],
            olderOutput: ["builds"],
            refused: "slotshift:slots.green.version",
            says: 'slotshift:slots.green.version is "1.1.1" but green carried 25 % in the previous update with 1.1.0;',
        },
        {
            what: "a new git sha for the candidate at 25 %, after an output that records git shas but no builds",
            updates: [...stepsTo(25), at(30, { "slotshift:slots.green.gitSha": "0c0ffee" })],
            olderOutput: ["builds"],
            refused: "slotshift:slots.green.gitSha",
            says: 'slotshift:slots.green.gitSha is "0c0ffee" but green carried 25 % in the previous update built from e4f5a6b;',
        },
        {
            what: "a new git sha for the candidate at 25 %, after an output that records neither (it cannot tell)",
            updates: [...stepsTo(25), at(30, { "slotshift:slots.green.gitSha": "0c0ffee" })],
            olderOutput: ["builds", "gitShas"],
            transition: "unchanged",
        },
        { what: "a rollback that keeps the build", updates: [...stepsTo(25), weight(0, 30)], transition: "rollback" },
        {
            what: "a new version staged once the traffic has moved away",
            updates: [...stepsTo(25), weight(0, 30), at(31, { "slotshift:slots.green": { version: "1.1.1", gitSha: "0c0ffee" } })],
            transition: "stage",
        },
    ],
    // Stryker restore all
};
