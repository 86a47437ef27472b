import * as pulumi from "@pulumi/pulumi";
import { ActionGroup, MetricAlert, ScheduledQueryRule } from "@pulumi/azure-native/monitor";
import { AlertRule, SLOT_DIMENSION, frequencyOf } from "../rollout/alerts";

export interface MonitoringAlertsArgs {
    /** The app's name, for display names. */
    readonly app: string;
    /** The stack, for display names and the webhook's payload. */
    readonly stack: string;
    /** The resource group of the action groups and rules. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** The Azure region of the log alert rules. */
    readonly location: string;
    /** The rules, as `alertRules` gives them. */
    readonly rules: readonly AlertRule[];
    /** Whether a release is in flight: rules then evaluate every minute instead of every five. */
    readonly inFlight: boolean;
    /** Who gets every alert by email (common alert schema). @default [] */
    readonly emails?: readonly string[];
    /** The rollback webhooks (Pulumi secrets): rollback triggers call each, by receiver name. @default {} */
    readonly webhooks?: Readonly<Record<string, pulumi.Input<string>>>;
    /** The Log Analytics workspace of the app's telemetry: the `app` rules query it. */
    readonly workspaceId: pulumi.Input<string>;
    /** The workspace the cluster's Container insights writes to: the `cluster` rules query it. */
    readonly clusterWorkspaceId?: pulumi.Input<string>;
    /** The shared PostgreSQL flexible server, for the connection rules. */
    readonly databaseServerId?: pulumi.Input<string>;
}

/** The short name of an action group: Azure allows 12 characters. */
export function groupShortName(stack: string, purpose: string): string {
    return `${purpose.slice(0, 4)}-${stack}`.replace(/[^A-Za-z0-9-]/g, "").slice(0, 12);
}

/**
 * Azure Monitor for one stack: an action group that notifies, one that also
 * calls the rollback webhooks (the relay, a webhook of the stack's own), and a
 * rule per signal, split by slot, with the thresholds of docs/RELEASE-PROCESS.md §5 (the data:
 * `rollout/alerts.ts`).
 */
export class MonitoringAlerts extends pulumi.ComponentResource {
    /** The action group every rule notifies. */
    public readonly notifyGroupId: pulumi.Output<string>;
    /** The action group of the rollback triggers (the notify group when no webhook is set). */
    public readonly rollbackGroupId: pulumi.Output<string>;
    /** The rules' logical names, `<name>-<id>`. */
    public readonly ruleNames: readonly string[];

