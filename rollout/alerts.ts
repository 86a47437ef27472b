/**
 * The alert rules of a stack as data: what each watches, its threshold,
 * severity and whether it is a rollback trigger. Pure; the MonitoringAlerts
 * component turns these into Azure Monitor rules.
 *
 * Thresholds, windows and severities follow the release process (docs/RELEASE-PROCESS.md §5, which
 * quotes the wording each number comes from):
 * - error rate > 1 % over 5 minutes: critical, a rollback trigger; > 0.5 %: warning (investigate);
 * - p99 latency > 2 s: critical, a rollback trigger;
 * - CPU and memory > 80 %: warning; > 90 %: critical (investigate, not a rollback trigger);
 * - health probe failing more than 3 times (the kubelet's probes of the health path): critical, a rollback trigger;
 * - the app's connection pool above 18 of 20 (per instance): warning, scale up; the pool full for the
 *   whole window ("connection pool exhausted"): critical, a rollback trigger;
 * - with a database server named: its connections above a share of those apps may use: warning.
 *
 * One log rule per signal, split by the `slot` dimension: each query yields a row per slot (and
 * per window bin), and Azure fires one alert per slot whose row crosses the threshold, naming the
 * slot in the alert's dimensions. Where each signal's data comes from:
 * - `app`: the Application Insights tables of the app's own telemetry (AppRequests, AppMetrics),
 *   which the slots' OpenTelemetry distro writes (role name `<app>-<colour>`; README, telemetry contract);
 * - `cluster`: Container insights' tables (Perf, KubePodInventory, KubeEvents) in the workspace the
 *   cluster's data collection rule writes to (`slotshift:alerts.clusterWorkspace`);
 * - `database`: the PostgreSQL flexible server's own platform metric.
 *
 * Every query ends with one row per `slot` and `TimeGenerated` bin of the rule's window: a log
 * alert with a measure column aggregates the rows of each dimension value over time bins, and
 * Azure aligns `bin()` to the evaluation window (learn.microsoft.com, "Create or edit a log
 * search alert rule": aggregation granularity), so each evaluation sees one row per slot.
 *
 * The rollback triggers are also what `slotshift analyze` judges a step by (`rollbackSignals`):
 * one definition of each query and threshold, built either for the rules' bins or for one
 * explicit window from the step to now (`QueryWindow`).
 */
import { AlertsConfig, SLOT_COLOURS, SlotColour, SlotshiftConfig } from "./config";

/** Azure Monitor severities: 0 Critical, 1 Error, 2 Warning. */
export const SEVERITY = { rollback: 0, critical: 1, warning: 2 } as const;
export type Severity = (typeof SEVERITY)[keyof typeof SEVERITY];

/** Where a rule's data is. */
export type RuleSource = "app" | "cluster" | "database";

/** The dimension log rules split by: a column every query yields. */
export const SLOT_DIMENSION = "slot";

/** Minutes of data each rule evaluates (the release process's "5-minute window", docs/RELEASE-PROCESS.md §5). */
export const WINDOW_MINUTES = 5;

/** What every rule shares. */
interface RuleBase {
    /** Stable identifier, the resource's logical name and the alert's `signal`: `error-rate`, `cpu-warning`. */
    readonly id: string;
    /** A sentence for people: the rule's display name. */
    readonly title: string;
    readonly severity: Severity;
    /** Whether firing calls the rollback action group (the relay, the webhook). */
    readonly rollback: boolean;
    readonly operator: "GreaterThan" | "GreaterThanOrEqual" | "LessThan";
    readonly threshold: number;
    /** Minutes of data each evaluation looks at. */
    readonly windowMinutes: number;
    readonly source: RuleSource;
}

/** A log search alert over a Log Analytics workspace, split by slot. */
export interface LogRule extends RuleBase {
    readonly kind: "log";
    readonly source: "app" | "cluster";
    /** The KQL query; it yields a row per `slot` and `TimeGenerated` bin, with the `measure` column. */
    readonly query: string;
    readonly measure: string;
    /**
     * How far back the query reads, when it must read further than the window (ISO 8601
     * duration). Container insights stamps a Kubernetes event's rows with the event's creation
     * time, so repeated probe failures of one event keep an old `TimeGenerated`; the query
     * filters on `LastSeen` itself.
     */
    readonly queryTimeRange?: string;
}

