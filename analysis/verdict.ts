/**
 * The judge of `slotshift analyze`: from what the logs say about the candidate and the live slot
 * over one window, a verdict per signal and one overall. Pure: no I/O, no clock.
 *
 * Each signal is a rollback trigger of the stack's alert rules, with the rule's own threshold
 * (rollout/alerts.ts). A signal:
 * - fails when the candidate is above its threshold;
 * - for the error rate and the p99 latency, also fails when the candidate is worse than the live
 *   slot over the same window by more than the stack's margin (`slotshift:analysis.maxErrorRateRatio`,
 *   `maxLatencyRatio`), even under the threshold: the comparison of two builds under the same
 *   traffic that Kayenta's judge makes, reduced to a ratio. An error rate below the warning level
 *   (`slotshift:alerts.errorRateWarningPercent`) is never judged by ratio: a ratio of two tiny
 *   rates is noise. The live slot is compared only when it answered `minRequests` itself (at 100 %
 *   it answers none: the thresholds alone judge);
 * - is inconclusive, never a pass, when the candidate answered fewer than
 *   `slotshift:analysis.minRequests` requests in the window, or reported nothing a judgement needs;
 * - passes otherwise.
 * Overall: any fail is a fail; else any inconclusive is inconclusive; else a pass. A signal the
 * stack cannot measure (health without `slotshift:alerts.clusterWorkspace`) is shown as skipped
 * and counts for nothing, as its alert rule is not created either.
 */
import type { AnalysisConfig, SlotColour } from "../rollout/config";

