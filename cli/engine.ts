/**
 * The offline engine: runs the real program (`index.ts`) in-process under
 * Pulumi's mocks with a stack's config, and records every resource the
 * program registers (type, name, parent, inputs) and the stack outputs.
 *
 * It needs no Pulumi CLI, no cloud account and no network. Reads (stack
 * references, registry and data lookups) are answered from what the caller
 * supplies and are not listed as resources.
 */
import { createHash } from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { setClock } from "../rollout/clock";
import { environmentOf, parseStackConfig } from "../rollout/config";
import { SECRET_MARK } from "../rollout/errors";
import { readStackConfig, findProjectRoot, listStacks } from "./stackFile";

/** Stack outputs as `pulumi stack output --json` prints them. */
export type StackOutputs = Record<string, unknown>;

/** One resource the program would create or update. */
export interface PlannedResource {
    /** The type token, e.g. `kubernetes:apps/v1:Deployment` or `slotshift:kubernetes:Slot`. */
    readonly type: string;
    /** The logical name. */
    readonly name: string;
    /** The logical name of the parent resource; null for resources directly under the stack. */
    readonly parent: string | null;
    /** True for resources a provider manages; false for components. */
    readonly custom: boolean;
    /** The inputs, secrets shown as `[secret]`. */
    readonly inputs: Record<string, unknown>;
    /** Logical names of the resources this one waits for: `dependsOn` and those whose outputs feed its inputs. */
    readonly dependsOn: string[];
    /** The logical name of the explicit provider a custom resource uses; null for the package's default provider (and for components). */
    readonly provider: string | null;
}

/** The result of one offline run. The JSON of `plan --json` is this, less nothing. */
export interface PlanResult {
    readonly stack: string;
    readonly environment: string | null;
    readonly ok: boolean;
    readonly error: null | { readonly key: string | null; readonly message: string };
    readonly resources: PlannedResource[];
    readonly outputs: StackOutputs;
    /** What the program warned of (`pulumi.log.warn`), in order: `pulumi preview` shows the same lines. */
    readonly warnings: string[];
}

/** What to plan. */
export interface PlanOptions {
    /** The stack to plan; its `Pulumi.<stack>.yaml` supplies the config. */
    readonly stack: string;
    /** The project root (holding Pulumi.yaml); found from the working directory when absent. */
    readonly root?: string;
    /** Replaces the stack file's config entirely (tests); `secretKeys` then says which keys are secret. */
    readonly config?: Readonly<Record<string, string>>;
    /** Secret keys of `config`. */
    readonly secretKeys?: readonly string[];
    /** Plaintext for secure keys of the stack file, as the Pulumi CLI would decrypt them. */
    readonly secrets?: Readonly<Record<string, string>>;
    /** The outputs of the stack's last update (what `pulumi stack output --json` wrote); none on a first deploy. */
    readonly previous?: StackOutputs;
    /**
     * Resources whose create or update fails, as the cloud would fail them (tests): the plan then
     * has an error and keeps only the stack outputs the program managed to register, as Pulumi does.
     */
    readonly failing?: readonly string[];
    /** Outputs of other stacks, by stack name, for stack references. */
    readonly references?: Readonly<Record<string, StackOutputs>>;
    /**
     * For a stack promoted from another (`slotshift:promotion.from`) whose outputs are not in
     * `references`: plan that stack from its own file first and use its outputs. @default false
     */
    readonly resolveReferences?: boolean;
    /** Keep stack traces while the program runs (slower; for debugging the program). @default false */
    readonly stackTraces?: boolean;
    /** The time the program sees; the real clock when absent. */
    readonly now?: Date;
    /** Called with a note when a reference is resolved by planning the other stack. */
    readonly onNote?: (note: string) => void;
    /** Answers for provider function calls (registry lookups), by token; a function of the call's inputs. */
    readonly invokes?: Readonly<Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>>;
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

/** Turns a deserialized property value into plain JSON: secrets as `[secret]`, resources as their URN. */
export function plain(value: unknown): unknown {
    if (value === null || typeof value !== "object") {
        return value;
    }
    if (Array.isArray(value)) {
        return value.map(plain);
    }
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG_KEY] === SECRET_SIG) {
        return hide(reveal(obj.value));
    }
    if (obj[SECRET_SIG_KEY] === RESOURCE_SIG) {
        return obj.urn;
    }
    if (pulumi.Resource.isInstance(value)) {
        return "[resource]";
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
        if (v !== undefined) {
            out[k] = plain(v);
        }
    }
    return out;
}