/** A metric alert on an Azure resource. */
export interface MetricRule extends RuleBase {
    readonly kind: "metric";
    readonly source: "database";
    readonly metricNamespace: string;
    readonly metricName: string;
    readonly aggregation: "Maximum" | "Average" | "Minimum";
}

export type AlertRule = LogRule | MetricRule;

/** What the rules of a stack depend on. */
export interface AlertRulesInput {
    readonly app: string;
    /** The Kubernetes namespace of the slots. */
    readonly namespace: string;
    readonly alerts: AlertsConfig;
    /** The slots that exist (dev has one). */
    readonly colours: readonly SlotColour[];
    /** Whether the cluster's Container insights workspace is known: without it there are no cluster rules. */
    readonly cluster: boolean;
    /** The health path: the probes' requests are not the users', so the request rules leave them out. */
    readonly healthPath: string;
}

/**
 * What a stack's rules are built from, as the program builds them: its slots (dev runs one), its
 * namespace, and whether the cluster's Container insights workspace is named.
 */
export function alertRulesInputOf(cfg: SlotshiftConfig, prefix: string): AlertRulesInput {
    return {
        app: cfg.app.name,
        namespace: cfg.app.namespace ?? prefix,
        alerts: cfg.alerts,
        colours: cfg.rollout.strategy === "direct" ? [cfg.rollout.live] : [...SLOT_COLOURS],
        cluster: cfg.alerts.clusterWorkspace !== undefined,
        healthPath: cfg.app.healthPath,
    };
}

/** The Application Insights role of a slot: its pods set `OTEL_SERVICE_NAME` to it. */
export function roleName(app: string, colour: SlotColour): string {
    return `${app}-${colour}`;
}

/** Connections Azure Database for PostgreSQL flexible server keeps for itself (replication, monitoring). */
export const RESERVED_DB_CONNECTIONS = 15;

/**
 * The telemetry contract's names (OpenTelemetry semantic conventions for database client
 * metrics): the pool's connections by state, and its size.
 */
export const POOL_METRICS = {
    count: "db.client.connection.count",
    /** The pool's size: `db.client.connection.max`, which the conventions now call `db.client.connection.limit`; either counts. */
    size: ["db.client.connection.max", "db.client.connection.limit"],
    state: "db.client.connection.state",
} as const;

/** A string literal for KQL. */
function kql(text: string): string {
    return JSON.stringify(text);
}

/** The slot of a row from its role name: `AppRoleName in (...)` and a `slot` column. */
function bySlotRole(app: string, colours: readonly SlotColour[]): string[] {
    const roles = colours.map((c) => kql(roleName(app, c))).join(", ");
    const cases = colours.map((c) => `AppRoleName == ${kql(roleName(app, c))}, ${kql(c)}`).join(", ");
    return [`| where AppRoleName in (${roles})`, `| extend ${SLOT_DIMENSION} = case(${cases}, "")`];
}

/**
 * How often a rule evaluates. Azure optimises a one-minute rule's query and refuses one it cannot
 * ("One-minute frequency is not supported for this query"; skipQueryValidation does not bypass it),
 * and joins are among what it cannot: so only the rollback triggers, each a one-table query, run
 * every minute while a release is in flight; every other rule runs every five.
 */
export function frequencyOf(rule: AlertRule, inFlight: boolean): "PT1M" | "PT5M" {
    return rule.rollback ? evaluationFrequency(inFlight) : "PT5M";
}

/** The bin every query ends on: one per window, aligned to it by Azure. */
const bin = (minutes: number) => `TimeGenerated = bin(TimeGenerated, ${minutes}m)`;

/**
 * What a rollback trigger's query aggregates over: the alert rule's bins (one row per slot and
 * bin, which Azure aligns to each evaluation window), or one window from `start` to the end of
 * the query API's `timespan` (one row per slot), for `slotshift analyze`. The API applies its
 * timespan "in addition to any that are specified in the query expression" (the Log Analytics
 * query API, OperationalInsights.json 2022-10-27, `queryBody.timespan`), so a window's queries
 * need no time filter of their own on `TimeGenerated`.
 */
export type QueryWindow = { readonly kind: "bins"; readonly minutes: number } | { readonly kind: "since"; readonly start: Date };

/** The rules' window: bins of `WINDOW_MINUTES` (5). */
const RULE_BINS: QueryWindow = { kind: "bins", minutes: WINDOW_MINUTES };

