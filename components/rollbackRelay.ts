import { createHash, createHmac } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Blob, BlobContainer, StorageAccount, listStorageAccountKeysOutput, listStorageAccountServiceSASOutput } from "@pulumi/azure-native/storage";
import { AppServicePlan, WebApp } from "@pulumi/azure-native/web";

export interface RollbackRelayArgs {
    /** The one stack the relay serves: alerts of other stacks are skipped. */
    readonly stack: string;
    /** The resource group of the storage account, plan and function app. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** The Azure region (one that offers the Linux Consumption plan). */
    readonly location: string;
    /** The GitHub repository whose rollback workflow runs: `owner/name`. */
    readonly repository: string;
    /** A GitHub token that may create dispatch events on it (a Pulumi secret; wrapped as one regardless). */
    readonly token: pulumi.Input<string>;
    /** The project root, holding relay/dist. @default the directory above components/ */
    readonly root?: string;
    /** The storage account's name, when the derived one is taken (3 to 24 lowercase letters and digits, globally unique). */
    readonly storageAccountName?: string;
    /**
     * The Application Insights connection string the relay's logs go to
     * (`APPLICATIONINSIGHTS_CONNECTION_STRING`; kept a secret). Without it, the
     * relay's `context.log`/`error` lines reach no Application Insights.
     */
    readonly telemetryConnectionString?: pulumi.Input<string>;
}

/** The files of the relay's package, as relay/build.ts writes them. */
export const RELAY_PACKAGE_FILES = ["host.json", "index.js", "package.json"] as const;

/** The function's route: relay/index.ts registers `app.http("rollback", ...)`. */
export const RELAY_FUNCTION = "rollback";

/**
 * Node.js major version of the function app (`linuxFxVersion` `Node|22`); relay/build.ts
 * bundles for the same (`RELAY_NODE_MAJOR`, test/rollbackRelay.spec.ts checks).
 * Node.js 20 left upstream support on 30 April 2026. Node.js 22 is GA on
 * Functions 4.x and the last Node.js version the Linux Consumption plan gets
 * ("The Linux Consumption plan isn't getting any new features or language
 * versions", functions-versions.md; Node.js 24 runs on Flex Consumption, not
 * Linux Consumption). Node.js 22 leaves upstream support on 30 April 2027: by
 * then the relay has to move to Flex Consumption, with a publish step (see the
 * class comment).
 */
export const RELAY_NODE_VERSION = "22";

/** What the relay's shared secret is an HMAC of, with the stack name: a fixed label, versioned. */
export const RELAY_SECRET_LABEL = "slotshift rollback relay secret v1";

/**
 * The relay's shared secret: HMAC-SHA256, keyed with the storage account's
 * key, over the label and the stack name, in hex (64 characters: safe in a
 * query string as it is). Derived in the program: no provider of its own, no
 * state of its own, no call to the function host; rotating the storage key
 * rotates it at the next `pulumi up`.
 */
export function relaySecret(storageKey: string, stack: string): string {
    return createHmac("sha256", storageKey).update(`${RELAY_SECRET_LABEL}\n${stack}`, "utf8").digest("hex");
}

/** The read SAS of the package is valid until then; a new package or a rotated key gets a new SAS anyway. */
const SAS_START = "2025-01-01T00:00:00Z";
const SAS_EXPIRY = "2035-01-01T00:00:00Z";

/** GitHub: the owner 1 to 39 letters, digits or '-' (not first); the name letters, digits, '.', '-', '_'. */
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;

/** Whether a string is a valid storage account name: "between 3 and 24 characters in length and may contain numbers and lowercase letters only". */
export function isStorageAccountName(name: string): boolean {
    return /^[a-z0-9]{3,24}$/.test(name);
}

/**
 * The relay's storage account name, derived and stable: `rr` (rollback relay),
 * up to 10 letters and digits of the stack, and 12 hex digits of a hash of the
 * repository, stack and component name (so two stacks, or two repositories with
 * the same stack names, get different names): at most 24 characters.
 */
export function relayStorageAccountName(repository: string, stack: string, name: string): string {
    const stackPart = stack.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 10);
    const hash = createHash("sha256").update(`${repository.toLowerCase()}\n${stack}\n${name}`).digest("hex").slice(0, 12);
    return `rr${stackPart}${hash}`;
}

