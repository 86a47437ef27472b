/**
 * The alert rules of a stack as data: what each watches, its threshold,
 * severity and whether it is a rollback trigger. Pure; the MonitoringAlerts
 * component turns these into Azure Monitor rules.
 *
 * Thresholds, windows and severities follow the seeds:
 * - error rate > 1 % over 5 minutes: critical, a rollback trigger; > 0.5 %: warning (investigate);
 * - p99 latency > 2 s: critical, a rollback trigger;
 * - CPU and memory > 80 %: warning; > 90 %: critical (investigate, not a rollback trigger);
 * - health probe failing more than 3 times (the kubelet's probes of the health path): critical, a rollback trigger;
 * - database connections > 18 of 20: warning (scale up); all 20 in use (pool exhausted): critical, a rollback trigger.
 */
import { AlertsConfig, SlotColour } from "./config";

/** Azure Monitor severities: 0 Critical, 1 Error, 2 Warning. */
export const SEVERITY = { rollback: 0, critical: 1, warning: 2 } as const;
export type Severity = (typeof SEVERITY)[keyof typeof SEVERITY];

/** What every rule shares. */
interface RuleBase {
    /** Stable identifier, part of the resource's logical name: `error-rate`, `cpu-warning`. */
    readonly id: string;
    /** The slot watched; null for a rule of the whole stack (the shared database). */
    readonly slot: SlotColour | null;
    /** A sentence for people: the rule's display name. */
    readonly title: string;
    readonly severity: Severity;
    /** Whether firing calls the rollback webhook. */
    readonly rollback: boolean;
    readonly operator: "GreaterThan" | "GreaterThanOrEqual" | "LessThan";
    readonly threshold: number;
    /** Minutes of data each evaluation looks at. */
    readonly windowMinutes: number;
}

/** A log search alert over the Log Analytics workspace. */
export interface LogRule extends RuleBase {
    readonly kind: "log";
    /** The KQL query; it yields one row with the `measure` column. */
    readonly query: string;
    readonly measure: string;
}

/** A metric alert on an Azure resource. */
export interface MetricRule extends RuleBase {
    readonly kind: "metric";
    /** Which resource the metric belongs to. */
    readonly scope: "database";
    readonly metricNamespace: string;
    readonly metricName: string;
    readonly aggregation: "Maximum" | "Average" | "Minimum";
    /** A dimension filter, e.g. the endpoint of one slot. */
    readonly dimension?: { readonly name: string; readonly values: readonly string[] };
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
    /** Whether a shared database is watched. */
    readonly database: boolean;
}

/** The Application Insights role of a slot: its pods set `OTEL_SERVICE_NAME` to it. */
export function roleName(app: string, colour: SlotColour): string {
    return `${app}-${colour}`;
}

/** A string literal for KQL. */
function kql(text: string): string {
    return JSON.stringify(text);
}

/** The containers of one slot, by Container Insights' `<podUid>/<container>` name. */
function slotContainers(namespace: string, colour: SlotColour): string {
    return [
        "let containers = KubePodInventory",
        `| where Namespace == ${kql(namespace)} and PodLabel has ${kql(`"slot":"${colour}"`)}`,
        "| distinct ContainerName;",
    ].join("\n");
}

/** A slot's usage of a resource as a percentage of its limit, from Container Insights' Perf table. */
function usagePercentQuery(namespace: string, colour: SlotColour, usage: string, limit: string, measure: string): string {
    const container = 'extend ContainerName = strcat(tostring(split(InstanceName, "/")[-2]), "/", tostring(split(InstanceName, "/")[-1]))';
    return [
        slotContainers(namespace, colour),
        "let limits = Perf",
        `| where ObjectName == "K8SContainer" and CounterName == ${kql(limit)}`,
        `| ${container}`,
        "| where ContainerName in (containers)",
        "| summarize limit = max(CounterValue) by ContainerName;",
        "Perf",
        `| where ObjectName == "K8SContainer" and CounterName == ${kql(usage)}`,
        `| ${container}`,
        "| where ContainerName in (containers)",
        "| summarize usage = avg(CounterValue) by ContainerName",
        "| join kind=inner limits on ContainerName",
        `| summarize ${measure} = max(100.0 * usage / limit)`,
    ].join("\n");
}