/** How a summarize groups its rows: by slot and bin for a rule, by slot alone over a window. */
function groupOf(window: QueryWindow): string {
    return window.kind === "bins" ? `${SLOT_DIMENSION}, ${bin(window.minutes)}` : SLOT_DIMENSION;
}

/** The start of the window as KQL: `ago(5m)` for a rule, the step's time for a window. */
function windowStart(window: QueryWindow): string {
    return window.kind === "bins" ? `ago(${window.minutes}m)` : `datetime(${window.start.toISOString()})`;
}

/**
 * How far back the health query reads (its rule's `overrideQueryTimeRange`): Container insights
 * stamps a Kubernetes event's rows with the event's creation time, so a probe that keeps failing
 * keeps an old `TimeGenerated`; the query filters on `LastSeen` itself.
 */
export const PROBE_EVENTS_LOOKBACK = { iso: "P1D", minutes: 24 * 60 } as const;

/** The slot of a pod from its labels, as Container insights records them (`[{"app":...,"slot":"blue",...}]`). */
const podSlot = `extract('"slot":"(blue|green)"', 1, PodLabel)`;

/** The containers of the slots, by Container insights' `<podUid>/<container>` name, with their slot. */
function slotContainers(input: AlertRulesInput): string {
    return [
        "let containers = KubePodInventory",
        `| where Namespace == ${kql(input.namespace)}`,
        `| extend ${SLOT_DIMENSION} = ${podSlot}`,
        `| where ${SLOT_DIMENSION} in (${input.colours.map(kql).join(", ")})`,
        `| distinct ContainerName, ${SLOT_DIMENSION};`,
    ].join("\n");
}

/** A slot's usage of a resource as a percentage of its limit, from Container insights' Perf table. */
function usagePercentQuery(input: AlertRulesInput, usage: string, limit: string, measure: string, window: number): string {
    // Perf's InstanceName is <cluster id>/<pod uid>/<container>.
    const container = 'extend ContainerName = strcat(tostring(split(InstanceName, "/")[-2]), "/", tostring(split(InstanceName, "/")[-1]))';
    return [
        slotContainers(input),
        "let limits = Perf",
        `| where ObjectName == "K8SContainer" and CounterName == ${kql(limit)}`,
        `| ${container}`,
        "| summarize limit = max(CounterValue) by ContainerName;",
        "Perf",
        `| where ObjectName == "K8SContainer" and CounterName == ${kql(usage)}`,
        `| ${container}`,
        `| join kind=inner containers on ContainerName`,
        `| summarize usage = avg(CounterValue) by ContainerName, ${SLOT_DIMENSION}, ${bin(window)}`,
        "| join kind=inner limits on ContainerName",
        `| summarize ${measure} = max(100.0 * usage / limit) by ${SLOT_DIMENSION}, TimeGenerated`,
    ].join("\n");
}

/**
 * Probe failures of the slots' pods in the window, from Container insights' KubeEvents alone (a
 * one-minute rule takes no join). The slot is in the pod's name (`<app>-<colour>-<replica set>-<id>`).
 * Start-up is the startup probe's, whose failures read "Startup probe failed" and are left out:
 * readiness and liveness probes only run once it has passed.
 */
function probeFailuresQuery(input: AlertRulesInput, window: QueryWindow): string {
    const colours = input.colours.join("|");
    const since = windowStart(window);
    return [
        "KubeEvents",
        // The kubelet records a failed readiness or liveness probe as a Warning event, reason Unhealthy,
        // on the pod ("Readiness probe failed: ..."); Container insights collects Warning events by default.
        `| where Namespace == ${kql(input.namespace)} and ObjectKind == "Pod" and Reason == "Unhealthy"`,
        `| where Message !startswith "Startup probe"`,
        `| extend ${SLOT_DIMENSION} = extract(${kql(`^${input.app}-(${colours})-`)}, 1, Name)`,
        `| where isnotempty(${SLOT_DIMENSION}) and LastSeen > ${since}`,
        // An event's Count is cumulative: count what the window added, or all of an event that began in it.
        `| summarize first = min(Count), last = max(Count), began = min(FirstSeen), seen = max(LastSeen) by Name, Message, ${SLOT_DIMENSION}`,
        `| extend failures = iff(began > ${since}, last, last - first + 1)`,
        // The row's time is the last failure's: inside the window the rule evaluates.
        `| summarize probeFailures = sum(failures), TimeGenerated = max(seen) by ${SLOT_DIMENSION}`,
    ].join("\n");
}

