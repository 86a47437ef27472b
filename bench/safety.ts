/**
 * Time-to-safety on the alert path: from the candidate's first bad request to the
 * candidate at 0 % for clients, modelled hop by hop from a stack's own settings and
 * from what Azure, OpenTelemetry and GitHub document (or, where nothing is documented,
 * a stated assumption). `npm run bench` prints it; the README shows the last run.
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

/** The goal the design sets for the alert path. */
export const ALERT_PATH_GOAL_SECONDS = 4 * 60;

/** The hops from the first bad request to clients off the candidate, through the alert rules and the relay. */
export function alertPath(input: SafetyInputs): Hop[] {
    const { config, state } = input;
    const inFlight = state.phase !== "stable" || state.warm !== null;
    const frequency = evaluationFrequency(inFlight) === "PT1M" ? 60 : 300;
    const tm = config.traffic.router === "traffic-manager";
    return [
        { hop: "app exports the failed requests", seconds: 5, basis: "documented", source: "OpenTelemetry batch span processor: OTEL_BSP_SCHEDULE_DELAY defaults to 5000 ms" },
        { hop: "ingestion into the workspace", seconds: 60, basis: "documented", source: "Azure Monitor, log data ingestion time: most data in under a minute (a tail of 3 minutes is documented too)" },
        { hop: "next rule evaluation", seconds: frequency, basis: "setting", source: `evaluationFrequency ${inFlight ? "PT1M while a release is in flight" : "PT5M when stable"}` },
        { hop: "alert to action group to relay", seconds: 30, basis: "assumed", source: "no delivery latency is documented; webhook retries at 5, 20, 40 s are" },
        { hop: "relay: cold start and dispatch", seconds: 10, basis: "assumed", source: "a Consumption-plan function's cold start plus one GitHub API call" },
        { hop: "GitHub starts the rollback job", seconds: 30, basis: "assumed", source: "repository_dispatch to a hosted runner (one job: the decision is taken inside it)" },
        { hop: "checkout, node_modules from cache, Azure sign-in", seconds: 25, basis: "assumed", source: "actions/cache restore keyed on package-lock.json; npm ci only on a miss" },
        { hop: "stack output, should-rollback, the edit", seconds: 10, basis: "assumed", source: "pulumi stack output and two slotshift runs" },
        {
            hop: "pulumi up, routing only",
            seconds: Math.round(20 + input.routingUpdateSeconds),
            basis: "measured",
            source: `the program's evaluation offline (${input.routingUpdateSeconds.toFixed(1)} s, measured) plus 20 s assumed for ${tm ? "the two Traffic Manager endpoints' PUTs" : "the HTTPRoute's apply"}`,
        },
        tm
            ? { hop: "clients follow the DNS answer", seconds: config.traffic.ttl, basis: "setting", source: `slotshift:traffic.ttl (Traffic Manager DNS TTL)` }
            : { hop: "the gateway applies the route", seconds: 1, basis: "assumed", source: "an HTTPRoute weight change takes effect in the gateway's next reconcile" },
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
