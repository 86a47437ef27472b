/**
 * One analysis of a step, and a watch of it: what `slotshift analyze` does between reading the
 * stack and printing the verdict.
 *
 * The window is the step's: from `rollout.stepTakenAt` of what is deployed (never before) to now.
 * The signals are the stack's rollback triggers with their rules' thresholds (rollout/alerts.ts),
 * each query built for that one window; the candidate's and the live slot's rows come from the same
 * query, so both are judged over the same window and the same definition (analysis/verdict.ts).
 */
import { Signal, alertRulesInputOf, rollbackSignals } from "../rollout/alerts";
import { SlotColour, SlotshiftConfig } from "../rollout/config";
import { prefixOf } from "../rollout/names";
import { RolloutState } from "../rollout/state";
import { AnalysisError, AnalysisUsageError, LogsReader, Row } from "./client";
import { Figure, Measurement, Outcome, SignalVerdict, Unit, judge } from "./verdict";

/** The workspaces' IDs as the query API takes them (the stack output `telemetry`). */
export interface Workspaces {
    /** Where the slots' Application Insights writes (AppRequests, AppMetrics). */
    readonly app: string;
    /** Where the cluster's Container insights writes (KubeEvents); null when not known. */
    readonly cluster: string | null;
}

/** What an analysis looks at. */
export interface Target {
    readonly stack: string;
    /** The stack file's config: the thresholds, the slots' names, the analysis keys. */
    readonly config: SlotshiftConfig;
    /** What is deployed: the stack's `rollout` output. */
    readonly deployed: RolloutState;
    readonly workspaces: Workspaces;
}

/** The outcome of one analysis: the document `--json` prints. */
export interface Analysis {
    readonly stack: string;
    readonly verdict: Outcome;
    readonly reason: string;
    readonly candidate: { readonly slot: SlotColour; readonly version: string | null; readonly weight: number };
    readonly live: { readonly slot: SlotColour; readonly version: string | null };
    /** When the step was taken, and its phase (the canary's first step, or a gradual one). */
    readonly step: { readonly takenAt: string; readonly phase: "canary" | "gradual" };
    readonly window: { readonly start: string; readonly end: string };
    readonly signals: readonly SignalVerdict[];
}

/** How each rollback trigger's measure reads. */
const UNITS: Readonly<Record<string, Unit>> = { "error-rate": "percent", "p99-latency": "ms", "pool-exhausted": "instances", health: "failures" };

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The workspaces from a stack's outputs (`pulumi stack output --json`): `telemetry.workspaceCustomerId`
 * and `telemetry.clusterWorkspaceCustomerId`, GUIDs.
 */
export function workspacesOf(outputs: Readonly<Record<string, unknown>>, stack: string): Workspaces {
    const t = outputs.telemetry as { workspaceCustomerId?: unknown; clusterWorkspaceCustomerId?: unknown } | undefined;
    const app = t?.workspaceCustomerId;
    if (app === undefined) {
        throw new AnalysisUsageError(
            `the outputs of ${stack} have no telemetry.workspaceCustomerId (the workspace's ID for the query API): run pulumi up --stack ${stack} with this version of slotshift first`,
        );
    }
    if (typeof app !== "string" || !GUID.test(app)) {
        throw new AnalysisUsageError(`telemetry.workspaceCustomerId in the outputs of ${stack} is ${JSON.stringify(app)}; allowed: the workspace's ID, a GUID`);
    }
    const cluster = t?.clusterWorkspaceCustomerId ?? null;
    if (cluster !== null && (typeof cluster !== "string" || !GUID.test(cluster))) {
        throw new AnalysisUsageError(`telemetry.clusterWorkspaceCustomerId in the outputs of ${stack} is ${JSON.stringify(cluster)}; allowed: the cluster workspace's ID, a GUID, or null`);
    }
    return { app, cluster };
}

/** The candidate carrying traffic, or a refusal saying there is nothing to analyse. */
export function candidateOf(target: Target): { candidate: SlotColour; live: SlotColour; weight: number; start: Date } {
    const d = target.deployed;
    const s = target.stack;
    if (d.strategy === "direct" || d.candidate === null) {
        throw new AnalysisUsageError(`${s} deploys in place (strategy direct): there is no candidate to compare with a live slot`);
    }
    const weight = d.weights[d.candidate];
    if (weight === 0 || d.phase === "stable" || d.phase === "staged") {
        throw new AnalysisUsageError(
            `${d.candidate} carries no traffic in ${s} (phase ${d.phase}, ${weight} %): nothing to analyse; analyse a step once it carries traffic (slotshift next --stack ${s}, then pulumi up)`,
        );
    }
    const start = new Date(d.stepTakenAt);
    if (Number.isNaN(start.getTime()) || start.getTime() <= 0) {
        throw new AnalysisUsageError(`the rollout output of ${s} gives no time for its step (stepTakenAt ${JSON.stringify(d.stepTakenAt)}): the window cannot start`);
    }
    return { candidate: d.candidate, live: d.live, weight, start };
}