export const OUTCOMES = ["pass", "fail", "inconclusive"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** How a signal's figure reads. */
export type Unit = "percent" | "ms" | "instances" | "failures";

/** One slot's figure for one signal over the window. */
export interface Figure {
    /** The measure (error rate in percent, p99 in ms, exhausted instances, probe failures). */
    readonly value: number;
    /** Requests it stands on, for the request signals (the sampled rows' `ItemCount`: what they stand for). */
    readonly requests?: number;
    /** The rows recorded: the evidence itself, which the distro samples (default: `requests`). */
    readonly rows?: number;
    /** Of the rows, the failed ones (error rate; default: the rate of the rows). */
    readonly failedRows?: number;
}

/**
 * How sure a comparison with the live slot must be before it fails a candidate: a one-sided test
 * at 1 % (z above 2.326) that the candidate's error rate is above the live slot's times the
 * margin, on at least 5 failed requests recorded. Without it, a candidate exactly as good as live
 * fails a step on one or two unlucky errors: at 0.2 % errors and 100 requests, the ratio alone
 * fails a healthy step about one time in five, and a watch looks dozens of times.
 */
export const ERROR_RATE_COMPARISON = { z: 2.326, minFailedRows: 5 } as const;

/**
 * Rows each slot must have recorded before their p99 latencies are compared: below about a
 * thousand, the 99th percentile stands on fewer than ten requests and one slow request moves it.
 */
export const P99_COMPARISON_MIN_ROWS = 1000;

/** The recorded rows a figure stands on. */
const rowsOf = (f: Figure): number => f.rows ?? f.requests ?? 0;

/**
 * The z statistic of "the candidate's error rate is above the live slot's times `ratio`", and the
 * candidate's failed rows: a two-proportion test on the recorded rows.
 */
export function errorRateEvidence(candidate: Figure, live: Figure, ratio: number): { z: number; failedRows: number } {
    const nc = rowsOf(candidate);
    const nl = rowsOf(live);
    const fc = candidate.failedRows ?? (candidate.value / 100) * nc;
    const fl = live.failedRows ?? (live.value / 100) * nl;
    const pc = nc === 0 ? 0 : fc / nc;
    const pl = nl === 0 ? 0 : fl / nl;
    const diff = pc - ratio * pl;
    const se = Math.sqrt((nc === 0 ? 0 : (pc * (1 - pc)) / nc) + (nl === 0 ? 0 : (ratio * ratio * pl * (1 - pl)) / nl));
    const z = se === 0 ? (diff > 0 ? Number.POSITIVE_INFINITY : 0) : diff / se;
    return { z, failedRows: fc };
}

/** What the logs said about one signal. */
export interface Measurement {
    readonly signal: string;
    readonly unit: Unit;
    /** The rule's threshold: above it is a fail. */
    readonly threshold: number;
    /** Whether the measure stands on requests (error rate, p99): judged only from minRequests. */
    readonly requestSignal: boolean;
    /** The candidate's figure; null when the window has no row for it. */
    readonly candidate: Figure | null;
    /** The live slot's figure; null when the window has no row for it. */
    readonly live: Figure | null;
    /** Why the signal was not measured (then candidate and live are null). */
    readonly skipped?: string;
}

/** The verdict of one signal. */
export interface SignalVerdict {
    readonly signal: string;
    readonly verdict: Outcome | "skipped";
    readonly unit: Unit;
    readonly candidate: Figure | null;
    readonly live: Figure | null;
    readonly threshold: number;
    /** The ratio to the live slot the candidate may reach, for the compared signals. */
    readonly maxRatio: number | null;
    /** One line: what was found, against what. */
    readonly reason: string;
}

/** The overall verdict. */
export interface Verdict {
    readonly verdict: Outcome;
    /** One line: the first fail, or why it is inconclusive, or that every signal passed. */
    readonly reason: string;
    readonly signals: readonly SignalVerdict[];
}

/** What the judge needs besides the measurements. */
export interface JudgeContext {
    readonly candidate: SlotColour;
    readonly live: SlotColour;
    readonly analysis: Pick<AnalysisConfig, "minRequests" | "maxErrorRateRatio" | "maxLatencyRatio">;
    /** The warning error rate: below it, the candidate's error rate is not judged by ratio. */
    readonly errorRateFloor: number;
}

/** A figure as people read it: `1.50 %`, `2300 ms`, `1 instance`, `4 failures`. */
export function formatValue(value: number, unit: Unit): string {
    switch (unit) {
        case "percent":
            return `${value.toFixed(2)} %`;
        case "ms":
            return `${Math.round(value)} ms`;
        case "instances":
            return `${value} instance${value === 1 ? "" : "s"}`;
        case "failures":
            return `${value} failure${value === 1 ? "" : "s"}`;
    }
}

/** The ratio to the live slot a signal is held to, or null when it is not compared. */
function maxRatioOf(signal: string, ctx: JudgeContext): number | null {
    return signal === "error-rate" ? ctx.analysis.maxErrorRateRatio : signal === "p99-latency" ? ctx.analysis.maxLatencyRatio : null;
}

/** Judges one signal. */
export function judgeSignal(m: Measurement, ctx: JudgeContext): SignalVerdict {
    const maxRatio = maxRatioOf(m.signal, ctx);
    const base = { signal: m.signal, unit: m.unit, candidate: m.candidate, live: m.live, threshold: m.threshold, maxRatio };
    const cand = ctx.candidate;
    const live = ctx.live;
    const show = (v: number) => formatValue(v, m.unit);
    if (m.skipped !== undefined) {
        return { ...base, verdict: "skipped", reason: `${m.signal}: not measured: ${m.skipped}` };
    }
    const min = ctx.analysis.minRequests;
    const c = m.candidate;
    if (m.requestSignal && (c === null || rowsOf(c) < min)) {
        const n = c === null ? 0 : rowsOf(c);
        return {
            ...base,
            verdict: "inconclusive",
            reason: `${m.signal}: ${cand} answered ${n} request${n === 1 ? "" : "s"} in the window; at least ${min} are needed for a judgement (slotshift:analysis.minRequests)`,
        };
    }
    if (c === null) {
        return { ...base, verdict: "inconclusive", reason: `${m.signal}: nothing from ${cand} in the window to judge` };
    }
    const liveShown = m.live === null ? `${live}: none` : `${live} ${show(m.live.value)}`;
    if (c.value > m.threshold) {
        return { ...base, verdict: "fail", reason: `${m.signal}: ${cand} ${show(c.value)} is above the threshold of ${show(m.threshold)} (${liveShown})` };
    }
    if (maxRatio !== null) {
        const l = m.live;
        const comparable = l !== null && (!m.requestSignal || rowsOf(l) >= min);
        if (!comparable) {
            return {
                ...base,
                verdict: "pass",
                reason: `${m.signal}: ${cand} ${show(c.value)}, within the threshold of ${show(m.threshold)}; ${live} answered too few requests in the window to compare with`,
            };
        }
        if (m.signal === "p99-latency" && (rowsOf(c) < P99_COMPARISON_MIN_ROWS || rowsOf(l) < P99_COMPARISON_MIN_ROWS)) {
            return {
                ...base,
                verdict: "pass",
                reason: `${m.signal}: ${cand} ${show(c.value)}, within the threshold of ${show(m.threshold)}; too few requests to compare p99 with ${live} (${P99_COMPARISON_MIN_ROWS} recorded on each)`,
            };
        }
        const floor = m.signal === "error-rate" ? ctx.errorRateFloor : 0;
        // The error rate is compared only on significant evidence; p99 on enough rows (above).
        const evidence = m.signal === "error-rate" ? errorRateEvidence(c, l, maxRatio) : undefined;
        const significant = evidence === undefined || (evidence.z > ERROR_RATE_COMPARISON.z && evidence.failedRows >= ERROR_RATE_COMPARISON.minFailedRows);
        if (c.value > l.value * maxRatio && c.value >= floor && significant) {
            return {
                ...base,
                verdict: "fail",
                reason: `${m.signal}: ${cand} ${show(c.value)} is more than ${maxRatio} × ${live}'s ${show(l.value)} over the same window (under the threshold of ${show(m.threshold)})`,
            };
        }
        return { ...base, verdict: "pass", reason: `${m.signal}: ${cand} ${show(c.value)}, within the threshold of ${show(m.threshold)} and ${maxRatio} × ${live}'s ${show(l.value)}` };
    }
    return { ...base, verdict: "pass", reason: `${m.signal}: ${cand} ${show(c.value)}, within the threshold of ${show(m.threshold)}` };
}

/** Judges every signal and the whole. */
export function judge(measurements: readonly Measurement[], ctx: JudgeContext): Verdict {
    const signals = measurements.map((m) => judgeSignal(m, ctx));
    const failed = signals.filter((s) => s.verdict === "fail");
    if (failed.length > 0) {
        return { verdict: "fail", reason: failed.map((s) => s.reason).join("; "), signals };
    }
    const open = signals.filter((s) => s.verdict === "inconclusive");
    if (open.length > 0) {
        return { verdict: "inconclusive", reason: open.map((s) => s.reason).join("; "), signals };
    }
    const judged = signals.filter((s) => s.verdict === "pass");
    if (judged.length === 0) {
        // Nothing measured is no evidence: never a pass.
        return { verdict: "inconclusive", reason: "no signal could be measured", signals };
    }
    return { verdict: "pass", reason: `every signal passed: ${judged.map((s) => s.signal).join(", ")}`, signals };
}