/**
 * The connection-pool queries: the pool's use per instance of each slot, from the app's telemetry.
 * An instance's pool is judged per bin (`WINDOW_MINUTES`, 5): a window keeps those bins and
 * yields, per slot, the worst of them.
 */
function poolQuery(input: AlertRulesInput, window: QueryWindow, summary: string, measure: string): string {
    const bins = poolBinsQuery(input, window.kind === "bins" ? window.minutes : WINDOW_MINUTES, summary, measure);
    return window.kind === "bins" ? bins : `${bins}\n| summarize ${measure} = max(${measure}) by ${SLOT_DIMENSION}`;
}

function poolBinsQuery(input: AlertRulesInput, window: number, summary: string, measure: string): string {
    const p = POOL_METRICS;
    return [
        "AppMetrics",
        ...bySlotRole(input.app, input.colours),
        `| where Name in (${p.size.map(kql).join(", ")}) or (Name == ${kql(p.count)} and tostring(Properties[${kql(p.state)}]) == "used")`,
        // Gauges and up-down counters (exported cumulative) arrive with their current value in Sum.
        `| summarize minUsed = minif(Sum, Name == ${kql(p.count)}), maxUsed = maxif(Sum, Name == ${kql(p.count)}), size = maxif(Sum, Name != ${kql(p.count)}) by ${SLOT_DIMENSION}, AppRoleInstance, ${bin(window)}`,
        // An instance that reports no pool size has the contract's (slotshift:alerts.dbConnections.max).
        `| extend size = iff(isnull(size) or size <= 0, real(${input.alerts.dbConnections.max}), size)`,
        `| where isnotnull(maxUsed)`,
        `| summarize ${measure} = ${summary} by ${SLOT_DIMENSION}, TimeGenerated`,
    ].join("\n");
}

/** A rollback trigger: its query (for the rules' bins or for one window) and its threshold, defined once. */
export interface Signal {
    /** The alert's `signal` and the rule's id: `error-rate`, `p99-latency`, `pool-exhausted`, `health`. */
    readonly id: string;
    /** The rule's display title. */
    readonly title: string;
    readonly source: "app" | "cluster";
    /** The column the query yields the measure in. */
    readonly measure: string;
    readonly operator: "GreaterThan";
    readonly threshold: number;
    /** The column holding the requests a measure stands on, for a signal judged only from `minRequests`. */
    readonly requests?: string;
    /**
     * Over a window only: the columns of the rows the measure stands on as recorded (`count()`: the
     * distro samples, and each row stands for `ItemCount` requests) and, for the error rate, of the
     * failed ones: what a comparison with the live slot weighs its evidence by.
     */
    readonly recorded?: { readonly rows: string; readonly failedRows?: string };
    /** How far back the query reads beyond its window (ISO 8601 duration, and in minutes). */
    readonly lookback?: { readonly iso: string; readonly minutes: number };
    /**
     * What a slot without a row means: `unknown` (nothing reported: no evidence either way) or
     * `zero` (the table has rows only for what is counted, as KubeEvents for failed probes).
     */
    readonly noRow: "unknown" | "zero";
    /** The KQL query: a row per slot (and bin, for a rule). */
    query(window: QueryWindow): string;
}

/** The users' requests to the slots, without the health path's. */
function requestsOf(input: AlertRulesInput): string {
    // The probes of the health path (the kubelet's, Traffic Manager's) are not users' requests: a
    // slot with a trickle of traffic would be judged on them, and a dependency the health check
    // reports on would count as the app's own errors.
    return ["AppRequests", ...bySlotRole(input.app, input.colours), `| where tostring(parse_url(Url).Path) != ${kql(input.healthPath)}`].join("\n");
}

/**
 * The error rate per slot. A rule judges no rate on fewer than `slotshift:alerts.minRequests` in a
 * bin; over a window the rows keep their count of requests, for the analysis's own minimum.
 */