/**
 * A secret as the plan shows it: every value `[secret]`, the shape kept (the
 * keys of a secret map, the length of a secret list), so the plan still says
 * what kind of thing is there without a single secret character.
 */
function hide(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(hide);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hide(v)]));
    }
    return SECRET_MARK;
}

/** Strips secret markers but keeps the values: what the program's mocks hand back as resource state. */
function reveal(value: unknown): unknown {
    if (value === null || typeof value !== "object") {
        return value;
    }
    if (Array.isArray(value)) {
        return value.map(reveal);
    }
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG_KEY] === SECRET_SIG) {
        return reveal(obj.value);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
        out[k] = reveal(v);
    }
    return out;
}

/** The name part of a URN. */
function urnName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/**
 * Outputs a provider computes, filled in so the program's `apply`s see
 * realistic values. Everything else echoes the inputs.
 */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const state: Record<string, unknown> = { ...inputs };
    if (type.startsWith("azure-native:")) {
        state.name ??= name;
        state.id ??= `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${name}/providers/${type}/${name}`;
    }
    if (type === "azure-native:resources:ResourceGroup") {
        state.name = inputs.resourceGroupName ?? name;
    }
    if (type === "azure-native:operationalinsights:Workspace") {
        // Azure assigns the workspace's ID (customerId, the query API's) when it creates it.
        state.customerId ??= offlineGuid(`workspace:${name}`);
    }
    if (type === "azure-native:applicationinsights:Component") {
        state.connectionString = `InstrumentationKey=${createHash("sha256").update(name).digest("hex").slice(0, 32)};IngestionEndpoint=https://${String(inputs.location)}.in.applicationinsights.azure.com/`;
    }
    if (type === "docker:index/image:Image") {
        state.repoDigest = `${String(inputs.imageName).replace(/:[^/:]*$/, "")}@${offlineDigest(String(inputs.imageName))}`;
    }
    if (type.startsWith("kubernetes:")) {
        const metadata = { ...((inputs.metadata as Record<string, unknown> | undefined) ?? {}) };
        metadata.name ??= name;
        state.metadata = metadata;
    }
    return state;
}

/**
 * The digest the offline engine answers for an image reference: a stable
 * stand-in derived from the reference, so the same tag always plans the same.
 * It is not the registry's digest: the offline plan never reaches a registry.
 */
export function offlineDigest(ref: string): string {
    return `sha256:${createHash("sha256").update(`slotshift-offline:${ref}`).digest("hex")}`;
}