/** The step's phase: the canary's first step (`steps[0]`), or a gradual one after it. */
export function phaseOf(target: Target): "canary" | "gradual" {
    const d = target.deployed;
    const w = d.candidate === null ? 0 : d.weights[d.candidate];
    return w === d.steps[0] ? "canary" : "gradual";
}

/** Seconds between two analyses of a watch, by phase (`slotshift:analysis.intervalSeconds`). */
export function intervalOf(target: Target): number {
    return target.config.analysis.intervalSeconds[phaseOf(target)];
}

/** When the step's hold ends: the deployed `nextMoveAt`, else the step's time plus `minStepMinutes`. */
export function holdEndOf(target: Target): Date {
    const d = target.deployed;
    if (d.nextMoveAt !== null && !Number.isNaN(Date.parse(d.nextMoveAt))) {
        return new Date(d.nextMoveAt);
    }
    return new Date(Date.parse(d.stepTakenAt) + target.config.rollout.minStepMinutes * 60000);
}

/** Until when an inconclusive step is watched: `progressDeadlineMinutes` from the step, at least its hold. */
export function progressDeadlineOf(target: Target): Date {
    const byDeadline = Date.parse(target.deployed.stepTakenAt) + target.config.analysis.progressDeadlineMinutes * 60000;
    return new Date(Math.max(byDeadline, holdEndOf(target).getTime()));
}

/** The signals of the stack, as its alert rules define them. */
export function signalsOf(target: Target): Signal[] {
    return rollbackSignals(alertRulesInputOf(target.config, prefixOf(target.config.app.name, target.stack)));
}

/** A number of an answer's row, or an error naming the query and the column. */
function numberIn(row: Row, column: string, what: string): number {
    const v = row[column];
    if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new AnalysisError(`the ${what} query's answer has ${JSON.stringify(v)} in column ${column}, not a number`);
    }
    return v;
}

/** Measures one signal over the window: one query, both slots' rows. */
async function measure(signal: Signal, target: Target, reader: LogsReader, slots: { candidate: SlotColour; live: SlotColour }, start: Date, end: Date): Promise<Measurement> {
    const unit = UNITS[signal.id];
    if (unit === undefined) {
        throw new Error(`analysis: no unit for the signal ${signal.id}`);
    }
    const base = { signal: signal.id, unit, threshold: signal.threshold, requestSignal: signal.requests !== undefined };
    const workspace = signal.source === "cluster" ? target.workspaces.cluster : target.workspaces.app;
    if (workspace === null) {
        return {
            ...base,
            candidate: null,
            live: null,
            skipped: `the cluster workspace's ID is not in the stack's outputs (telemetry.clusterWorkspaceCustomerId: slotshift reads it only in the stack's own subscription)`,
        };
    }
    // A query reading further back than its window (the health query: events keep their creation
    // time) is still judged from the window: its query filters on the start itself.
    const from = new Date(start.getTime() - (signal.lookback?.minutes ?? 0) * 60000);
    const answer = await reader.query(workspace, signal.query({ kind: "since", start }), { start: from, end }, signal.id);
    const recorded = signal.recorded === undefined ? [] : [signal.recorded.rows, ...(signal.recorded.failedRows === undefined ? [] : [signal.recorded.failedRows])];
    const needed = ["slot", signal.measure, ...(signal.requests === undefined ? [] : [signal.requests]), ...recorded];
    for (const c of needed) {
        if (!answer.columns.includes(c)) {
            throw new AnalysisError(`the ${signal.id} query's answer has no column ${c} (columns: ${answer.columns.join(", ") || "none"})`);
        }
    }
    const figure = (slot: SlotColour): Figure | null => {
        const rows = answer.rows.filter((r) => r.slot === slot);
        if (rows.length > 1) {
            throw new AnalysisError(`the ${signal.id} query's answer has ${rows.length} rows for ${slot}, not one`);
        }
        const row = rows[0];
        if (row === undefined) {
            return signal.noRow === "zero" ? { value: 0 } : null;
        }
        const value = numberIn(row, signal.measure, signal.id);
        if (signal.requests === undefined) {
            return { value };
        }
        const r = signal.recorded;
        return {
            value,
            requests: numberIn(row, signal.requests, signal.id),
            ...(r === undefined ? {} : { rows: numberIn(row, r.rows, signal.id) }),
            ...(r?.failedRows === undefined ? {} : { failedRows: numberIn(row, r.failedRows, signal.id) }),
        };
    };
    const candidate = figure(slots.candidate);
    const live = figure(slots.live);
    // A metric neither slot reports is one the app does not have (an app with no connection pool):
    // skipped, as a missing rule would be. A candidate silent where the live slot reports stays
    // unknown, so inconclusive: its telemetry, or the candidate itself, is broken.
    if (candidate === null && live === null && signal.requests === undefined) {
        return { ...base, candidate, live, skipped: `neither slot reported its metrics in the window (an app without a connection pool reports none)` };
    }
    return { ...base, candidate, live };
}