function errorRateQuery(input: AlertRulesInput, window: QueryWindow): string {
    return [
        requestsOf(input),
        // Server errors only: a 404 from a scanner is the client's, not the candidate's. The distro samples
        // requests (ItemCount is how many each row stands for), so the rate is of the counts they stand for.
        `| summarize total = sum(ItemCount), failed = sumif(ItemCount, toint(ResultCode) >= 500)${window.kind === "since" ? ", rows = count(), failedRows = countif(toint(ResultCode) >= 500)" : ""} by ${groupOf(window)}`,
        // Too few requests for a rate: one failure in a handful is not a 1 % error rate.
        ...(window.kind === "bins" ? [`| where total >= ${input.alerts.minRequests}`] : []),
        "| extend errorRatePercent = 100.0 * failed / total",
    ].join("\n");
}

/** The p99 latency per slot, with the same minimum of requests as the error rate. */
function p99Query(input: AlertRulesInput, window: QueryWindow): string {
    const where = window.kind === "bins" ? `\n| where total >= ${input.alerts.minRequests}` : "";
    const rows = window.kind === "since" ? ", rows = count()" : "";
    return `${requestsOf(input)}\n| summarize total = sum(ItemCount), p99LatencyMs = percentile(DurationMs, 99)${rows} by ${groupOf(window)}${where}`;
}

/**
 * The rollback triggers of a stack: the signals whose rules call the rollback action group, and
 * which `slotshift analyze` judges a step by. Health needs the cluster's Container insights workspace.
 */
export function rollbackSignals(input: AlertRulesInput): Signal[] {
    const a = input.alerts;
    const w = WINDOW_MINUTES;
    const signals: Signal[] = [
        { id: "error-rate", title: `error rate above ${a.errorRatePercent} % over ${w} minutes`, source: "app", measure: "errorRatePercent", operator: "GreaterThan", threshold: a.errorRatePercent, requests: "total", recorded: { rows: "rows", failedRows: "failedRows" }, noRow: "unknown", query: (x) => errorRateQuery(input, x) },
        { id: "p99-latency", title: `p99 latency above ${a.p99LatencyMs} ms`, source: "app", measure: "p99LatencyMs", operator: "GreaterThan", threshold: a.p99LatencyMs, requests: "total", recorded: { rows: "rows" }, noRow: "unknown", query: (x) => p99Query(input, x) },
        {
            id: "pool-exhausted",
            title: `connection pool exhausted: an instance used all of its pool for ${w} minutes`,
            source: "app",
            measure: "exhaustedInstances",
            operator: "GreaterThan",
            threshold: 0,
            noRow: "unknown",
            query: (x) => poolQuery(input, x, "countif(minUsed >= size)", "exhaustedInstances"),
        },
    ];
    if (input.cluster) {
        signals.push({
            id: "health",
            title: `health probe failing more than ${a.healthFailures} times`,
            source: "cluster",
            measure: "probeFailures",
            operator: "GreaterThan",
            threshold: a.healthFailures,
            lookback: PROBE_EVENTS_LOOKBACK,
            noRow: "zero",
            query: (x) => probeFailuresQuery(input, x),
        });
    }
    return signals;
}

