/**
 * The app's telemetry: the Azure Monitor OpenTelemetry distro, set up only when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set. `main.ts` calls startTelemetry
 * before anything loads `node:http`, so the distro's http instrumentation sees
 * every request the server answers.
 *
 * The alert rules tell the slots apart by the cloud role name (rollout/alerts.ts,
 * `AppRoleName == "<app>-<colour>"`). The exporter derives it from the resource
 * (node_modules/@azure/monitor-opentelemetry-exporter/dist/commonjs/utils/common.js,
 * getCloudRole): `service.name` alone when `service.namespace` is unset, else
 * `<service.namespace>.<service.name>`; only an `unknown_service*` name falls back to
 * the k8s.deployment/replicaset/... names. The distro's resource reads OTEL_SERVICE_NAME
 * through OpenTelemetry's envDetector (@opentelemetry/resources, EnvDetector.js), merged
 * in node_modules/@azure/monitor-opentelemetry/dist/commonjs/shared/config.js
 * (_setDefaultResource). So the slot sets OTEL_SERVICE_NAME=<app>-<colour> and nothing
 * may set service.namespace. The role instance (getCloudRoleInstance) is k8s.pod.name,
 * else service.instance.id, else os.hostname(): the pod's name in Kubernetes.
 *
 * Only the types of the distro and the OpenTelemetry API are imported at the top: with
 * no connection string neither module is loaded at all.
 */
import type { Meter } from "@opentelemetry/api";
import type * as Distro from "@azure/monitor-opentelemetry";

/** The name of the meter the app's own instruments (the pool gauges) belong to. */
export const METER_NAME = "slotshift-reference-app";

/** How long shutdown waits for the last telemetry to be sent before it gives up. */
export const SHUTDOWN_FLUSH_MS = 5_000;

/** Telemetry that is running. */
export interface Telemetry {
    /** The meter for the app's own instruments. */
    readonly meter: Meter;
    /** Flushes what is buffered (spans, a last metric export) and stops; resolves within SHUTDOWN_FLUSH_MS. */
    shutdown(): Promise<void>;
}

/** Something to say at start-up about the telemetry settings (printed as JSON by main). */
export interface TelemetryWarning {
    readonly event: "telemetry-warning";
    readonly message: string;
}

/** The connection string, or undefined when it is unset or blank (telemetry off). */
export function connectionString(env: Record<string, string | undefined>): string | undefined {
    const value = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
    return value ? value : undefined;
}

/**
 * What in the environment would break the role name the alert rules query:
 * no OTEL_SERVICE_NAME (the role would be `unknown_service:node`), or a
 * `service.namespace` in OTEL_RESOURCE_ATTRIBUTES (it would become `<namespace>.<name>`).
 */
export function telemetryWarnings(env: Record<string, string | undefined>): TelemetryWarning[] {
    const warnings: TelemetryWarning[] = [];
    if (!env.OTEL_SERVICE_NAME?.trim()) {
        warnings.push({ event: "telemetry-warning", message: "OTEL_SERVICE_NAME is unset: the cloud role name will not be <app>-<colour>, so no alert rule sees this pod" });
    }
    const attributes = (env.OTEL_RESOURCE_ATTRIBUTES ?? "").split(",").map((pair) => pair.split("=", 1)[0].trim());
    if (attributes.includes("service.namespace")) {
        warnings.push({ event: "telemetry-warning", message: "OTEL_RESOURCE_ATTRIBUTES sets service.namespace: the cloud role name becomes <namespace>.<name>, which no alert rule queries" });
    }
    return warnings;
}

/**
 * Starts the distro when APPLICATIONINSIGHTS_CONNECTION_STRING is set; returns undefined
 * (and loads nothing) otherwise. Call it once, before `node:http` is required.
 *
 * What the distro is told, and why:
 * - only the http instrumentation: the request telemetry the rules read. The pg one is off:
 *   @opentelemetry/instrumentation-pg 0.69.0 also records `db.client.connection.count` (an
 *   UpDownCounter moved at the pool's events), which arrives next to this app's gauge under
 *   the same name, with the pool named `unknown_host:unknown_port/unknown_database` for a
 *   pool made from a connection string, and counted at the events, so a released connection
 *   still shows as used; it would also add a dependency row for every probe's `SELECT 1`;
 * - no Live Metrics: a second outbound channel (the connection string's LiveEndpoint) that
 *   no rule reads; its code default is on (shared/config.js), whatever the typings say.
 *
 * Read by the distro or the exporter from the environment, not here:
 * - OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES (envDetector, see above);
 * - OTEL_METRIC_EXPORT_INTERVAL, milliseconds, default 60000 (shared/config.js,
 *   calculateMetricExportInterval: the env var wins over any option);
 * - OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (shared/envConfig.js): by default the
 *   distro samples at most 5 traces a second (RateLimitedSampler) and marks what it keeps
 *   with its sample rate (AppRequests' ItemCount);
 * - APPLICATION_INSIGHTS_NO_STATSBEAT turns the SDK's own usage reports (statsbeat, sent to
 *   Microsoft's endpoints, not the connection string's) off entirely
 *   (exporter export/base.js, trackStatsbeat); APPLICATIONINSIGHTS_STATSBEAT_DISABLED only
 *   drops the non-essential part (export/statsbeat/networkStatsbeatMetrics.js).
 */
export function startTelemetry(env: Record<string, string | undefined>): Telemetry | undefined {
    const connection = connectionString(env);
    if (connection === undefined) {
        return undefined;
    }
    // Loaded here, not at the top: without a connection string the distro never loads.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const distro = require("@azure/monitor-opentelemetry") as typeof Distro;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const api = require("@opentelemetry/api") as typeof import("@opentelemetry/api");
    distro.useAzureMonitor({
        azureMonitorExporterOptions: { connectionString: connection },
        enableLiveMetrics: false,
        instrumentationOptions: {
            http: { enabled: true },
            azureSdk: { enabled: false },
            mongoDb: { enabled: false },
            mySql: { enabled: false },
            postgreSql: { enabled: false },
            redis: { enabled: false },
            redis4: { enabled: false },
        },
    });
    const meter = api.metrics.getMeter(METER_NAME);
    let stopping: Promise<void> | undefined;
    return {
        meter,
        shutdown(): Promise<void> {
            stopping ??= new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
                timer.unref();
                Promise.resolve(distro.shutdownAzureMonitor())
                    .catch(() => undefined)
                    .finally(() => {
                        clearTimeout(timer);
                        resolve();
                    });
            });
            return stopping;
        },
    };
}
