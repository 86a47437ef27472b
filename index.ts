/**
 * The slotshift program: reads the stack config and the state the previous
 * update left, decides, composes the resources and exports the outputs. The
 * decision is made before any resource is registered: a refused config
 * changes nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import * as sdkConfig from "@pulumi/pulumi/runtime/config";
import { getClientConfigOutput } from "@pulumi/azure-native/authorization";
import { getWorkspaceOutput } from "@pulumi/azure-native/operationalinsights";
import { ResourceGroup } from "@pulumi/azure-native/resources";
import { Namespace } from "@pulumi/kubernetes/core/v1";
import { BlueGreenApp } from "./components/blueGreenApp";
import { connectCluster } from "./components/cluster";
import { DeploymentDashboard } from "./components/deploymentDashboard";
import { MonitoringAlerts } from "./components/monitoringAlerts";
import { Telemetry } from "./components/telemetry";
import type * as Relay from "./components/rollbackRelay";
import { CLUSTER_WORKSPACE_MISSING, ROLLBACK_PATH_MISSING, alertRules, alertRulesInputOf } from "./rollout/alerts";
import { now } from "./rollout/clock";
import { SLOT_COLOURS, SlotshiftConfig, parseStackConfig } from "./rollout/config";
import { decide, forcedWarning } from "./rollout/decide";
import { ConfigError } from "./rollout/errors";
import { prefixOf } from "./rollout/names";
import { releaseOutput } from "./rollout/release";
import { RolloutState, readRolloutState } from "./rollout/state";
import { quietPromiseStamps } from "./runtime/stackTraces";

/** A config refusal as Pulumi should print it: the message alone, no stack trace; `key` kept for the offline plan. */
function refused(stack: string, e: ConfigError): Error {
    return Object.assign(new pulumi.RunError(`slotshift refused the config of stack ${stack}: ${e.message}`), { key: e.key });
}

/** Whether Pulumi holds a config key as a secret. The SDK knows but does not export it in its types. */
function isSecretKey(key: string): boolean {
    const sdk = sdkConfig as unknown as { isConfigSecret?: (k: string) => boolean };
    // Without the SDK's answer, trust the value is secret: the program wraps it in pulumi.secret regardless.
    return sdk.isConfigSecret?.(key) ?? true;
}

/** The fully qualified name of a stack of this project. */
function stackName(stack: string): string {
    if (stack.includes("/")) {
        return stack;
    }
    const org = pulumi.getOrganization();
    return org ? `${org}/${pulumi.getProject()}/${stack}` : `${pulumi.getProject()}/${stack}`;
}

/** Reads the `rollout` output of a stack (a read, not a resource the update changes); undefined when it has none. */
async function readRollout(name: string, stack: string, what: string): Promise<RolloutState | undefined> {
    const ref = new pulumi.StackReference(name, { name: stackName(stack) });
    const details = await ref.getOutputDetails("rollout");
    try {
        return readRolloutState(details.value ?? details.secretValue);
    } catch (e) {
        throw new ConfigError("slotshift:rollout", `${what} (stack ${stack}): ${(e as Error).message}`);
    }
}

async function decideUpdate(cfg: SlotshiftConfig, stack: string, prefix: string) {
    const previous = await readRollout(`${prefix}-previous`, stack, "the previous update's rollout output");
    const promotionSource =
        cfg.promotion.from === undefined
            ? undefined
            : await readRollout(`${prefix}-promotion-source`, cfg.promotion.from, `the rollout output of ${cfg.promotion.from}`);
    return decide(cfg, { now: now(), previous, promotionSource });
}

