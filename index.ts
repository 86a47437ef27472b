/**
 * The slotshift program: reads the stack config and the state the previous
 * update left, decides, composes the resources and exports the outputs. The
 * decision is made before any resource is registered: a refused config
 * changes nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { ResourceGroup } from "@pulumi/azure-native/resources";
import { Namespace } from "@pulumi/kubernetes/core/v1";
import { BlueGreenApp } from "./components/blueGreenApp";
import { now } from "./rollout/clock";
import { SlotshiftConfig, parseStackConfig } from "./rollout/config";
import { decide } from "./rollout/decide";
import { ConfigError } from "./rollout/errors";
import { releaseOutput } from "./rollout/release";
import { RolloutState, readRolloutState } from "./rollout/state";

/** A config refusal as Pulumi should print it: the message alone, no stack trace; `key` kept for the offline plan. */
function refused(stack: string, e: ConfigError): Error {
    return Object.assign(new pulumi.RunError(`slotshift refused the config of stack ${stack}: ${e.message}`), { key: e.key });
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
    const stack = pulumi.getStack();
    const raw = pulumi.runtime.allConfig();
    let cfg: SlotshiftConfig;
    let decision: ReturnType<typeof decide>;
    const prefixOf = (c: SlotshiftConfig) => `${c.app.name}-${stack}`;
    try {
        cfg = parseStackConfig(raw, stack);
        decision = await decideUpdate(cfg, stack, prefixOf(cfg));
    } catch (e) {
        throw ConfigError.isInstance(e) ? refused(stack, e) : e;
    }
    const location = raw["azure-native:location"] ?? "westeurope";
    const prefix = prefixOf(cfg);

    const resourceGroup = new ResourceGroup(`${prefix}-rg`, {
        location,
        tags: { app: cfg.app.name, environment: cfg.environment, "managed-by": "slotshift" },
    });
    const namespace = new Namespace(`${prefix}-ns`, {
        metadata: {
            name: cfg.app.namespace ?? prefix,
            labels: { app: cfg.app.name, environment: cfg.environment, "app.kubernetes.io/managed-by": "slotshift" },
        },
    });
    const app = new BlueGreenApp(prefix, {
        config: cfg,
        decision,
        stack,
        location,
        resourceGroupName: resourceGroup.name,
        namespace: namespace.metadata.name,
    });

    return {
        rollout: app.rollout,
        release: releaseOutput(cfg),
        endpoints: app.endpoints,
    };
};
