/**
 * Each rule of the decision with its own cases (rollout/rules/<rule>.ts): every refused case is
 * refused by that very rule, with its key; every legal case is taken with its transition. The
 * README's rules table is the rules' own sentences and examples, and each example is a real
 * refusal of its rule.
 */
import { expect } from "chai";
import { readFileSync } from "fs";
import { join } from "path";
import { SlotshiftConfig, otherSlot, parseStackConfig } from "../rollout/config";
import { Decision, decide, firstRefusal } from "../rollout/decide";
import { ConfigError } from "../rollout/errors";
import { MOVES_FROM_A_STATE, classify } from "../rollout/move";
import { RULES, RuleCase } from "../rollout/rules";
import { sourceDigest } from "../rollout/rules/walks";
import { RolloutState, TRANSITIONS, readRolloutState } from "../rollout/state";
import { rulesTable } from "../scripts/rulesTable";
import { edited, sourceLive } from "./helpers";

const T0 = Date.parse("2026-11-26T10:00:00Z");
const digestOf = sourceDigest;

/** What the promotion source has live: the version asked for, else the candidate's own. */
function sourceOf(cfg: SlotshiftConfig, given: string | null | undefined, withoutDigest: boolean): RolloutState | undefined {
    const version = given === undefined ? cfg.slots[otherSlot(cfg.rollout.live)].version : given;
    if (version === null || version === undefined) {
        return undefined;
    }
    const s = sourceLive(version, digestOf(version));
    return withoutDigest ? { ...s, digests: { blue: null, green: null } } : s;
}

/** The outcome of a case's last update: the rule that refused it (and the refusal), or the decision. */
function runCase(c: RuleCase): { rule: string; error: ConfigError } | { decision: Decision } {
    const stack = c.stack ?? "prod";
    let edits: Record<string, unknown> = {};
    let previous: RolloutState | undefined;
    for (const [i, u] of c.updates.entries()) {
        edits = { ...edits, ...u.edits };
        const cfg = parseStackConfig(edited(stack, edits), stack);
        const ctx = { now: new Date(T0 + u.at * 60000), previous, promotionSource: sourceOf(cfg, u.source === undefined ? c.source : u.source, c.sourceWithoutDigest === true) };
        const last = i === c.updates.length - 1;
        const refused = firstRefusal(classify(cfg, ctx));
        if (refused !== undefined) {
            expect(last, `update ${i + 1} of "${c.what}" is refused by ${refused.rule}: ${refused.message}`).to.equal(true);
            let error: unknown;
            try {
                decide(cfg, ctx);
            } catch (e) {
                error = e;
            }
            expect(ConfigError.isInstance(error), "decide throws the refusal").to.equal(true);
            return { rule: refused.rule, error: error as ConfigError };
        }
        const decision = decide(cfg, ctx);
        if (last) {
            return { decision };
        }
        const v = (colour: "blue" | "green") => decision.state.versions[colour];
        const written: Record<string, unknown> = {
            ...decision.state,
            digests: {
                blue: decision.knownDigests.blue ?? (v("blue") === null ? null : digestOf(v("blue")!)),
                green: decision.knownDigests.green ?? (v("green") === null ? null : digestOf(v("green")!)),
            },
        };
        // An older slotshift's output, read back the way the program reads it.
        for (const field of c.olderOutput ?? []) {
            delete written[field];
        }
        previous = readRolloutState(written);
    }
    throw new Error(`"${c.what}" has no updates`);
}

/** Whether a message is the example with its `...` parts filled in. */
function fits(example: string, message: string): boolean {
    const parts = example.split("...").map((p) => p.trim()).filter((p) => p.length > 0);
    let at = 0;
    for (const p of parts) {
        const i = message.indexOf(p, at);
        if (i < 0) {
            return false;
        }
        at = i + p.length;
    }
    return example.trim().startsWith("...") || message.startsWith(parts[0]);
}

describe("the decision's rules, each with its cases", () => {
    it("has unique kebab-case ids, a sentence, an example, the moves it judges, and legal and refused cases", () => {
        const ids = RULES.map((r) => r.id);
        expect(new Set(ids).size).to.equal(ids.length);
        for (const r of RULES) {
            expect(r.id, r.id).to.match(/^[a-z]+(-[a-z]+)*$/);
            expect(r.sentence.length, r.id).to.be.greaterThan(10);
            expect(r.moves.length, r.id).to.be.greaterThan(0);
            for (const m of r.moves) {
                expect([...TRANSITIONS, "flip"], r.id).to.include(m);
            }
            expect(r.cases.filter((c) => c.refused !== undefined).length, `${r.id} has a refused case`).to.be.greaterThan(0);
            expect(r.cases.filter((c) => c.refused === undefined).length, `${r.id} has a legal case`).to.be.greaterThan(0);
        }
    });

    it("judges every move kind but the first deploy with some rule, and refuses every flip of live", () => {
        for (const kind of MOVES_FROM_A_STATE) {
            expect(RULES.some((r) => r.moves.includes(kind)), kind).to.equal(true);
        }
    });

    for (const rule of RULES) {
        describe(rule.id, () => {
            for (const c of rule.cases) {
                const stack = c.stack ?? "prod";
                if (c.refused !== undefined) {
                    it(`refuses ${c.what} (${stack})`, () => {
                        const out = runCase(c);
                        expect("rule" in out, `"${c.what}" was taken`).to.equal(true);
                        const { rule: by, error } = out as { rule: string; error: ConfigError };
                        expect(by, error.message).to.equal(rule.id);
                        expect(error.key).to.equal(c.refused);
                        expect(error.message.startsWith(`${c.refused} `) || error.message.startsWith(`${c.refused}.`), error.message).to.equal(true);
                        if (c.says !== undefined) {
                            expect(error.message).to.contain(c.says);
                        }
                    });
                } else {
                    it(`takes ${c.what} (${stack})`, () => {
                        const out = runCase(c);
                        expect("decision" in out, "rule" in out ? `refused by ${out.rule}: ${out.error.message}` : "").to.equal(true);
                        if (c.transition !== undefined) {
                            expect((out as { decision: Decision }).decision.state.transition).to.equal(c.transition);
                        }
                    });
                }
            }
            it("shows in the README a refusal that one of its cases really gets", () => {
                const messages = rule.cases.filter((c) => c.refused !== undefined).map((c) => (runCase(c) as { error: ConfigError }).error.message);
                expect(messages.some((m) => fits(rule.example, m)), `${rule.example}\nnone of:\n${messages.join("\n")}`).to.equal(true);
            });
        });
    }

    it("is the README's rules table, word for word (npm run docs:rules writes it)", () => {
        const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
        const start = readme.indexOf("<!-- rules:start");
        const end = readme.indexOf("<!-- rules:end -->");
        expect(start, "the README marks its rules table").to.be.greaterThan(0);
        const inReadme = readme.slice(readme.indexOf("\n", start) + 1, end);
        expect(inReadme).to.equal(rulesTable());
    });
});