/** The alert rules of a stack. */
export function alertRules(input: AlertRulesInput): AlertRule[] {
    const a = input.alerts;
    const rules: AlertRule[] = [];
    for (const colour of input.colours) {
        const role = roleName(input.app, colour);
        const requests = `AppRequests\n| where AppRoleName == ${kql(role)}`;
        const errorRate = `${requests}\n| summarize total = count(), failed = countif(Success == false)\n| extend errorRatePercent = iff(total == 0, 0.0, 100.0 * failed / total)`;
        const base = { slot: colour, windowMinutes: 5 } as const;
        rules.push(
            { ...base, kind: "log", id: "error-rate", title: `${colour}: error rate above ${a.errorRatePercent} % over 5 minutes`, severity: SEVERITY.rollback, rollback: true, operator: "GreaterThan", threshold: a.errorRatePercent, query: errorRate, measure: "errorRatePercent" },
            { ...base, kind: "log", id: "error-rate-warning", title: `${colour}: error rate above ${a.errorRateWarningPercent} % over 5 minutes`, severity: SEVERITY.warning, rollback: false, operator: "GreaterThan", threshold: a.errorRateWarningPercent, query: errorRate, measure: "errorRatePercent" },
            { ...base, kind: "log", id: "p99-latency", title: `${colour}: p99 latency above ${a.p99LatencyMs} ms`, severity: SEVERITY.rollback, rollback: true, operator: "GreaterThan", threshold: a.p99LatencyMs, query: `${requests}\n| summarize p99LatencyMs = percentile(DurationMs, 99)`, measure: "p99LatencyMs" },
        );
        for (const [resource, usage, limit, t] of [
            ["cpu", "cpuUsageNanoCores", "cpuLimitNanoCores", a.cpuPercent],
            ["memory", "memoryWorkingSetBytes", "memoryLimitBytes", a.memoryPercent],
        ] as const) {
            const measure = `${resource}Percent`;
            const query = usagePercentQuery(input.namespace, colour, usage, limit, measure);
            rules.push(
                { ...base, kind: "log", id: `${resource}-warning`, title: `${colour}: ${resource} above ${t.warning} % of its limit`, severity: SEVERITY.warning, rollback: false, operator: "GreaterThan", threshold: t.warning, query, measure },
                { ...base, kind: "log", id: `${resource}-critical`, title: `${colour}: ${resource} above ${t.critical} % of its limit`, severity: SEVERITY.critical, rollback: false, operator: "GreaterThan", threshold: t.critical, query, measure },
            );
        }
        // The kubelet's readiness and liveness probes call the same health path as the router's.
        // (Traffic Manager's endpoint metric cannot serve: Azure reports 0 for every disabled
        // endpoint, so the idle slot would always look down and trigger rollbacks.)
        const query = `KubeEvents\n| where Namespace == ${kql(input.namespace)} and Reason == "Unhealthy" and Name startswith ${kql(`${input.app}-${colour}-`)}\n| summarize probeFailures = count()`;
        rules.push({ ...base, kind: "log", id: "health", title: `${colour}: health probe failing more than ${a.healthFailures} times`, severity: SEVERITY.rollback, rollback: true, operator: "GreaterThan", threshold: a.healthFailures, query, measure: "probeFailures" });
    }
    if (input.database) {
        const db = { slot: null, windowMinutes: 5, kind: "metric", scope: "database", metricNamespace: "Microsoft.DBforPostgreSQL/flexibleServers", metricName: "active_connections", aggregation: "Maximum" } as const;
        rules.push(
            { ...db, id: "db-connections", title: `database connections above ${a.dbConnections.alertAt} of ${a.dbConnections.max}: scale up`, severity: SEVERITY.warning, rollback: false, operator: "GreaterThan", threshold: a.dbConnections.alertAt },
            { ...db, id: "db-connections-exhausted", title: `database connection pool exhausted (${a.dbConnections.max} of ${a.dbConnections.max})`, severity: SEVERITY.rollback, rollback: true, operator: "GreaterThanOrEqual", threshold: a.dbConnections.max },
        );
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
