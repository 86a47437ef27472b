/**
 * The RollbackRelay component under the offline engine (cli/engine.ts), the
 * same mocks and recording as every plan: a one-line program in a temporary
 * project root builds the component; the plan lists what it registers, secrets
 * shown as `[secret]`.
 */
import { expect } from "chai";
import { createHmac } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { plan, PlanResult, PlannedResource } from "../cli/engine";
import {
    isStorageAccountName,
    RELAY_NODE_VERSION,
    RELAY_SECRET_LABEL,
    relaySecret,
    relaySiteConfig,
    relayStorageAccountName,
    RollbackRelay,
    RollbackRelayArgs,
} from "../components/rollbackRelay";
import { RELAY_NODE_MAJOR } from "../relay/build";
import type * as RelayModule from "../relay/index";
import { ROOT } from "./helpers";

const TOKEN = "github_pat_11AAAAAAA0relaytoken0never0in0a0plan";
const SAS = "sv=2024-11-04&sr=b&sp=r&spr=https&sig=offline-signature";
const STORAGE_KEY = "offline-storage-key==";
/** What the relay's secret must be for STORAGE_KEY and stack prod. */
const SECRET = relaySecret(STORAGE_KEY, "prod");
const TELEMETRY = "InstrumentationKey=00000000-0000-0000-0000-0000000000aa;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/";

/** The provider functions the program called in the last plan. */
const invoked: string[] = [];
const INVOKES = {
    "azure-native:storage:listStorageAccountServiceSAS": () => (invoked.push("azure-native:storage:listStorageAccountServiceSAS"), { serviceSasToken: SAS }),
    "azure-native:storage:listStorageAccountKeys": () => (
        invoked.push("azure-native:storage:listStorageAccountKeys"), { keys: [{ keyName: "key1", value: STORAGE_KEY, permissions: "FULL" }] }
    ),
    // The function host down, as in Azure/azure-functions-host #5722: a plan that asked it would fail.
    "azure-native:web:listWebAppHostKeys": (): Record<string, unknown> => {
        invoked.push("azure-native:web:listWebAppHostKeys");
        throw new Error("Encountered an error (ServiceUnavailable) from host runtime");
    },
};

/** The arguments the next plan's program builds the component with, and what its secret output resolved to. */
let current: RollbackRelayArgs | undefined;
let resolvedWebhookUrl: string | undefined;
let webhookUrlIsSecret: boolean | undefined;

/** The program the temporary project root's index.ts exports. */
export async function relayProgram(): Promise<Record<string, unknown>> {
    const relay = new RollbackRelay("nextgen-market-prod-relay", current!);
    relay.webhookUrl.apply((u) => {
        resolvedWebhookUrl = u;
    });
    webhookUrlIsSecret = await pulumi.isSecret(relay.webhookUrl);
    return { webhookUrl: relay.webhookUrl, functionAppId: relay.functionAppId };
}

const baseArgs = (): RollbackRelayArgs => ({
    stack: "prod",
    resourceGroupName: "nextgen-market-prod",
    location: "westeurope",
    repository: "nextgen-market/nextgen-market",
    token: pulumi.secret(TOKEN),
    root: ROOT,
});

