import { SlotColour } from "../config";
import { SLOT_COLOURS } from "../config";
import { Move, versionOf } from "../move";
import { isRunning } from "../state";
import { compareVersions } from "../versions";
import { Rule, refusal } from "./rule";
import { at, finalize, stepsTo } from "./walks";

/** What a slot is to the traffic after this update, in words. */
function role(m: Move, c: SlotColour): string {
    if (c === m.live) {
        return "live";
    }
    const P = m.previous;
    if (P !== undefined && P.warm === c && !m.candidateChanged && m.weight === 0) {
        return `the warm slot, kept for an instant rollback${P.warmUntil === null ? "" : ` until ${P.warmUntil}`}`;
    }
    return m.weight > 0 ? `the candidate, at ${m.weight} %` : "the candidate, at 0 %, a step away from traffic";
}

const CONTRACT = { databaseSecret: { name: "nextgen-market-db" }, contract: { command: ["node", "migrate.js", "contract"], requires: "1.1.0" } };

export const contractAfterEverySlot: Rule = {
    id: "contract-after-every-slot",
    sentence:
        "a contract migration (`migrations.contract`) is declared only while no slot that can take traffic (live, candidate, or the warm slot) runs a version older than its `requires`, nor ran one in the previous update (its pods may still be stopping), and no such slot may be deployed while it is",
    example:
        "slotshift:migrations.contract.requires is 1.1.0 but blue (the warm slot, kept for an instant rollback until ...) runs 1.0.0, which the contract would break; ...",
    moves: ["first-deploy", "unchanged", "stage", "step", "jump", "step-back", "rollback", "decommission", "finalize", "rollback-after-finalize", "update-in-place"],
    check: (m) => {
        const requires = m.cfg.migrations?.contract?.requires;
        if (requires === undefined) {
            return undefined;
        }
        const colours: SlotColour[] = m.direct ? [m.live] : [m.live, m.candidate];
        // A slot the previous update ran, older than required, still has pods (terminating ones too, which
        // a Deployment scaled to 0 does not wait for) while this update runs: the contract waits for the
        // next update, once its scale-down has been applied.
        const P = m.previous;
        for (const c of SLOT_COLOURS) {
            const before = P?.versions[c] ?? null;
            if (P !== undefined && P.replicas[c] > 0 && before !== null && compareVersions(before, requires) < 0 && !isRunning(m.cfg, c)) {
                return refusal(
                    "migrations.contract.requires",
                    `slotshift:migrations.contract.requires is ${requires} but ${c} ran ${before} in the previous update, and its pods may still be stopping while this one runs; ` +
                        `apply the scale-down first (pulumi up without the contract), then declare the contract`,
                );
            }
        }
        for (const c of colours) {
            const v = versionOf(m.cfg, c);
            if (v === null || !isRunning(m.cfg, c) || compareVersions(v, requires) >= 0) {
                continue;
            }
            const way =
                c === m.live
                    ? `finish the release of ${requires} or later first`
                    : `scale it down once it may be (slotshift decommission), or stage ${requires} or later in it`;
            return refusal(
                "migrations.contract.requires",
                `slotshift:migrations.contract.requires is ${requires} but ${c} (${role(m, c)}) runs ${v}, which the contract would break; ` +
                    `${way}; then declare the contract (or remove slotshift:migrations.contract until then)`,
            );
        }
        return undefined;
    },
    // Stryker disable all: the cases are data the specs run, not behaviour to mutate.
    cases: [
        {
            what: "a contract requiring 1.1.0 while 1.0.0 is live",
            updates: [at(0, { "slotshift:migrations": CONTRACT })],
            refused: "slotshift:migrations.contract.requires",
            says: "but blue (live) runs 1.0.0, which the contract would break; finish the release of 1.1.0 or later first; then declare the contract (or remove slotshift:migrations.contract until then)",
        },
        {
            what: "a contract requiring 1.1.0 right after the finalize, 1.0.0 warm",
            updates: [...stepsTo(100), finalize(50), at(60, { "slotshift:migrations": CONTRACT })],
            refused: "slotshift:migrations.contract.requires",
            says: "blue (the warm slot, kept for an instant rollback until 2026-11-26T11:20:00.000Z) runs 1.0.0, which the contract would break; scale it down once it may be (slotshift decommission), or stage 1.1.0 or later in it",
        },
        {
            what: "1.0.0 restaged in the old slot while a contract requires 1.1.0",
            updates: [
                ...stepsTo(100),
                finalize(50),
                at(80, { "slotshift:slots.blue.decommissioned": true }),
                at(85, { "slotshift:migrations": CONTRACT }),
                at(90, { "slotshift:slots.blue.decommissioned": false, "slotshift:rollout.allowDowngrade": true }),
            ],
            refused: "slotshift:migrations.contract.requires",
            says: "blue (the candidate, at 0 %, a step away from traffic) runs 1.0.0",
        },
        {
            what: "a contract requiring 1.1.0 declared with the decommission of the warm 1.0.0, whose pods may still be stopping",
            updates: [...stepsTo(100), finalize(50), at(80, { "slotshift:slots.blue.decommissioned": true, "slotshift:migrations": CONTRACT })],
            refused: "slotshift:migrations.contract.requires",
            says: "but blue ran 1.0.0 in the previous update",
        },
        {
            what: "a contract requiring 1.1.0 in the update after the warm 1.0.0's decommission",
            updates: [...stepsTo(100), finalize(50), at(80, { "slotshift:slots.blue.decommissioned": true }), at(85, { "slotshift:migrations": CONTRACT })],
            transition: "unchanged",
        },
        {
            what: "a contract requiring 1.2.0 in dev, which runs 1.2.0-alpha.3 in place",
            stack: "dev",
            updates: [at(0, { "slotshift:migrations": { ...CONTRACT, contract: { ...CONTRACT.contract, requires: "1.2.0" } } })],
            refused: "slotshift:migrations.contract.requires",
            says: "but blue (live) runs 1.2.0-alpha.3+build.140",
        },
        { what: "a contract requiring what every running slot has", updates: [at(0, { "slotshift:migrations": { ...CONTRACT, contract: { ...CONTRACT.contract, requires: "1.0.0" } } })], transition: "first-deploy" },
    ],
    // Stryker restore all
};
