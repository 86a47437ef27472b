import * as pulumi from "@pulumi/pulumi";
import { Component } from "@pulumi/azure-native/applicationinsights";
import { Workspace, getWorkspaceOutput } from "@pulumi/azure-native/operationalinsights";
import { Secret } from "@pulumi/kubernetes/core/v1";

export interface TelemetryArgs {
    /** The app's name: the Kubernetes Secret is `<app>-telemetry`. */
    readonly app: string;
    /** The resource group of the workspace and Application Insights. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** The Azure region. */
    readonly location: string;
    /** The subscription, to name an existing workspace. */
    readonly subscriptionId: pulumi.Input<string>;
    /** Days the workspace keeps data. @default 30 */
    readonly retentionDays?: number;
    /** An existing Log Analytics workspace to use instead of creating one. */
    readonly existingWorkspace?: { readonly resourceGroup: string; readonly name: string };
    /** The workspace's name (4 to 63 letters, digits and '-'). */
    readonly workspaceName: string;
    /** The namespace the slots run in: the connection string goes there as a Secret. */
    readonly namespace: pulumi.Input<string>;
}

/** The Kubernetes Secret key holding the Application Insights connection string. */
export const CONNECTION_STRING_KEY = "connection-string";

/**
 * Where a stack's telemetry goes: a Log Analytics workspace (or an existing
 * one), a workspace-based Application Insights, and the connection string as a
 * Kubernetes Secret the slots read. The connection string is a Pulumi secret.
 */
export class Telemetry extends pulumi.ComponentResource {
    /** The Log Analytics workspace's resource ID: the scope of the log alerts. */
    public readonly workspaceId: pulumi.Output<string>;
    /**
     * The workspace's ID as the Log Analytics query API takes it: its `customerId`, a GUID ("the
     * Workspace ID from the Properties blade", OperationalInsights.json 2022-10-27), not the resource
     * ID. `slotshift analyze` reads it from the stack's outputs.
     */
    public readonly workspaceCustomerId: pulumi.Output<string>;
    /** The Application Insights resource ID. */
    public readonly appInsightsId: pulumi.Output<string>;
    /** The Kubernetes Secret's name, in the slots' namespace. */
    public readonly secretName: pulumi.Output<string>;
    /** The Application Insights connection string: a Pulumi secret. */
    public readonly connectionString: pulumi.Output<string>;

    constructor(name: string, args: TelemetryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slotshift:azure:Telemetry", name, {}, opts);
        const retention = args.retentionDays ?? 30;
        if (!Number.isInteger(retention) || retention < 30 || retention > 730) {
            throw new Error(`Telemetry ${name}: retentionDays is ${retention}; allowed: 30 to 730`);
        }
        if (args.existingWorkspace) {
            const w = args.existingWorkspace;
            this.workspaceId = pulumi.interpolate`/subscriptions/${args.subscriptionId}/resourceGroups/${w.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${w.name}`;
            // A read of the existing workspace (in the stack's subscription, as its resource ID above).
            this.workspaceCustomerId = getWorkspaceOutput({ resourceGroupName: w.resourceGroup, workspaceName: w.name }, { parent: this }).customerId;
        } else {
            const workspace = new Workspace(
                `${name}-workspace`,
                {
                    resourceGroupName: args.resourceGroupName,
                    // A fixed, checked name: auto-naming adds 8 characters and the service allows 63.
                    workspaceName: args.workspaceName,
                    location: args.location,
                    sku: { name: "PerGB2018" },
                    retentionInDays: retention,
                },
                { parent: this },
            );
            this.workspaceId = workspace.id;
            this.workspaceCustomerId = workspace.customerId;
        }
        const insights = new Component(
            `${name}-appinsights`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                kind: "web",
                applicationType: "web",
                ingestionMode: "LogAnalytics",
                workspaceResourceId: this.workspaceId,
            },
            { parent: this },
        );
        this.appInsightsId = insights.id;
        this.connectionString = pulumi.secret(insights.connectionString);
        const secret = new Secret(
            `${name}-secret`,
            {
                metadata: { name: `${args.app}-telemetry`, namespace: args.namespace, labels: { app: args.app } },
                type: "Opaque",
                stringData: { [CONNECTION_STRING_KEY]: this.connectionString },
            },
            { parent: this },
        );
        this.secretName = secret.metadata.name;
        this.registerOutputs({
            workspaceId: this.workspaceId,
            workspaceCustomerId: this.workspaceCustomerId,
            appInsightsId: this.appInsightsId,
            secretName: this.secretName,
        });
    }
}
