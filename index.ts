/**
 * The slotshift program: reads the stack config, decides, composes the
 * resources and exports the outputs. A refused config throws before any
 * resource is registered, so it changes nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { ResourceGroup } from "@pulumi/azure-native/resources";
import { Namespace } from "@pulumi/kubernetes/core/v1";
import { BlueGreenApp } from "./components/blueGreenApp";
import { parseStackConfig } from "./rollout/config";
import { ConfigError } from "./rollout/errors";
import { releaseOutput } from "./rollout/release";

export = async () => {
    const stack = pulumi.getStack();
    const raw = pulumi.runtime.allConfig();
    let cfg;
    try {
        cfg = parseStackConfig(raw, stack);
    } catch (e) {
        if (ConfigError.isInstance(e)) {
            // A RunError prints its message alone: no stack trace for a config mistake.
            throw Object.assign(new pulumi.RunError(`slotshift refused the config of stack ${stack}: ${e.message}`), { key: e.key });
        }
        throw e;
    }
    const location = raw["azure-native:location"] ?? "westeurope";
    const prefix = `${cfg.app.name}-${stack}`;

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
