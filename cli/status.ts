/**
 * `slotshift status`: what the stack file wants and what is deployed, side by side, and the one
 * command that is legal next.
 */
import { impliedState } from "../rollout/state";
import { StackView } from "./commands";

/** The weight bar: `5 ▸ 25 ▸ [50] ▸ 100`, with `[0]` in front at weight 0. */
export function weightBar(steps: readonly number[], weight: number): string {
    const marks = weight === 0 ? ["[0]", ...steps.map(String)] : steps.map((s) => (s === weight ? `[${s}]` : String(s)));
    return marks.join(" ▸ ");
}

/** What to do next, as a command line; null when nothing is in flight. */
export function nextCommand(view: StackView): { command: string; why: string } | null {
    const s = `--stack ${view.stack}`;
    const st = impliedState(view.config);
    switch (st.phase) {
        case "staged":
            return { command: `slotshift next ${s}`, why: `send ${st.nextStep} % to ${st.candidate}` };
        case "shifting":
            return { command: `slotshift next ${s}`, why: `send ${st.nextStep} % to ${st.candidate} (or: slotshift rollback ${s})` };
        case "shifted":
            return { command: `slotshift finalize ${s}`, why: `make ${st.candidate} live (or: slotshift rollback ${s})` };
        case "stable":
            return st.warm === null
                ? null
                : { command: `slotshift rollback ${s}`, why: `only if ${st.live} misbehaves: ${st.warm} is still warm with ${st.versions[st.warm]}` };
    }
}

/** The status of a stack, for people and for `--json`. */
export interface Status {
    readonly stack: string;
    readonly environment: string;
    readonly strategy: string;
    readonly live: { readonly slot: string; readonly version: string | null; readonly weight: number };
    readonly candidate: { readonly slot: string; readonly version: string | null; readonly weight: number; readonly running: boolean } | null;
    readonly steps: readonly number[];
    readonly weight: number;
    readonly phase: string;
    readonly warm: string | null;
    readonly next: { readonly command: string; readonly why: string } | null;
    /** What is deployed, when the last update's outputs were given and differ from the stack file. */
    readonly pending: string | null;
    /**
     * When the next move may happen (ISO 8601), when the deployed state holds one: the next canary
     * step after `minStepMinutes`, or a new release after the warm slot's `warmMinutes`. Null when
     * nothing holds, or nothing deployed is known (no --previous).
     */
    readonly holdUntil: string | null;
}

/** The status of a stack. */
export function status(view: StackView): Status {
    const st = impliedState(view.config);
    const cand = st.candidate;
    let pending: string | null = null;
    if (view.deployedFrom === "outputs") {
        const d = view.deployed;
        const same = d.live === st.live && d.weights.blue === st.weights.blue && d.versions.blue === st.versions.blue && d.versions.green === st.versions.green;
        if (!same) {
            pending = `the stack file differs from what is deployed (${d.live} live, ${d.candidate ?? "-"} at ${d.candidate ? d.weights[d.candidate] : 0} %): run pulumi up --stack ${view.stack}, or roll back`;
        }
    }
    let holdUntil: string | null = null;
    if (view.deployedFrom === "outputs") {
        const d = view.deployed;
        const r = view.config.rollout;
        const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60000).toISOString();
        if (d.phase === "shifting" && r.minStepMinutes > 0) {
            holdUntil = plus(d.stepTakenAt, r.minStepMinutes);
        } else if (d.warm !== null && d.finalizedAt !== null && r.warmMinutes > 0) {
            holdUntil = plus(d.finalizedAt, r.warmMinutes);
        }
    }
    return {
        stack: view.stack,
        environment: view.config.environment,
        strategy: st.strategy,
        live: { slot: st.live, version: st.versions[st.live], weight: st.weights[st.live] },
        candidate: cand === null ? null : { slot: cand, version: st.versions[cand], weight: st.weights[cand], running: st.replicas[cand] > 0 },
        steps: st.steps,
        weight: cand === null ? 0 : st.weights[cand],
        phase: st.phase,
        warm: st.warm,
        next: nextCommand(view),
        pending,
        holdUntil,
    };
}

/** The status as lines for a terminal. */
export function renderStatus(s: Status): string {
    const pad = (t: string) => t.padEnd(11);
    const lines = [`stack ${s.stack} (environment ${s.environment}, strategy ${s.strategy})`];
    lines.push(`  ${pad("live")}${s.live.slot.padEnd(6)} ${String(s.live.version ?? "-").padEnd(14)} ${String(s.live.weight).padStart(3)} %`);
    if (s.candidate) {
        const note = s.warm === s.candidate.slot ? "  (warm: the previous release, for a rollback)" : s.candidate.running ? "" : "  (no pods)";
        lines.push(`  ${pad("candidate")}${s.candidate.slot.padEnd(6)} ${String(s.candidate.version ?? "-").padEnd(14)} ${String(s.candidate.weight).padStart(3)} %${note}`);
        lines.push(`  ${pad("steps")}${weightBar(s.steps, s.weight)}`);
    }
    lines.push(`  ${pad("phase")}${s.phase}`);
    if (s.pending) {
        lines.push(`  ${pad("pending")}${s.pending}`);
    }
    lines.push(`  ${pad("next")}${s.next ? `${s.next.command}   # ${s.next.why}` : `slotshift start <version> --sha <git-sha> --stack ${s.stack}   # stage a release`}`);
    return lines.join("\n");
}
