/**
 * Time-to-safety: from the candidate's first bad request to the candidate at 0 % for clients,
 * modelled hop by hop from a stack's own settings and from what Azure, OpenTelemetry and GitHub
 * document (or, where nothing is documented, a stated assumption), on two paths:
 * - the alert path: the rollback trigger's rule fires, the relay dispatches, a rollback job starts;
 * - the gate path: the step's own job watches the candidate (`slotshift analyze --watch`) and rolls
 *   back itself, with no alert, relay or job start between.
 * `npm run bench` prints both, beside the release process's estimate of 3 minutes ("Estimated Rollback
 * Time: 3 minutes", docs/RELEASE-PROCESS.md §5); the README shows the last run.
 */
import { RolloutState } from "../rollout/state";
import { SlotshiftConfig } from "../rollout/config";
import { evaluationFrequency } from "../rollout/alerts";

/** How a figure is known. */
export type Basis = "setting" | "documented" | "measured" | "assumed";

/** One hop of the path. */
export interface Hop {
    readonly hop: string;
    /** Worst case in seconds, for the model. */
    readonly seconds: number;
    readonly basis: Basis;
    /** Where the figure comes from. */
    readonly source: string;
}

/** What the model needs beyond the stack's config. */
export interface SafetyInputs {
    readonly config: SlotshiftConfig;
    /** The state during the release (in flight: rules evaluate every minute). */
    readonly state: RolloutState;
    /** The routing-only update of a rollback, measured offline (the program's own evaluation), in seconds. */
    readonly routingUpdateSeconds: number;
}

/** The goal for the alert path: the candidate at 0 % within 4 minutes of going bad (docs/RELEASE-PROCESS.md §5). */
export const ALERT_PATH_GOAL_SECONDS = 4 * 60;

/** The goal for the gate path: the candidate at 0 % within 2 minutes of going bad during a step. */
export const GATE_PATH_GOAL_SECONDS = 2 * 60;

/** The release process's estimate, "Estimated Rollback Time: 3 minutes" (docs/RELEASE-PROCESS.md §5): printed beside the paths, not a goal. */
export const ESTIMATED_ROLLBACK_SECONDS = 3 * 60;

/** The first two hops of both paths: the failed requests leave the app and become queryable. */
function telemetryHops(): Hop[] {
    return [
        { hop: "app exports the failed requests", seconds: 5, basis: "documented", source: "OpenTelemetry batch span processor: OTEL_BSP_SCHEDULE_DELAY defaults to 5000 ms" },
        { hop: "ingestion into the workspace", seconds: INGESTION_SECONDS, basis: "documented", source: "Azure Monitor, log data ingestion time: most data in under a minute (a tail of 3 minutes is documented too)" },
    ];
}

/**
 * Ingestion as modelled: the minute the page has long documented. Its current version (ms.date
 * 2026-02-27) says "less than 10 seconds" on average, plus "5 to 15 seconds" in temporary storage:
 * the bench prints the gate path with that figure too.
 */
export const INGESTION_SECONDS = 60;
export const INGESTION_CURRENT_PAGE_SECONDS = 10 + 15;

/** The pulumi up of a rollback: routing only. */
function routingUpdate(input: SafetyInputs): Hop {
    const tm = input.config.traffic.router === "traffic-manager";
    return {
        hop: "pulumi up, routing only",
        seconds: Math.round(20 + input.routingUpdateSeconds),
        basis: "measured",
        source: `the program's evaluation offline (${input.routingUpdateSeconds.toFixed(1)} s, measured) plus 20 s assumed for ${tm ? "the two Traffic Manager endpoints' PUTs" : "the HTTPRoute's apply"}`,
    };
}

/** Clients leave the candidate: the DNS answer's TTL, or the gateway's next reconcile. */
function clientsFollow(input: SafetyInputs): Hop {
    return input.config.traffic.router === "traffic-manager"
        ? { hop: "clients follow the DNS answer", seconds: input.config.traffic.ttl, basis: "setting", source: `slotshift:traffic.ttl (Traffic Manager DNS TTL)` }
        : { hop: "the gateway applies the route", seconds: 1, basis: "assumed", source: "an HTTPRoute weight change takes effect in the gateway's next reconcile" };
}