/** The alert rules of a stack. */
export function alertRules(input: AlertRulesInput): AlertRule[] {
    const a = input.alerts;
    const w = WINDOW_MINUTES;
    const rules: AlertRule[] = [];
    const triggers = new Map(rollbackSignals(input).map((s) => [s.id, s]));
    const trigger = (id: string): Signal => triggers.get(id)!;
    const errors = trigger("error-rate");
    // The warning rule reads the same query as the trigger, with its own threshold.
    const errorRate = errors.query(RULE_BINS);
    const app = { kind: "log", source: "app", windowMinutes: w } as const;
    const p99 = trigger("p99-latency");
    rules.push(
        { ...app, id: "error-rate", title: errors.title, severity: SEVERITY.rollback, rollback: true, operator: "GreaterThan", threshold: errors.threshold, query: errorRate, measure: errors.measure },
        { ...app, id: "error-rate-warning", title: `error rate above ${a.errorRateWarningPercent} % over ${w} minutes`, severity: SEVERITY.warning, rollback: false, operator: "GreaterThan", threshold: a.errorRateWarningPercent, query: errorRate, measure: "errorRatePercent" },
        {
            ...app,
            id: "p99-latency",
            title: p99.title,
            severity: SEVERITY.rollback,
            rollback: true,
            operator: "GreaterThan",
            threshold: p99.threshold,
            query: p99.query(RULE_BINS),
            measure: p99.measure,
        },
    );
    const pool = a.dbConnections;
    const warnPercent = (100 * pool.alertAt) / pool.max;
    const exhausted = trigger("pool-exhausted");
    rules.push(
        {
            ...app,
            id: "pool-warning",
            title: `connection pool above ${pool.alertAt} of ${pool.max} in an instance: scale up`,
            severity: SEVERITY.warning,
            rollback: false,
            operator: "GreaterThan",
            threshold: Math.round(warnPercent * 100) / 100,
            query: poolQuery(input, RULE_BINS, "max(100.0 * maxUsed / size)", "poolUsedPercent"),
            measure: "poolUsedPercent",
        },
        {
            ...app,
            id: "pool-exhausted",
            title: exhausted.title,
            severity: SEVERITY.rollback,
            rollback: true,
            operator: "GreaterThan",
            threshold: exhausted.threshold,
            query: exhausted.query(RULE_BINS),
            measure: exhausted.measure,
        },
    );
    if (input.cluster) {
        const cluster = { kind: "log", source: "cluster", windowMinutes: w } as const;
        for (const [resource, usage, limit, t] of [
            ["cpu", "cpuUsageNanoCores", "cpuLimitNanoCores", a.cpuPercent],
            ["memory", "memoryWorkingSetBytes", "memoryLimitBytes", a.memoryPercent],
        ] as const) {
            const measure = `${resource}Percent`;
            const query = usagePercentQuery(input, usage, limit, measure, w);
            rules.push(
                { ...cluster, id: `${resource}-warning`, title: `${resource} above ${t.warning} % of its limit`, severity: SEVERITY.warning, rollback: false, operator: "GreaterThan", threshold: t.warning, query, measure },
                { ...cluster, id: `${resource}-critical`, title: `${resource} above ${t.critical} % of its limit`, severity: SEVERITY.critical, rollback: false, operator: "GreaterThan", threshold: t.critical, query, measure },
            );
        }
        // The kubelet's readiness and liveness probes call the same health path as the router's.
        // (Traffic Manager's endpoint metric cannot serve: Azure reports 0 for every disabled
        // endpoint, so the idle slot would always look down and trigger rollbacks.)
        const health = trigger("health");
        rules.push({
            ...cluster,
            id: "health",
            title: health.title,
            severity: SEVERITY.rollback,
            rollback: true,
            operator: "GreaterThan",
            threshold: health.threshold,
            query: health.query(RULE_BINS),
            measure: health.measure,
            queryTimeRange: PROBE_EVENTS_LOOKBACK.iso,
        });
    }
    if (a.database !== undefined) {
        const usable = a.database.maxConnections - RESERVED_DB_CONNECTIONS;
        const threshold = Math.floor((usable * a.database.warningPercent) / 100);
        rules.push({
            kind: "metric",
            source: "database",
            windowMinutes: w,
            metricNamespace: "Microsoft.DBforPostgreSQL/flexibleServers",
            metricName: "active_connections",
            aggregation: "Maximum",
            id: "db-server-connections",
            title: `database server connections above ${threshold} (${a.database.warningPercent} % of the ${usable} apps may use)`,
            severity: SEVERITY.warning,
            rollback: false,
            operator: "GreaterThan",
            threshold,
        });
    }
    return rules;
}

/**
 * How often the rules evaluate: every minute while a release is in flight
 * (a candidate staged, taking traffic, or the previous slot held warm), every
 * five otherwise. Weight steps, rollbacks and finalize stay inside one release,
 * so they change no alert rule.
 */
export function evaluationFrequency(inFlight: boolean): "PT1M" | "PT5M" {
    return inFlight ? "PT1M" : "PT5M";
}

/** The warning of a stack whose rollback triggers reach nobody who can roll back. */
export const ROLLBACK_PATH_MISSING =
    "neither slotshift:rollback nor slotshift:alerts.webhookUrl is set, so a firing rollback trigger (error rate, p99 latency, " +
    "pool exhausted, health) only sends email and takes no traffic off the candidate; set slotshift:rollback " +
    "{ repository, token } to deploy the relay to GitHub (README, the safety loop)";

/** The warning of a stack that does not name the workspace its cluster's Container insights writes to. */
export const CLUSTER_WORKSPACE_MISSING =
    "slotshift:alerts.clusterWorkspace is not set, so the CPU, memory and health rules are not created: the health rollback trigger " +
    "needs the Log Analytics workspace the cluster's Container insights writes to (az aks show --query " +
    "addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID); set it to { resourceGroup, name }";