/** A stable stand-in GUID for an ID Azure assigns (a workspace's customerId), derived from what it names. */
export function offlineGuid(seed: string): string {
    const h = createHash("sha256").update(`slotshift-offline:${seed}`).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Answers for provider functions the program calls, unless a plan supplies its own. */
/** The region the offline plan gives every cluster (a real update reads the cluster's own). */
export const OFFLINE_CLUSTER_LOCATION = "westeurope";

/** A kubeconfig shaped like an AKS user credential of an Entra ID cluster (exec format): no secret in it. */
function offlineKubeconfig(cluster: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{ name: ${cluster}, cluster: { server: "https://${cluster}.hcp.offline.azmk8s.io:443" } }]`,
        `contexts: [{ name: ${cluster}, context: { cluster: ${cluster}, user: clusterUser } }]`,
        `current-context: ${cluster}`,
        "users: [{ name: clusterUser, user: { exec: { apiVersion: client.authentication.k8s.io/v1beta1, command: kubelogin, args: [get-token, --login, azurecli] } } }]",
        "",
    ].join("\n");
}

const DEFAULT_INVOKES: Readonly<Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>> = {
    "docker:index/getRegistryImage:getRegistryImage": (inputs) => ({ name: inputs.name, sha256Digest: offlineDigest(String(inputs.name)) }),
    // The subscription the offline plan pretends to deploy to.
    "azure-native:authorization:getClientConfig": () => ({
        subscriptionId: "00000000-0000-0000-0000-000000000000",
        tenantId: "00000000-0000-0000-0000-000000000000",
        clientId: "00000000-0000-0000-0000-000000000000",
        objectId: "00000000-0000-0000-0000-000000000000",
    }),
    // The stack's AKS cluster (components/cluster.ts): a kubeconfig of its own, and its region.
    "azure-native:containerservice:listManagedClusterUserCredentials": (inputs) => ({
        kubeconfigs: [{ name: "clusterUser", value: Buffer.from(offlineKubeconfig(String(inputs.resourceName))).toString("base64") }],
    }),
    "azure-native:containerservice:getManagedCluster": (inputs) => ({
        id: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${String(inputs.resourceGroupName)}/providers/Microsoft.ContainerService/managedClusters/${String(inputs.resourceName)}`,
        name: inputs.resourceName,
        location: OFFLINE_CLUSTER_LOCATION,
    }),
    // An existing Log Analytics workspace (slotshift:alerts.workspace, .clusterWorkspace): its query API ID.
    "azure-native:operationalinsights:getWorkspace": (inputs) => ({
        id: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${String(inputs.resourceGroupName)}/providers/Microsoft.OperationalInsights/workspaces/${String(inputs.workspaceName)}`,
        name: inputs.workspaceName,
        customerId: offlineGuid(`workspace:${String(inputs.resourceGroupName)}/${String(inputs.workspaceName)}`),
    }),
    // The rollback relay's reads (components/rollbackRelay.ts): a package SAS and the storage key.
    "azure-native:storage:listStorageAccountServiceSAS": () => ({ serviceSasToken: "sv=offline&sig=offline" }),
    "azure-native:storage:listStorageAccountKeys": () => ({ keys: [{ keyName: "key1", value: "offline-storage-key", permissions: "FULL" }] }),
};

let running = false;

/**
 * Runs the program for one stack offline and returns what it would do.
 * Runs are serialised: the Pulumi runtime holds global state.
 */
export async function plan(options: PlanOptions): Promise<PlanResult> {
    if (running) {
        throw new Error("offline engine: one plan at a time (the Pulumi runtime is global state)");
    }
    running = true;
    const restoreClock = options.now === undefined ? () => undefined : setClock(() => options.now!);
    try {
        const references = options.resolveReferences ? await resolveReferences(options, [options.stack]) : options.references;
        return await runPlan({ ...options, references });
    } finally {
        restoreClock();
        running = false;
    }
}

/** The stack a config is promoted from, or undefined (also when the config does not parse: the plan will say why). */
function promotionSourceOf(config: Readonly<Record<string, string>>, stack: string): string | undefined {
    try {
        return parseStackConfig(config, stack).promotion.from?.split("/").pop();
    } catch {
        return undefined;
    }
}

/** Adds the outputs of the promotion source, planned from its own stack file, when the caller gave none. */
async function resolveReferences(options: PlanOptions, seen: readonly string[]): Promise<PlanOptions["references"]> {
    const root = options.root ?? findProjectRoot();
    const config = options.config ?? readStackConfig(root, options.stack, options.secrets).config;
    const source = promotionSourceOf(config, options.stack);
    if (source === undefined || options.references?.[source] !== undefined || seen.includes(source) || !listStacks(root).includes(source)) {
        return options.references;
    }
    const sourceOptions: PlanOptions = { stack: source, root, secrets: options.secrets, invokes: options.invokes, onNote: options.onNote };
    const upstream = await resolveReferences(sourceOptions, [...seen, source]);
    const result = await runPlan({ ...sourceOptions, references: upstream });
    options.onNote?.(
        result.ok
            ? `no outputs given for ${source}: using the offline plan of Pulumi.${source}.yaml as its outputs (give --reference ${source}=FILE for the real ones)`
            : `no outputs given for ${source}, and the offline plan of Pulumi.${source}.yaml is refused: ${result.error?.message}`,
    );
    return result.ok ? { ...options.references, [source]: result.outputs } : options.references;
}

async function runPlan(options: PlanOptions): Promise<PlanResult> {
    const root = options.root ?? findProjectRoot();
    const stackConfig = options.config
        ? { project: "slotshift", config: { ...options.config }, secretKeys: [...(options.secretKeys ?? [])] }
        : readStackConfig(root, options.stack, options.secrets);

    const resources: PlannedResource[] = [];
    const urnToName = new Map<string, string>();
    let stackUrn: string | undefined;
    let outputs: StackOutputs = {};

    /** Whether a resource of `options.failing` was failed in this run. */
    let failedOnPurpose = false;
    /** Resolved when a resource of `options.failing` is failed: the run is then bounded (below). */
    let signalFailure: () => void = () => undefined;
    const failure = new Promise<void>((resolve) => {
        signalFailure = resolve;
    });
    const mocks: pulumi.runtime.Mocks = {
        newResource(args) {
            if (args.type === "pulumi:pulumi:StackReference") {
                const refName = String(args.inputs.name ?? args.name);
                const stackName = refName.split("/").pop()!;
                const refOutputs = stackName === options.stack ? options.previous : options.references?.[stackName];
                return {
                    id: refName,
                    state: { name: refName, outputs: refOutputs ?? {}, secretOutputNames: [] },
                };
            }
            if (options.failing?.includes(args.name)) {
                failedOnPurpose = true;
                signalFailure();
                throw new Error(`${args.type} ${args.name} failed (the offline engine was told to fail it)`);
            }
            const inputs = reveal(args.inputs) as Record<string, unknown>;
            return { id: args.custom ? `${args.name}-id` : undefined, state: computedState(args.type, args.name, inputs) };
        },
        call(args) {
            const answer = options.invokes?.[args.token] ?? DEFAULT_INVOKES[args.token];
            if (!answer) {
                throw new Error(`offline engine: no answer for the provider function ${args.token}`);
            }
            return answer(reveal(args.inputs) as Record<string, unknown>);
        },
    };

    // "organization" is what self-managed backends call every organization.
    await pulumi.runtime.setMocks(mocks, stackConfig.project, options.stack, false, "organization");
    // Record every registration with its parent: the mocks API does not pass the parent on.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: RegisterRequest, cb: (err: unknown, res: RegisterResponse | undefined) => void): Promise<void>;
        registerResourceOutputs(req: OutputsRequest, cb: (err: unknown, res: unknown) => void): void;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        // Recorded at request time, in program order. A parent's registration has always
        // completed before its children ask, so its name is known here.
        const type = req.getType();
        if (type !== "pulumi:pulumi:Stack") {
            const parentUrn = req.getParent();
            resources.push({
                type,
                name: req.getName(),
                parent: parentUrn && parentUrn !== stackUrn ? urnToName.get(parentUrn) ?? urnName(parentUrn) : null,
                custom: req.getCustom(),
                inputs: plain(pulumi.runtime.deserializeProperties(req.getObject())) as Record<string, unknown>,
                dependsOn: req.getDependenciesList().map((urn) => urnToName.get(urn) ?? urnName(urn)),
                // A provider reference is `<urn>::<id>`; the SDK names a default provider `default...`.
                provider: providerName(req.getProvider()),
            });
        }
        return register(req, (err, res) => {
            if (!err && res) {
                urnToName.set(res.getUrn(), req.getName());
                if (type === "pulumi:pulumi:Stack") {
                    stackUrn = res.getUrn();
                }
            }
            cb(err, res);
        });
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
        if (req.getUrn() === stackUrn) {
            outputs = plain(pulumi.runtime.deserializeProperties(req.getOutputs())) as StackOutputs;
        }
        registerOutputs(req, cb);
    };

    pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);

    const program = loadProgram(root);
    let error: PlanResult["error"] = null;
    const fail = (e: unknown) => {
        const err = e as Error & { key?: unknown };
        error ??= { key: typeof err?.key === "string" ? err.key : null, message: err?.message ?? String(e) };
    };
    // A program that throws rejects the stack's own promises too; Pulumi's host catches those
    // as unhandled rejections, and so does this engine while the program runs.
    process.on("unhandledRejection", fail);
    // The SDK captures a stack trace for every resource and promise (source positions, leak
    // reports); even with the program's quiet promise stamps that is a fifth of an offline run
    // (prod: 245 ms a plan without them, 305 ms with). The plan reads neither; refusals carry
    // their messages, not their stacks. The program's own
    // stack formatter (runtime/stackTraces.ts) is the program's: it goes when the run ends.
    const stackTraceLimit = Error.stackTraceLimit;
    const prepareStackTrace = Error.prepareStackTrace;
    Error.stackTraceLimit = options.stackTraces ? stackTraceLimit : 0;
    // Under mocks the SDK has no engine to send warnings to and prints them itself; the plan
    // keeps them instead, for its table (stderr) and its JSON.
    const warnings: string[] = [];
    const log = pulumi.log as { warn: typeof pulumi.log.warn };
    const warn = log.warn;
    log.warn = (message: string) => {
        warnings.push(message);
        return Promise.resolve();
    };
    try {
        // After a resource failed on purpose, Pulumi's engine would cancel the update; under mocks the
        // resources that wait on the failed one through dependsOn alone (a Deployment on its migration
        // Job, a route on its hook) never register, and the stack never settles: the run is bounded then.
        const run = pulumi.runtime.runInPulumiStack(program);
        const afterFailure = failure.then(() => new Promise<void>((resolve) => setTimeout(resolve, 1000)));
        await Promise.race([run, afterFailure]);
    } catch (e) {
        fail(e);
    }
    try {
        const drained = pulumi.runtime.disconnect();
        // After a failed resource the engine cancels the update; under mocks the registrations that
        // wait on the failed one never settle, so the wait for the queue to drain is bounded then.
        await (failedOnPurpose ? Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 500))]) : drained);
        await new Promise((resolve) => setImmediate(resolve));
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
        Error.prepareStackTrace = prepareStackTrace;
        log.warn = warn;
        process.off("unhandledRejection", fail);
    }

    let environment: string | null = null;
    try {
        environment = environmentOf(stackConfig.config, options.stack);
    } catch {
        environment = null;
    }
    return { stack: options.stack, environment, ok: error === null, error, resources, outputs, warnings };
}

/** The logical name of an explicit provider from its reference; null for none or a default provider. */
function providerName(ref: string): string | null {
    if (!ref) {
        return null;
    }
    const name = urnName(ref.slice(0, ref.lastIndexOf("::")));
    return name.startsWith("default") ? null : name;
}

interface RegisterRequest {
    getProvider(): string;
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getDependenciesList(): string[];
    getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
}
interface RegisterResponse {
    getUrn(): string;
}
interface OutputsRequest {
    getUrn(): string;
    getOutputs(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
}

/** Loads the program's entrypoint: the function `index.ts` exports. */
function loadProgram(root: string): () => Promise<Record<string, unknown>> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(path.join(root, "index.ts")) as unknown;
    if (typeof program !== "function") {
        throw new Error(`${path.join(root, "index.ts")} does not export the program function`);
    }
    return program as () => Promise<Record<string, unknown>>;
}