    constructor(name: string, args: MonitoringAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slotshift:azure:MonitoringAlerts", name, {}, opts);
        for (const r of args.rules) {
            if (r.source === "database" && args.databaseServerId === undefined) {
                throw new Error(`MonitoringAlerts ${name}: rule ${r.id} watches the database but databaseServerId is not given`);
            }
            if (r.source === "cluster" && args.clusterWorkspaceId === undefined) {
                throw new Error(`MonitoringAlerts ${name}: rule ${r.id} reads Container insights but clusterWorkspaceId is not given`);
            }
        }
        const webhooks = Object.entries(args.webhooks ?? {});
        const emails = (args.emails ?? []).map((address, i) => ({ name: `email-${i + 1}`, emailAddress: address, useCommonAlertSchema: true }));
        // Every rule notifies by email; the rollback triggers also call the webhooks.
        const group = (purpose: "notify" | "rollback", hooks: readonly (readonly [string, pulumi.Input<string>])[]) =>
            new ActionGroup(
                `${name}-${purpose}`,
                {
                    resourceGroupName: args.resourceGroupName,
                    location: "Global",
                    enabled: true,
                    groupShortName: groupShortName(args.stack, purpose),
                    emailReceivers: emails,
                    ...(hooks.length === 0
                        ? {}
                        : { webhookReceivers: hooks.map(([receiver, url]) => ({ name: receiver, serviceUri: pulumi.secret(url), useCommonAlertSchema: true })) }),
                },
                { parent: this },
            ).id;
        this.notifyGroupId = group("notify", []);
        this.rollbackGroupId = webhooks.length === 0 ? this.notifyGroupId : group("rollback", webhooks);

        const names: string[] = [];
        for (const rule of args.rules) {
            const logical = `${name}-${rule.id}`;
            names.push(logical);
            const group = rule.rollback ? this.rollbackGroupId : this.notifyGroupId;
            // What the relay reads to decide: which stack, which signal, whether to roll back. The slot
            // is the alert's `slot` dimension (log rules); a database server alert has none.
            const properties = { app: args.app, stack: args.stack, signal: rule.id, rollback: String(rule.rollback) };
            const displayName = `${args.app}-${args.stack} ${rule.title}`;
            const window = `PT${rule.windowMinutes}M`;
            const frequency = frequencyOf(rule, args.inFlight);
            if (rule.kind === "log") {
                new ScheduledQueryRule(
                    logical,
                    {
                        resourceGroupName: args.resourceGroupName,
                        location: args.location,
                        kind: "LogAlert",
                        displayName,
                        description: rule.title,
                        enabled: true,
                        severity: rule.severity,
                        scopes: [rule.source === "cluster" ? args.clusterWorkspaceId! : args.workspaceId],
                        evaluationFrequency: frequency,
                        windowSize: window,
                        ...(rule.queryTimeRange === undefined ? {} : { overrideQueryTimeRange: rule.queryTimeRange }),
                        // A new workspace has never seen AppRequests, AppMetrics or Container insights' tables,
                        // and Azure resolves every table of a query at creation ("Failed to resolve table or
                        // column expression"). The flag exists so that "a rule can be deployed before a table
                        // exists" (scheduledQueryRule_API.json, 2025-01-01-preview: skipQueryValidation).
                        skipQueryValidation: true,
                        // A rollback trigger is stateless: it fires at every evaluation its condition holds,
                        // at most once per 5 minutes, so a candidate that was bad while staged (the decision
                        // then does nothing) or whose first rollback failed is tried again. A stateful alert
                        // "will not fire again ... until the conditions are resolved" (learn.microsoft.com,
                        // alerts overview). The other rules resolve themselves (and send Resolved, which the
                        // relay ignores).
                        ...(rule.rollback ? { autoMitigate: false, muteActionsDuration: `PT${rule.windowMinutes}M` } : { autoMitigate: true }),
                        criteria: {
                            allOf: [
                                {
                                    query: rule.query,
                                    timeAggregation: "Maximum",
                                    metricMeasureColumn: rule.measure,
                                    // One alert per slot, the slot named in the alert's dimensions.
                                    dimensions: [{ name: SLOT_DIMENSION, operator: "Include", values: ["*"] }],
                                    operator: rule.operator,
                                    threshold: rule.threshold,
                                    failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                                },
                            ],
                        },
                        actions: { actionGroups: [group], customProperties: properties },
                    },
                    { parent: this },
                );
            } else {
                const scope = args.databaseServerId!;
                new MetricAlert(
                    logical,
                    {
                        resourceGroupName: args.resourceGroupName,
                        location: "global",
                        description: displayName,
                        enabled: true,
                        severity: rule.severity,
                        scopes: [scope],
                        evaluationFrequency: frequency,
                        windowSize: window,
                        autoMitigate: true,
                        criteria: {
                            odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                            allOf: [
                                {
                                    criterionType: "StaticThresholdCriterion",
                                    name: rule.id,
                                    metricNamespace: rule.metricNamespace,
                                    metricName: rule.metricName,
                                    operator: rule.operator,
                                    threshold: rule.threshold,
                                    timeAggregation: rule.aggregation,
                                    dimensions: [],
                                },
                            ],
                        },
                        actions: [{ actionGroupId: group, webHookProperties: properties }],
                    },
                    { parent: this },
                );
            }
        }
        this.ruleNames = names;
        this.registerOutputs({ notifyGroupId: this.notifyGroupId, rollbackGroupId: this.rollbackGroupId });
    }
}