/** What the function app's settings are made of. */
export interface RelaySettingsInput {
    /** `AzureWebJobsStorage`: the storage account's connection string. */
    readonly storageConnection: pulumi.Input<string>;
    /** `WEBSITE_RUN_FROM_PACKAGE`: the package's URL with its read SAS. */
    readonly packageUrl: pulumi.Input<string>;
    /** `GITHUB_TOKEN`. */
    readonly token: pulumi.Input<string>;
    /** `GITHUB_REPOSITORY`: owner/name. */
    readonly repository: string;
    /** `SLOTSHIFT_STACK`. */
    readonly stack: string;
    /** `RELAY_SECRET`: what a caller presents as `?secret=`. */
    readonly secret: pulumi.Input<string>;
    /** `APPLICATIONINSIGHTS_CONNECTION_STRING`, when given. */
    readonly telemetryConnectionString?: pulumi.Input<string>;
}

/** One app setting. */
export interface RelayAppSetting {
    readonly name: string;
    readonly value: pulumi.Input<string>;
}

/** The function app's site config: runtime, TLS, FTP, and the app settings relay/index.ts reads. */
export interface RelaySiteConfig {
    readonly linuxFxVersion: string;
    readonly minTlsVersion: "1.2";
    readonly scmMinTlsVersion: "1.2";
    readonly ftpsState: "Disabled";
    readonly http20Enabled: boolean;
    readonly appSettings: RelayAppSetting[];
}

/**
 * The site config of the relay's function app. The storage connection string,
 * the package URL (its SAS), the token, the relay's secret and the telemetry
 * connection string are wrapped as secrets here, whatever the caller passed. (azure-native lifts `siteConfig` into one output to fill its
 * defaults, so with any secret inside, Pulumi holds the whole `siteConfig` as a
 * secret: previews show it as `[secret]`.)
 */
export function relaySiteConfig(input: RelaySettingsInput): RelaySiteConfig {
    return {
        linuxFxVersion: `Node|${RELAY_NODE_VERSION}`,
        minTlsVersion: "1.2",
        scmMinTlsVersion: "1.2",
        ftpsState: "Disabled",
        http20Enabled: true,
        appSettings: [
            { name: "AzureWebJobsStorage", value: pulumi.secret(input.storageConnection) },
            { name: "FUNCTIONS_EXTENSION_VERSION", value: "~4" },
            { name: "FUNCTIONS_WORKER_RUNTIME", value: "node" },
            { name: "WEBSITE_RUN_FROM_PACKAGE", value: pulumi.secret(input.packageUrl) },
            { name: "GITHUB_TOKEN", value: pulumi.secret(input.token) },
            { name: "GITHUB_REPOSITORY", value: input.repository },
            { name: "SLOTSHIFT_STACK", value: input.stack },
            { name: "RELAY_SECRET", value: pulumi.secret(input.secret) },
            ...(input.telemetryConnectionString === undefined
                ? []
                : [{ name: "APPLICATIONINSIGHTS_CONNECTION_STRING", value: pulumi.secret(input.telemetryConnectionString) }]),
        ],
    };
}

/** The relay's package files with their content, checked. */
function relayPackage(root: string, name: string): { dir: string; hash: string } {
    const dir = path.join(root, "relay", "dist");
    const hash = createHash("sha256");
    for (const file of RELAY_PACKAGE_FILES) {
        const full = path.join(dir, file);
        if (!fs.existsSync(full)) {
            throw new Error(`RollbackRelay ${name}: ${full} is missing; build the relay with \`npx ts-node --transpile-only relay/build.ts\``);
        }
        hash.update(`${file}\n`).update(fs.readFileSync(full)).update("\n");
    }
    return { dir, hash: hash.digest("hex").slice(0, 16) };
}