describe("RollbackRelay (components/rollbackRelay.ts)", function () {
    this.timeout(60000);
    let projectRoot: string;

    before(() => {
        projectRoot = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-relay-program-"));
        fs.writeFileSync(path.join(projectRoot, "index.ts"), `module.exports = require(${JSON.stringify(__filename)}).relayProgram;\n`);
    });
    after(() => {
        fs.rmSync(projectRoot, { recursive: true, force: true });
    });

    async function planRelay(args: RollbackRelayArgs): Promise<PlanResult> {
        current = args;
        resolvedWebhookUrl = undefined;
        webhookUrlIsSecret = undefined;
        invoked.length = 0;
        return plan({ stack: "prod", root: projectRoot, config: {}, invokes: INVOKES });
    }
    const one = (result: PlanResult, type: string): PlannedResource => {
        const found = result.resources.filter((r) => r.type === type);
        expect(found, type).to.have.length(1);
        return found[0];
    };
    /** The WebApp's `siteConfig` as the plan records it. */
    const siteConfigOf = (result: PlanResult) => (one(result, "azure-native:web:WebApp").inputs as { siteConfig: { appSettings: unknown[] } & Record<string, unknown> }).siteConfig;

    describe("the resources", () => {
        let result: PlanResult;
        before(async () => {
            result = await planRelay(baseArgs());
        });

        it("registers a storage account, a container, the package blob, a Y1 plan and a Linux function app under the component", () => {
            expect(result.ok, result.error?.message).to.equal(true);
            const component = one(result, "slotshift:azure:RollbackRelay");
            expect(component.name).to.equal("nextgen-market-prod-relay");
            const types = result.resources.filter((r) => r.parent === component.name).map((r) => r.type);
            expect(types).to.have.members([
                "azure-native:storage:StorageAccount",
                "azure-native:storage:BlobContainer",
                "azure-native:storage:Blob",
                "azure-native:web:AppServicePlan",
                "azure-native:web:WebApp",
            ]);
        });

        it("names the storage account deterministically within Azure's rules (3-24 lowercase letters and digits)", () => {
            const account = one(result, "azure-native:storage:StorageAccount").inputs;
            const expected = relayStorageAccountName("nextgen-market/nextgen-market", "prod", "nextgen-market-prod-relay");
            expect(account).to.include({ accountName: expected, kind: "StorageV2", allowBlobPublicAccess: false, minimumTlsVersion: "TLS1_2" });
            expect(isStorageAccountName(expected), expected).to.equal(true);
            expect(relayStorageAccountName("nextgen-market/nextgen-market", "prod", "nextgen-market-prod-relay")).to.equal(expected);
            expect(relayStorageAccountName("nextgen-market/nextgen-market", "staging", "nextgen-market-prod-relay")).not.to.equal(expected);
            expect(isStorageAccountName(relayStorageAccountName("Some-Org/Repo", "a-very-long-stack-name-indeed", "x"))).to.equal(true);
        });

        it("uploads relay/dist as the package, the blob named after its content", () => {
            const blob = one(result, "azure-native:storage:Blob").inputs as { blobName: string; type: string; contentType: string };
            expect(blob.blobName).to.match(/^rollback-relay-[0-9a-f]{16}\.zip$/);
            expect(blob).to.include({ type: "Block", contentType: "application/zip" });
            const container = one(result, "azure-native:storage:BlobContainer").inputs;
            expect(container).to.include({ publicAccess: "None" });
        });

        it("runs on a Linux Consumption plan (Y1, Dynamic, reserved)", () => {
            const p = one(result, "azure-native:web:AppServicePlan").inputs;
            expect(p).to.deep.include({ kind: "functionapp", reserved: true, sku: { name: "Y1", tier: "Dynamic" }, location: "westeurope" });
        });

        it("configures a Linux function app, HTTPS only, with the site config relaySiteConfig builds", () => {
            const app = one(result, "azure-native:web:WebApp").inputs;
            expect(app).to.include({ kind: "functionapp,linux", reserved: true, httpsOnly: true, location: "westeurope" });
            expect(app.serverFarmId).to.be.a("string");
            // azure-native lifts siteConfig into one output to fill its defaults, so the secrets inside
            // make all of it a secret: the plan keeps its shape (8 app settings) and hides every value.
            const site = siteConfigOf(result);
            expect(site).to.include({ linuxFxVersion: "[secret]", minTlsVersion: "[secret]", ftpsState: "[secret]" });
            expect(site.appSettings).to.have.length(8);
            expect(site.appSettings.every((s) => JSON.stringify(s) === '{"name":"[secret]","value":"[secret]"}')).to.equal(true);
        });

        it("never shows the token, the storage key, the SAS or the relay's secret in the plan", () => {
            const text = JSON.stringify(result);
            for (const secret of [TOKEN, STORAGE_KEY, SAS, SECRET]) {
                expect(text).not.to.contain(secret);
            }
            expect(text).not.to.contain("secret=");
        });

        it("outputs the webhook URL as a Pulumi secret: https://<host>/api/rollback?secret=<relay secret>", () => {
            expect(result.outputs.webhookUrl).to.equal("[secret]");
            expect(webhookUrlIsSecret).to.equal(true);
            expect(resolvedWebhookUrl).to.equal(`https://nextgen-market-prod-relay-app.azurewebsites.net/api/rollback?secret=${SECRET}`);
            expect(new URL(resolvedWebhookUrl!).searchParams.get("secret")).to.match(/^[0-9a-f]{64}$/);
            expect(result.outputs.functionAppId).to.equal("nextgen-market-prod-relay-app-id");
        });

        it("asks nothing of the function host: its only provider calls are the storage account's SAS and keys (ARM)", () => {
            expect([...new Set(invoked)].sort()).to.deep.equal(["azure-native:storage:listStorageAccountKeys", "azure-native:storage:listStorageAccountServiceSAS"]);
        });

        it("gives a URL the relay's handler accepts with the secret the app setting holds, and a URL without it gets 401", async () => {
            const warn = console.warn;
            console.warn = () => undefined;
            let relay: typeof RelayModule;
            try {
                relay = require("../relay/index") as typeof RelayModule;
            } finally {
                console.warn = warn;
            }
            // The app setting's value is hidden in the plan; relaySiteConfig is fed relaySecret(storage key, stack).
            const handler = relay.makeRollbackHandler({ env: { RELAY_SECRET: SECRET, GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "owner/name", SLOTSHIFT_STACK: "prod" } });
            const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
            const body = async () => "{}";
            const url = new URL(resolvedWebhookUrl!);
            const accepted = await handler({ query: url.searchParams, text: body }, quiet);
            expect(accepted.status).to.equal(200);
            url.searchParams.delete("secret");
            expect(await handler({ query: url.searchParams, text: body }, quiet)).to.deep.equal({ status: 401 });
        });
    });

    describe("the relay's secret (relaySecret)", () => {
        it("is HMAC-SHA256 keyed with the storage key over the label and the stack name, in hex", () => {
            const expected = createHmac("sha256", STORAGE_KEY).update(`${RELAY_SECRET_LABEL}\nprod`).digest("hex");
            expect(relaySecret(STORAGE_KEY, "prod")).to.equal(expected).and.match(/^[0-9a-f]{64}$/);
            expect(relaySecret(STORAGE_KEY, "prod")).to.equal(relaySecret(STORAGE_KEY, "prod"));
        });

        it("differs by stack, and changes when the storage key is rotated", () => {
            expect(relaySecret(STORAGE_KEY, "staging")).not.to.equal(SECRET);
            expect(relaySecret("rotated-storage-key==", "prod")).not.to.equal(SECRET);
        });

        it("follows a rotated storage key into the webhook URL at the next plan", async () => {
            const rotated = await plan({
                stack: "prod",
                root: projectRoot,
                config: {},
                invokes: { ...INVOKES, "azure-native:storage:listStorageAccountKeys": () => ({ keys: [{ keyName: "key1", value: "rotated-storage-key==", permissions: "FULL" }] }) },
            });
            expect(rotated.ok, rotated.error?.message).to.equal(true);
            expect(resolvedWebhookUrl).to.equal(`https://nextgen-market-prod-relay-app.azurewebsites.net/api/rollback?secret=${relaySecret("rotated-storage-key==", "prod")}`);
        });
    });

    it("passes telemetryConnectionString on as APPLICATIONINSIGHTS_CONNECTION_STRING, hidden in the plan", async () => {
        const result = await planRelay({ ...baseArgs(), telemetryConnectionString: TELEMETRY });
        expect(result.ok, result.error?.message).to.equal(true);
        expect(siteConfigOf(result).appSettings).to.have.length(9);
        const text = JSON.stringify(result);
        expect(text).not.to.contain("InstrumentationKey");
        expect(text).not.to.contain("00000000-0000-0000-0000-0000000000aa");
    });

    it("keeps a token given in clear a secret", async () => {
        const result = await planRelay({ ...baseArgs(), token: TOKEN });
        expect(result.ok, result.error?.message).to.equal(true);
        expect(siteConfigOf(result).appSettings).to.have.length(8);
        expect(JSON.stringify(result)).not.to.contain(TOKEN);
    });

    describe("the site config (relaySiteConfig)", () => {
        const site = (telemetryConnectionString?: string) =>
            relaySiteConfig({ storageConnection: "AccountKey=k", packageUrl: "https://x/y?sig=s", token: TOKEN, repository: "owner/name", stack: "prod", secret: SECRET, telemetryConnectionString });

        it("runs Node 22 on the v4 runtime, TLS 1.2 for the app and its SCM site, FTP off", () => {
            expect(site()).to.include({ linuxFxVersion: "Node|22", minTlsVersion: "1.2", scmMinTlsVersion: "1.2", ftpsState: "Disabled" });
        });

        it("runs the Node.js major version relay/build.ts bundles for", () => {
            expect(RELAY_NODE_VERSION).to.equal(RELAY_NODE_MAJOR);
        });

        it("sets exactly the app settings the Functions host and relay/index.ts read", () => {
            expect(site().appSettings.map((s) => s.name)).to.deep.equal([
                "AzureWebJobsStorage",
                "FUNCTIONS_EXTENSION_VERSION",
                "FUNCTIONS_WORKER_RUNTIME",
                "WEBSITE_RUN_FROM_PACKAGE",
                "GITHUB_TOKEN",
                "GITHUB_REPOSITORY",
                "SLOTSHIFT_STACK",
                "RELAY_SECRET",
            ]);
            const plainValues = Object.fromEntries(site().appSettings.filter((s) => typeof s.value === "string").map((s) => [s.name, s.value]));
            expect(plainValues).to.deep.equal({ FUNCTIONS_EXTENSION_VERSION: "~4", FUNCTIONS_WORKER_RUNTIME: "node", GITHUB_REPOSITORY: "owner/name", SLOTSHIFT_STACK: "prod" });
        });

        it("wraps the token, the storage connection string, the package URL and the relay's secret as secrets, even when given in clear", async () => {
            const secret = site().appSettings.filter((s) => typeof s.value !== "string");
            expect(secret.map((s) => s.name)).to.deep.equal(["AzureWebJobsStorage", "WEBSITE_RUN_FROM_PACKAGE", "GITHUB_TOKEN", "RELAY_SECRET"]);
            for (const s of secret) {
                expect(await pulumi.isSecret(s.value as pulumi.Output<string>), s.name).to.equal(true);
            }
        });

        it("adds APPLICATIONINSIGHTS_CONNECTION_STRING, a secret, only when a telemetry connection string is given", async () => {
            expect(site().appSettings.map((s) => s.name)).not.to.include("APPLICATIONINSIGHTS_CONNECTION_STRING");
            const settings = site(TELEMETRY).appSettings;
            expect(settings.map((s) => s.name)).to.have.length(9);
            const telemetry = settings.find((s) => s.name === "APPLICATIONINSIGHTS_CONNECTION_STRING")!;
            expect(await pulumi.isSecret(telemetry.value as pulumi.Output<string>)).to.equal(true);
            const value = await new Promise<string>((resolve) => (telemetry.value as pulumi.Output<string>).apply(resolve));
            expect(value).to.equal(TELEMETRY);
        });
    });

    it("gives a new package a new blob name (so a new URL, an app restart, no trigger sync)", async () => {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-relay-root-"));
        try {
            fs.mkdirSync(path.join(copy, "relay", "dist"), { recursive: true });
            for (const f of ["host.json", "index.js", "package.json"]) {
                fs.copyFileSync(path.join(ROOT, "relay", "dist", f), path.join(copy, "relay", "dist", f));
            }
            const before = await planRelay({ ...baseArgs(), root: copy });
            fs.appendFileSync(path.join(copy, "relay", "dist", "index.js"), "\n// changed\n");
            const after = await planRelay({ ...baseArgs(), root: copy });
            const name = (r: PlanResult) => (one(r, "azure-native:storage:Blob").inputs as { blobName: string }).blobName;
            expect(name(before)).not.to.equal(name(after));
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });

    describe("arguments, checked before anything registers", () => {
        for (const repository of ["nextgen-market", "owner/", "/name", "own er/name", "owner/name/extra", "-owner/name", "owner/..", ""]) {
            it(`refuses repository ${JSON.stringify(repository)}, naming the argument, the value and what is allowed`, () => {
                expect(() => new RollbackRelay("relay", { ...baseArgs(), repository })).to.throw(
                    `RollbackRelay relay: repository is ${JSON.stringify(repository)}; allowed: owner/name`,
                );
            });
        }

        it("refuses a bad repository in a plan too: the plan fails with the message and registers no relay resource", async () => {
            const result = await planRelay({ ...baseArgs(), repository: "not a repository" });
            expect(result.ok).to.equal(false);
            expect(result.error?.message).to.contain('repository is "not a repository"; allowed: owner/name');
            expect(result.resources.filter((r) => r.type.startsWith("azure-native:") || r.type === "slotshift:azure:RollbackRelay")).to.deep.equal([]);
        });

        it("refuses a storage account name Azure would refuse", () => {
            expect(() => new RollbackRelay("relay", { ...baseArgs(), storageAccountName: "Relay-Storage" })).to.throw(
                'storageAccountName is "Relay-Storage"; allowed: 3 to 24 lowercase letters and digits',
            );
        });

        it("refuses a project root without the built relay, naming the build command", () => {
            expect(() => new RollbackRelay("relay", { ...baseArgs(), root: os.tmpdir() })).to.throw(/relay\/dist\/host\.json is missing; build the relay with `npx ts-node --transpile-only relay\/build\.ts`/);
        });
    });
});
