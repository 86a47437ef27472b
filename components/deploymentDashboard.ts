import * as pulumi from "@pulumi/pulumi";
import { Dashboard } from "@pulumi/azure-native/portal";
import { SlotColour } from "../rollout/config";
import { roleName } from "../rollout/alerts";

export interface DeploymentDashboardArgs {
    /** The app's name. */
    readonly app: string;
    /** The stack. */
    readonly stack: string;
    /** The resource group of the dashboard. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** The Azure region. */
    readonly location: string;
    /** The slots that exist. */
    readonly colours: readonly SlotColour[];
    /** The Log Analytics workspace the tiles query. */
    readonly workspaceId: pulumi.Input<string>;
    /** The Traffic Manager profile: a tile of queries answered per endpoint (the live traffic split). */
    readonly trafficManagerProfileId?: pulumi.Input<string>;
    /** The shared PostgreSQL flexible server: a tile of its active connections. */
    readonly databaseServerId?: pulumi.Input<string>;
    /** The Redis cache: a tile of its hit rate. */
    readonly cacheId?: pulumi.Input<string>;
}

/** One tile: where it sits on the 12-column grid and what it shows. */
interface Part {
    readonly position: { readonly x: number; readonly y: number; readonly colSpan: number; readonly rowSpan: number };
    readonly metadata: { readonly type: string; readonly inputs: unknown[]; readonly settings?: Record<string, unknown> };
}

/**
 * The release process's "Deployment Monitor" (docs/RELEASE-PROCESS.md §5) as an Azure portal dashboard per stack.
 * Every tile reads live data (requests per slot and version, error rate,
 * latency, connections, cache hits): nothing in it is written from config, so
 * a weight step never changes the dashboard.
 */
export class DeploymentDashboard extends pulumi.ComponentResource {
    /** The dashboard's resource ID. */
    public readonly dashboardId: pulumi.Output<string>;

    constructor(name: string, args: DeploymentDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slotshift:azure:DeploymentDashboard", name, {}, opts);
        if (args.colours.length === 0) {
            throw new Error(`DeploymentDashboard ${name}: colours is empty; allowed: one or both of blue, green`);
        }
        const roles = args.colours.map((c) => JSON.stringify(roleName(args.app, c))).join(", ");
        const requests = `AppRequests\n| where TimeGenerated > ago(15m) and AppRoleName in (${roles})`;
        const logs = (title: string, query: string): Part["metadata"] => ({
            type: "Extension/Microsoft_OperationsManagementSuite_Workspace/PartType/LogsDashboardPart",
            inputs: [
                { name: "resourceTypeMode", value: "workspace" },
                { name: "ComponentId", value: args.workspaceId },
                { name: "Query", value: query },
                { name: "PartTitle", value: title },
                { name: "TimeRange", value: "PT15M" },
            ],
        });
        const metric = (title: string, resourceId: pulumi.Input<string>, namespace: string, metricName: string, aggregation: number): Part["metadata"] => ({
            type: "Extension/HubsExtension/PartType/MonitorChartPart",
            inputs: [
                {
                    name: "options",
                    value: {
                        chart: {
                            title,
                            metrics: [{ resourceMetadata: { id: resourceId }, name: metricName, aggregationType: aggregation, namespace }],
                            timespan: { relative: { duration: 3600000 } },
                        },
                    },
                },
            ],
        });
        const at = (x: number, y: number, colSpan: number, rowSpan: number, metadata: Part["metadata"]): Part => ({ position: { x, y, colSpan, rowSpan }, metadata });
        // Portal aggregation codes: 1 sum, 3 maximum.
        const parts: Part[] = [
            at(0, 0, 12, 2, {
                type: "Extension/HubsExtension/PartType/MarkdownPart",
                inputs: [],
                settings: {
                    content: {
                        settings: {
                            title: `${args.app} ${args.stack}: deployment monitor`,
                            subtitle: "live slot, traffic split and versions, from the requests themselves",
                            content: `The weight the last update set: \`slotshift status --stack ${args.stack}\` or the stack's \`rollout\` output. The tiles show what is really served.`,
                        },
                    },
                },
            }),
            at(0, 2, 6, 4, logs("Traffic by slot and version (15 min)", `let r = ${requests}\n| summarize requests = count() by slot = AppRoleName, version = AppVersion;\nr\n| extend sharePercent = round(100.0 * requests / toscalar(r | summarize sum(requests)), 1)`)),
            at(6, 2, 6, 4, logs("Error rate by slot (%)", `${requests}\n| summarize errorRatePercent = round(100.0 * countif(Success == false) / count(), 2) by slot = AppRoleName, bin(TimeGenerated, 1m)\n| render timechart`)),
            at(0, 6, 6, 4, logs("p99 latency by slot (ms)", `${requests}\n| summarize p99LatencyMs = percentile(DurationMs, 99) by slot = AppRoleName, bin(TimeGenerated, 1m)\n| render timechart`)),
        ];
        if (args.trafficManagerProfileId !== undefined) {
            parts.push(at(6, 6, 6, 4, metric("Queries answered per endpoint", args.trafficManagerProfileId, "Microsoft.Network/trafficManagerProfiles", "QpsByEndpoint", 1)));
        }
        if (args.databaseServerId !== undefined) {
            parts.push(at(0, 10, 6, 4, metric("Database connections", args.databaseServerId, "Microsoft.DBforPostgreSQL/flexibleServers", "active_connections", 3)));
        }
        if (args.cacheId !== undefined) {
            parts.push(at(6, 10, 6, 4, metric("Cache hits", args.cacheId, "Microsoft.Cache/redis", "cachehits", 1)));
        }

        const dashboard = new Dashboard(
            `${name}-dashboard`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: { "hidden-title": `${args.app} ${args.stack} deployment monitor` },
                properties: { lenses: [{ order: 0, parts: parts.map((p) => ({ position: { ...p.position }, metadata: { ...p.metadata, inputs: [...p.metadata.inputs] } })) }], metadata: { model: { timeRange: { value: { relative: { duration: 24, timeUnit: 1 } }, type: "MsPortalFx.Composition.Configuration.ValueTypes.TimeRange" } } } },
            },
            { parent: this },
        );
        this.dashboardId = dashboard.id;
        this.registerOutputs({ dashboardId: this.dashboardId });
    }
}
