import * as pulumi from "@pulumi/pulumi";
import { ActionGroup, MetricAlert, ScheduledQueryRule } from "@pulumi/azure-native/monitor";
import { AlertRule, evaluationFrequency } from "../rollout/alerts";

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
    /** The rollback webhook (a Pulumi secret): rollback triggers call it. */
    readonly webhookUrl?: pulumi.Input<string>;
    /** The Log Analytics workspace the log rules query. */
    readonly workspaceId: pulumi.Input<string>;
    /** The shared PostgreSQL flexible server, for the connection rules. */
    readonly databaseServerId?: pulumi.Input<string>;
}

/** The short name of an action group: Azure allows 12 characters. */
export function groupShortName(stack: string, purpose: string): string {
    return `${purpose.slice(0, 4)}-${stack}`.replace(/[^A-Za-z0-9-]/g, "").slice(0, 12);
}

/**
 * Azure Monitor for one stack: an action group that notifies, one that also
 * calls the rollback webhook, and a rule per slot and signal with the seeds'
 * thresholds (see `rollout/alerts.ts`).
 */
export class MonitoringAlerts extends pulumi.ComponentResource {
    /** The action group every rule notifies. */
    public readonly notifyGroupId: pulumi.Output<string>;
    /** The action group of the rollback triggers (the notify group when no webhook is set). */
    public readonly rollbackGroupId: pulumi.Output<string>;
    /** The rules' logical names by `<slot>-<id>`. */
    public readonly ruleNames: readonly string[];

    constructor(name: string, args: MonitoringAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slotshift:azure:MonitoringAlerts", name, {}, opts);
        for (const r of args.rules) {
            if (r.kind === "metric" && r.scope === "database" && args.databaseServerId === undefined) {
                throw new Error(`MonitoringAlerts ${name}: rule ${r.id} watches the database but databaseServerId is not given`);
            }
        }
        const emails = (args.emails ?? []).map((address, i) => ({ name: `email-${i + 1}`, emailAddress: address, useCommonAlertSchema: true }));
        // Every rule notifies by email; the rollback triggers also call the webhook.
        const group = (purpose: "notify" | "rollback", webhookUrl?: pulumi.Input<string>) =>
            new ActionGroup(
                `${name}-${purpose}`,
                {
                    resourceGroupName: args.resourceGroupName,
                    location: "Global",
                    enabled: true,
                    groupShortName: groupShortName(args.stack, purpose),
                    emailReceivers: emails,
                    ...(webhookUrl === undefined ? {} : { webhookReceivers: [{ name: "rollback", serviceUri: pulumi.secret(webhookUrl), useCommonAlertSchema: true }] }),
                },
                { parent: this },
            ).id;
        this.notifyGroupId = group("notify");
        this.rollbackGroupId = args.webhookUrl === undefined ? this.notifyGroupId : group("rollback", args.webhookUrl);

        const frequency = evaluationFrequency(args.inFlight);
        const names: string[] = [];
        for (const rule of args.rules) {
            const logical = `${name}-${rule.slot === null ? "" : `${rule.slot}-`}${rule.id}`;
            names.push(logical);
            const group = rule.rollback ? this.rollbackGroupId : this.notifyGroupId;
            // What the webhook's receiver reads to decide: which stack, which slot, whether to roll back.
            const properties = { app: args.app, stack: args.stack, slot: rule.slot ?? "", signal: rule.id, rollback: String(rule.rollback) };
            const displayName = `${args.app}-${args.stack} ${rule.title}`;
            const window = `PT${rule.windowMinutes}M`;
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
                        scopes: [args.workspaceId],
                        evaluationFrequency: frequency,
                        windowSize: window,
                        autoMitigate: true,
                        criteria: {
                            allOf: [
                                {
                                    query: rule.query,
                                    timeAggregation: "Maximum",
                                    metricMeasureColumn: rule.measure,
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
                                    dimensions: rule.dimension === undefined ? [] : [{ name: rule.dimension.name, operator: "Include", values: [...rule.dimension.values] }],
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