/** One analysis of the step, over the window from when it was taken to `end`. */
export async function analyse(target: Target, reader: LogsReader, end: Date): Promise<Analysis> {
    const { candidate, live, weight, start } = candidateOf(target);
    if (end.getTime() <= start.getTime()) {
        throw new AnalysisUsageError(`the window of ${target.stack}'s step is empty: it was taken at ${start.toISOString()}, not before ${end.toISOString()}`);
    }
    const measurements: Measurement[] = [];
    for (const signal of signalsOf(target)) {
        measurements.push(await measure(signal, target, reader, { candidate, live }, start, end));
    }
    const verdict = judge(measurements, {
        candidate,
        live,
        analysis: target.config.analysis,
        errorRateFloor: target.config.alerts.errorRateWarningPercent,
    });
    const d = target.deployed;
    return {
        stack: target.stack,
        verdict: verdict.verdict,
        reason: verdict.reason,
        candidate: { slot: candidate, version: d.versions[candidate], weight },
        live: { slot: live, version: d.versions[live] },
        step: { takenAt: start.toISOString(), phase: phaseOf(target) },
        window: { start: start.toISOString(), end: end.toISOString() },
        signals: verdict.signals,
    };
}

/** How long a watch lasts. */
export interface WatchPlan {
    /** A pass at or after this ends the watch (the hold's end, or --until's). */
    readonly until: Date;
    /** An inconclusive step is watched on until this (the progress deadline); null: it ends at `until`. */
    readonly deadline: Date | null;
    readonly intervalMs: number;
    /** Analyses in a row that may fail to read the logs before the watch ends with the error. @default 3 */
    readonly maxConsecutiveErrors?: number;
}

/** What a watch needs from the world. */
export interface WatchDeps {
    now(): Date;
    sleep(ms: number): Promise<void>;
    analyse(at: Date): Promise<Analysis>;
    /** Each analysis, or each failure to read the logs, as it happens. */
    onEach?(result: Analysis | AnalysisError, at: Date): void;
}

/** How a watch ended. */
export type WatchResult =
    | { readonly kind: "analysis"; readonly analysis: Analysis; readonly analyses: number }
    | { readonly kind: "error"; readonly error: AnalysisError; readonly analyses: number };

/**
 * Analyses the step every interval: ends at the first fail; at `until` ends with a pass, and
 * watches an inconclusive step on until the deadline (the last analysis then stands, inconclusive
 * is never a pass). Logs that cannot be read are tried again at the next interval, up to
 * `maxConsecutiveErrors` analyses in a row, then end the watch with the error; so does an error at
 * the very end. Bounded: the number of analyses is at most the watch's length over the interval, plus two.
 */
export async function watch(plan: WatchPlan, deps: WatchDeps): Promise<WatchResult> {
    const started = deps.now().getTime();
    const stopAt = Math.max(plan.until.getTime(), plan.deadline?.getTime() ?? 0);
    const maxRounds = Math.max(1, Math.ceil(Math.max(0, stopAt - started) / Math.max(1, plan.intervalMs))) + 2;
    const maxErrors = plan.maxConsecutiveErrors ?? 3;
    let last: Analysis | undefined;
    let errors = 0;
    let lastError: AnalysisError | undefined;
    for (let round = 1; round <= maxRounds; round++) {
        const at = deps.now();
        let ended: WatchResult | undefined;
        try {
            const a = await deps.analyse(at);
            deps.onEach?.(a, at);
            last = a;
            errors = 0;
            lastError = undefined;
            if (a.verdict === "fail") {
                return { kind: "analysis", analysis: a, analyses: round };
            }
            if (at.getTime() >= plan.until.getTime()) {
                const watchOn = a.verdict === "inconclusive" && plan.deadline !== null && at.getTime() < plan.deadline.getTime();
                if (!watchOn) {
                    ended = { kind: "analysis", analysis: a, analyses: round };
                }
            }
        } catch (e) {
            if (!(e instanceof AnalysisError)) {
                throw e;
            }
            deps.onEach?.(e, at);
            errors++;
            lastError = e;
            if (errors >= maxErrors || at.getTime() >= stopAt) {
                ended = { kind: "error", error: e, analyses: round };
            }
        }
        if (ended !== undefined) {
            return ended;
        }
        // The next analysis: an interval on, and never past the hold's end (a last look there) or the deadline.
        const now = deps.now().getTime();
        const boundary = now < plan.until.getTime() ? plan.until.getTime() : stopAt;
        await deps.sleep(Math.max(0, Math.min(plan.intervalMs, boundary - now)));
    }
    if (lastError !== undefined || last === undefined) {
        return { kind: "error", error: lastError ?? new AnalysisError("the watch made no analysis"), analyses: maxRounds };
    }
    return { kind: "analysis", analysis: last, analyses: maxRounds };
}