/**
 * The rollback relay of one stack, on Azure Functions: the function in
 * relay/dist (bundled, committed), run from a zip in blob storage through a read
 * SAS, on a Linux Consumption plan. Its `webhookUrl` (a secret) goes to
 * MonitoringAlerts as the rollback action group's webhook.
 *
 * Why Linux Consumption (Y1) and not Flex Consumption (FC1): the whole deploy is
 * resources Pulumi creates in one `pulumi up`, with no build agent and no deploy
 * step. On Linux Consumption the package is an app setting: "Consumption plan on
 * Linux | Remote build or external package URL | Use an external package URL for
 * a locally built package", while for Flex "Runs from the deployed package by
 * default. Don't set WEBSITE_RUN_FROM_PACKAGE." (deployment-zip-push.md): Flex
 * takes code only through its publish ("one deploy") endpoint, a call after the
 * app exists, which azure-native 3.28 has no resource for (its web module does
 * accept `functionAppConfig`, so the app could be declared, but not filled).
 * The cost: "The option to host function apps on Linux in a Consumption plan is
 * retiring on 30 September 2028. The Linux Consumption plan isn't getting any
 * new features or language versions." (functions-versions.md). Moving to Flex
 * then means a publish step in the deploy workflow.
 *
 * The shape follows Microsoft's Linux Consumption template
 * (Azure-Samples/function-app-arm-templates, function-app-linux-consumption):
 * a Y1 Dynamic plan with `reserved: true`, a `functionapp,linux` site with
 * `linuxFxVersion`, and app settings `AzureWebJobsStorage`,
 * `FUNCTIONS_EXTENSION_VERSION=~4`, `FUNCTIONS_WORKER_RUNTIME=node`,
 * `WEBSITE_RUN_FROM_PACKAGE=<package URL>` ("ZipDeploy extension with the
 * appSetting `WEBSITE_RUN_FROM_PACKAGE=1` is not supported only for Linux
 * Consumption plan ... Set appSetting `WEBSITE_RUN_FROM_PACKAGE=URL`").
 *
 * The blob's name carries a hash of the package, so new code is a new URL, a
 * changed app setting and a restart: no trigger sync is needed ("When you
 * specify a URL, you must also sync triggers after you publish an updated
 * package", run-functions-from-deployment-package.md, is about a new package at
 * the same URL).
 *
 * The function is `authLevel: "anonymous"` and checks a shared secret itself:
 * `webhookUrl` carries it as `?secret=`, the app setting `RELAY_SECRET` holds
 * it. No Functions host key is read: `listWebAppHostKeys` asks the function
 * host, which can be cold or broken ("Encountered an error (ServiceUnavailable)
 * from host runtime", Azure/azure-functions-host #5722), and every preview and
 * update, including the routing-only `pulumi up` that is the automatic rollback,
 * would depend on it. The secret is derived instead (`relaySecret`) from the
 * storage account's key, which the component reads anyway for
 * `AzureWebJobsStorage` (`listKeys`, an ARM call). Rotating that key changes the
 * secret, the app setting and the webhook URL together at the next `pulumi up`;
 * an alert delivered between the app's restart and the action group's update
 * gets 401, which the action group does not retry.
 */
export class RollbackRelay extends pulumi.ComponentResource {
    /** The webhook for the rollback action group: `https://<host>/api/rollback?secret=<relay secret>`. A secret. */
    public readonly webhookUrl: pulumi.Output<string>;
    /** The function app's resource ID. */
    public readonly functionAppId: pulumi.Output<string>;
    /** The function app's name. */
    public readonly functionAppName: pulumi.Output<string>;