/** The hops from the first bad request to clients off the candidate, through the alert rules and the relay. */
export function alertPath(input: SafetyInputs): Hop[] {
    const { state } = input;
    const inFlight = state.phase !== "stable" || state.warm !== null;
    const frequency = evaluationFrequency(inFlight) === "PT1M" ? 60 : 300;
    return [
        ...telemetryHops(),
        { hop: "next rule evaluation", seconds: frequency, basis: "setting", source: `evaluationFrequency ${inFlight ? "PT1M while a release is in flight" : "PT5M when stable"}` },
        { hop: "alert to action group to relay", seconds: 30, basis: "assumed", source: "no delivery latency is documented; webhook retries at 5, 20, 40 s are" },
        { hop: "relay: cold start and dispatch", seconds: 10, basis: "assumed", source: "a Consumption-plan function's cold start plus one GitHub API call" },
        { hop: "GitHub starts the rollback job", seconds: 30, basis: "assumed", source: "repository_dispatch to a hosted runner (one job: the decision is taken inside it)" },
        { hop: "checkout, node_modules from cache, Azure sign-in", seconds: 25, basis: "assumed", source: "actions/cache restore keyed on package-lock.json; npm ci only on a miss" },
        { hop: "stack output, should-rollback, the edit", seconds: 10, basis: "assumed", source: "pulumi stack output and two slotshift runs" },
        routingUpdate(input),
        clientsFollow(input),
    ];
}

/**
 * The hops from the first bad request to clients off the candidate, through the step's own gate:
 * the job that took the step is still running `slotshift analyze --watch`, so no alert, relay,
 * dispatch, runner start or checkout stands between. Modelled for a candidate bad from the step on,
 * with traffic enough for `slotshift:analysis.minRequests` already (a candidate that turns bad late in
 * a step is diluted by its good requests in the window: the error rate crosses 1 % after 1 % of the
 * window's requests fail), and for the request signals (the pool's gauge is exported every 60 s,
 * OTEL_METRIC_EXPORT_INTERVAL: 55 s more).
 */
export function gatePath(input: SafetyInputs): Hop[] {
    const { config, state } = input;
    const cand = state.candidate;
    const first = cand !== null && state.weights[cand] === state.steps[0];
    const interval = config.analysis.intervalSeconds[first ? "canary" : "gradual"];
    return [
        ...telemetryHops(),
        {
            hop: "the watch's next analysis",
            seconds: interval,
            basis: "setting",
            source: `slotshift:analysis.intervalSeconds.${first ? "canary" : "gradual"} (a whole interval: the worst case)`,
        },
        { hop: "the queries and the verdict", seconds: 5, basis: "assumed", source: "four queries over the step's window, one after the other (each bounded by Prefer: wait=30)" },
        { hop: "slotshift rollback, the edit", seconds: 5, basis: "assumed", source: "one slotshift run in the job that is already there" },
        routingUpdate(input),
        clientsFollow(input),
    ];
}

/** Seconds of a path. */
export function total(hops: readonly Hop[]): number {
    return hops.reduce((s, h) => s + h.seconds, 0);
}

/** The two paths side by side with the release process's estimate and the goals, and the gate path with the current ingestion page's figure. */
export function renderComparison(gate: readonly Hop[], alert: readonly Hop[]): string[] {
    const m = (x: number) => `${x} s (${(x / 60).toFixed(1)} min)`;
    const g = total(gate);
    const current = g - INGESTION_SECONDS + INGESTION_CURRENT_PAGE_SECONDS;
    return [
        "",
        "Time to safety, side by side:",
        `  gate path (the step's own job)   ${m(g)}: ${g <= GATE_PATH_GOAL_SECONDS ? "meets" : "MISSES"} the goal of ${GATE_PATH_GOAL_SECONDS / 60} min during a step`,
        `  alert path (rule, relay, job)    ${m(total(alert))}`,
        `  release-process estimate         ${m(ESTIMATED_ROLLBACK_SECONDS)}`,
        `  gate path with the current page's ingestion (under 10 s, plus 5 to 15 s stored: ${INGESTION_CURRENT_PAGE_SECONDS} s): ${m(current)}`,
    ];
}

/** The table the bench prints: each hop, its seconds and its share of the whole. */
export function renderPath(title: string, hops: readonly Hop[], goalSeconds: number): string[] {
    const total = hops.reduce((s, h) => s + h.seconds, 0);
    const lines = ["", title];
    lines.push(`  ${"hop".padEnd(48)} ${"s".padStart(5)} ${"share".padStart(6)}  basis       source`);
    for (const h of hops) {
        lines.push(`  ${h.hop.padEnd(48)} ${String(h.seconds).padStart(5)} ${`${((100 * h.seconds) / total).toFixed(0)} %`.padStart(6)}  ${h.basis.padEnd(10)}  ${h.source}`);
    }
    const verdict = total <= goalSeconds ? "meets" : "MISSES";
    lines.push(`  ${"total".padEnd(48)} ${String(total).padStart(5)}   (${(total / 60).toFixed(1)} min; ${verdict} the goal of ${goalSeconds / 60} min)`);
    return lines;
}