export = async () => {
    quietPromiseStamps();
    const stack = pulumi.getStack();
    const raw = pulumi.runtime.allConfig();
    let cfg: SlotshiftConfig;
    let decision: ReturnType<typeof decide>;
    try {
        cfg = parseStackConfig(raw, stack, { isSecret: isSecretKey });
        decision = await decideUpdate(cfg, stack, prefixOf(cfg.app.name, stack));
    } catch (e) {
        throw ConfigError.isInstance(e) ? refused(stack, e) : e;
    }
    if (decision.forcedPast !== null) {
        // What force skipped, loudly: the preview shows it before anything is applied.
        pulumi.log.warn(forcedWarning(decision.forcedPast));
    }
    const location = raw["azure-native:location"] ?? "westeurope";
    const prefix = prefixOf(cfg.app.name, stack);

    const resourceGroup = new ResourceGroup(`${prefix}-rg`, {
        location,
        tags: { app: cfg.app.name, environment: cfg.environment, "managed-by": "slotshift" },
    });
    // Every Kubernetes resource goes to the stack's own cluster (slotshift:cluster), never to the current kubeconfig context.
    const cluster = connectCluster(prefix, cfg.cluster);
    const kubernetes = { providers: { kubernetes: cluster.provider } };
    const namespace = new Namespace(
        `${prefix}-ns`,
        {
            metadata: {
                name: cfg.app.namespace ?? prefix,
                labels: { app: cfg.app.name, environment: cfg.environment, "app.kubernetes.io/managed-by": "slotshift" },
            },
        },
        { provider: cluster.provider },
    );
    const subscriptionId = getClientConfigOutput().subscriptionId;
    const azureId = (resourceGroup: string, provider: string, name: string, subscription: pulumi.Input<string> = subscriptionId) =>
        pulumi.interpolate`/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/${provider}/${name}`;
    const a = cfg.alerts;

    const telemetry = new Telemetry(`${prefix}-telemetry`, {
        app: cfg.app.name,
        resourceGroupName: resourceGroup.name,
        location,
        subscriptionId,
        retentionDays: a.retentionDays,
        workspaceName: `${prefix}-logs`,
        existingWorkspace: a.workspace,
        namespace: namespace.metadata.name,
    }, kubernetes);
    const app = new BlueGreenApp(prefix, {
        config: cfg,
        decision,
        stack,
        location: cluster.location,
        resourceGroupName: resourceGroup.name,
        namespace: namespace.metadata.name,
        telemetrySecret: telemetry.secretName,
        registry: cfg.app.registry && { username: cfg.app.registry.username, password: pulumi.secret(cfg.app.registry.password) },
    }, kubernetes);

    const colours = cfg.rollout.strategy === "direct" ? [cfg.rollout.live] : [...SLOT_COLOURS];
    const databaseServerId = a.database && azureId(a.database.resourceGroup, "Microsoft.DBforPostgreSQL/flexibleServers", a.database.server);
    const cw = a.clusterWorkspace;
    const clusterWorkspaceId = cw && azureId(cw.resourceGroup, "Microsoft.OperationalInsights/workspaces", cw.name, cw.subscriptionId ?? subscriptionId);
    if (cw === undefined) {
        pulumi.log.warn(CLUSTER_WORKSPACE_MISSING);
    }
    // The query API's ID of the cluster's workspace, for `slotshift analyze`'s health signal: a read of
    // the workspace, in the stack's subscription only (the read takes no other); null otherwise, and
    // the analysis then says health was not measured.
    const clusterWorkspaceCustomerId: pulumi.Input<string | null> =
        cw === undefined || cw.subscriptionId !== undefined ? null : getWorkspaceOutput({ resourceGroupName: cw.resourceGroup, workspaceName: cw.name }).customerId;
    // Fired rollback triggers reach GitHub through the relay (slotshift:rollback), a webhook of the stack's own, or both.
    const webhooks: Record<string, pulumi.Input<string>> = {};
    if (cfg.rollback !== undefined) {
        // Loaded only by a stack that has a relay: every other start-up skips compiling it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { RollbackRelay } = require("./components/rollbackRelay") as typeof Relay;
        const relay = new RollbackRelay(`${prefix}-relay`, {
            stack,
            resourceGroupName: resourceGroup.name,
            location,
            repository: cfg.rollback.repository,
            token: pulumi.secret(cfg.rollback.token),
            // The relay's own logs go where the stack's telemetry goes: a refused dispatch is visible.
            telemetryConnectionString: telemetry.connectionString,
        });
        webhooks.relay = relay.webhookUrl;
    }
    if (a.webhookUrl !== undefined) {
        // A Pulumi secret end to end: it never appears in plain outputs or the preview.
        webhooks.rollback = pulumi.secret(a.webhookUrl);
    }
    if (cfg.rollout.strategy !== "direct" && Object.keys(webhooks).length === 0) {
        pulumi.log.warn(ROLLBACK_PATH_MISSING);
    }
    new MonitoringAlerts(`${prefix}-alerts`, {
        app: cfg.app.name,
        stack,
        resourceGroupName: resourceGroup.name,
        location,
        // The same input `slotshift analyze` builds its signals from.
        rules: alertRules(alertRulesInputOf(cfg, prefix)),
        inFlight: decision.state.phase !== "stable" || decision.state.warm !== null,
        emails: a.emails,
        webhooks,
        workspaceId: telemetry.workspaceId,
        clusterWorkspaceId,
        databaseServerId,
    });
    new DeploymentDashboard(`${prefix}-monitor`, {
        app: cfg.app.name,
        stack,
        resourceGroupName: resourceGroup.name,
        location,
        colours,
        workspaceId: telemetry.workspaceId,
        trafficManagerProfileId: app.trafficManagerProfileId,
        databaseServerId,
        cacheId: a.cache && azureId(a.cache.resourceGroup, "Microsoft.Cache/redis", a.cache.name),
    });

    return {
        rollout: app.rollout,
        release: releaseOutput(cfg),
        endpoints: app.endpoints,
        // Where `slotshift analyze` reads the slots' telemetry: the workspaces' IDs as the Log Analytics query API takes them.
        telemetry: { workspaceCustomerId: telemetry.workspaceCustomerId, clusterWorkspaceCustomerId },
    };
};