    constructor(name: string, args: RollbackRelayArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything registers: a refused argument creates nothing.
        if (typeof args.repository !== "string" || !REPOSITORY.test(args.repository) || /\/\.{1,2}$/.test(args.repository)) {
            throw new Error(
                `RollbackRelay ${name}: repository is ${JSON.stringify(args.repository)}; allowed: owner/name, the owner 1 to 39 letters, digits and '-' (not first), the name 1 to 100 letters, digits, '.', '-' and '_'`,
            );
        }
        if (typeof args.stack !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(args.stack)) {
            throw new Error(`RollbackRelay ${name}: stack is ${JSON.stringify(args.stack)}; allowed: a stack name (letters, digits, '.', '-', '_')`);
        }
        if (typeof args.location !== "string" || args.location.trim() === "") {
            throw new Error(`RollbackRelay ${name}: location is ${JSON.stringify(args.location)}; allowed: an Azure region`);
        }
        const accountName = args.storageAccountName ?? relayStorageAccountName(args.repository, args.stack, name);
        if (!isStorageAccountName(accountName)) {
            throw new Error(`RollbackRelay ${name}: storageAccountName is ${JSON.stringify(accountName)}; allowed: 3 to 24 lowercase letters and digits`);
        }
        const pkg = relayPackage(args.root ?? path.resolve(__dirname, ".."), name);
        super("slotshift:azure:RollbackRelay", name, {}, opts);

        const rg = args.resourceGroupName;
        const account = new StorageAccount(
            `${name}-storage`,
            {
                resourceGroupName: rg,
                accountName,
                location: args.location,
                kind: "StorageV2",
                sku: { name: "Standard_LRS" },
                allowBlobPublicAccess: false,
                enableHttpsTrafficOnly: true,
                minimumTlsVersion: "TLS1_2",
            },
            { parent: this },
        );
        const container = new BlobContainer(
            `${name}-packages`,
            { resourceGroupName: rg, accountName: account.name, containerName: "relay-packages", publicAccess: "None" },
            { parent: this },
        );
        const blob = new Blob(
            `${name}-package`,
            {
                resourceGroupName: rg,
                accountName: account.name,
                containerName: container.name,
                blobName: `rollback-relay-${pkg.hash}.zip`,
                type: "Block",
                contentType: "application/zip",
                source: new pulumi.asset.AssetArchive(
                    Object.fromEntries(RELAY_PACKAGE_FILES.map((f) => [f, new pulumi.asset.FileAsset(path.join(pkg.dir, f))])),
                ),
            },
            { parent: this },
        );
        // A read-only SAS of that one blob, over HTTPS: the URL WEBSITE_RUN_FROM_PACKAGE names.
        const sas = listStorageAccountServiceSASOutput(
            {
                resourceGroupName: rg,
                accountName: account.name,
                canonicalizedResource: pulumi.interpolate`/blob/${account.name}/${container.name}/${blob.name}`,
                resource: "b",
                permissions: "r",
                protocols: "https",
                sharedAccessStartTime: SAS_START,
                sharedAccessExpiryTime: SAS_EXPIRY,
            },
            { parent: this },
        );
        const packageUrl = pulumi.secret(pulumi.interpolate`https://${account.name}.blob.core.windows.net/${container.name}/${blob.name}?${sas.serviceSasToken}`);
        const keys = listStorageAccountKeysOutput({ resourceGroupName: rg, accountName: account.name }, { parent: this });
        const storageConnection = pulumi.secret(
            pulumi.interpolate`DefaultEndpointsProtocol=https;AccountName=${account.name};AccountKey=${keys.keys[0].value};EndpointSuffix=core.windows.net`,
        );
        const secret = pulumi.secret(keys.keys[0].value.apply((key) => relaySecret(key, args.stack)));

        const plan = new AppServicePlan(
            `${name}-plan`,
            { resourceGroupName: rg, location: args.location, kind: "functionapp", reserved: true, sku: { name: "Y1", tier: "Dynamic" } },
            { parent: this },
        );
        const app = new WebApp(
            `${name}-app`,
            {
                resourceGroupName: rg,
                location: args.location,
                kind: "functionapp,linux",
                reserved: true,
                serverFarmId: plan.id,
                httpsOnly: true,
                clientAffinityEnabled: false,
                siteConfig: relaySiteConfig({
                    storageConnection,
                    packageUrl,
                    token: args.token,
                    repository: args.repository,
                    stack: args.stack,
                    secret,
                    telemetryConnectionString: args.telemetryConnectionString,
                }),
            },
            { parent: this },
        );

        const host = pulumi.all([app.defaultHostName, app.name]).apply(([h, n]) => h || `${n}.azurewebsites.net`);
        this.webhookUrl = pulumi.secret(pulumi.interpolate`https://${host}/api/${RELAY_FUNCTION}?secret=${secret}`);
        this.functionAppId = app.id;
        this.functionAppName = app.name;
        this.registerOutputs({ webhookUrl: this.webhookUrl, functionAppId: this.functionAppId, functionAppName: this.functionAppName });
    }
}
