/** `slotshift:alerts`: the thresholds of the alert rules, where their data is, and who they tell. */
import { z } from "zod";
import { azureName, intIn, numberIn, resourceGroupName, subscriptionId } from "./fields";

const percent = () => numberIn(1, 100, "a percentage above 0 and at most 100");

const threshold = (what: string) =>
    z
        .strictObject({ warning: percent(), critical: percent() })
        .refine((t) => t.warning < t.critical, { error: `${what}: warning must be below critical`, path: ["warning"] });

const email = z.email({ error: "an email address" });

export const alertsSecrets = [{ path: ["webhookUrl"], how: "pulumi config set --secret --path 'slotshift:alerts.webhookUrl' https://..." }] as const;

export function alertsSchema() {
    return z
        .strictObject({
            errorRatePercent: numberIn(0.01, 100, "a percentage above 0 and at most 100").default(1),
            errorRateWarningPercent: numberIn(0.01, 100, "a percentage above 0 and at most 100").default(0.5),
            p99LatencyMs: intIn(1, 600000, "milliseconds from 1 to 600000").default(2000),
            /** Requests a slot must have answered in a window before its error rate and p99 are judged. */
            minRequests: intIn(1, 1000000, "a whole number of requests from 1 to 1000000").default(20),
            cpuPercent: threshold("slotshift:alerts.cpuPercent").prefault({ warning: 80, critical: 90 }),
            memoryPercent: threshold("slotshift:alerts.memoryPercent").prefault({ warning: 80, critical: 90 }),
            dbConnections: z
                .strictObject({ max: intIn(1, 100000), alertAt: intIn(1, 100000) })
                .refine((c) => c.alertAt <= c.max, { error: "alertAt at most max", path: ["alertAt"] })
                .prefault({ max: 20, alertAt: 18 }),
            /** Consecutive failed health probes before a slot counts as down (and Traffic Manager stops routing to it). */
            healthFailures: intIn(1, 9).default(3),
            /** Days the Log Analytics workspace keeps data. */
            retentionDays: intIn(30, 730).default(30),
            /** An existing Log Analytics workspace to use instead of creating one: where the app's telemetry goes. */
            workspace: z.strictObject({ resourceGroup: resourceGroupName, name: azureName }).optional(),
            /**
             * The Log Analytics workspace the AKS cluster's Container insights writes to (its data
             * collection rule's destination): the CPU, memory and health rules query it.
             */
            clusterWorkspace: z.strictObject({ resourceGroup: resourceGroupName, name: azureName, subscriptionId: subscriptionId.optional() }).optional(),
            /** The shared PostgreSQL flexible server whose connections are watched. */
            database: z
                .strictObject({
                    resourceGroup: resourceGroupName,
                    server: azureName,
                    /** The server's `max_connections` parameter (Azure allows 25 to 5000; the default depends on the SKU). */
                    maxConnections: intIn(25, 5000, "the server's max_connections: an integer from 25 to 5000"),
                    /** Warning when the server's connections pass this share of those usable by apps (max_connections less the 15 Azure reserves). */
                    warningPercent: percent().default(80),
                })
                .optional(),
            /** An Azure Cache for Redis whose hit rate the dashboard shows. */
            cache: z.strictObject({ resourceGroup: resourceGroupName, name: azureName }).optional(),
            emails: z.array(email, { error: "a list of email addresses" }).max(20, { error: "at most 20 email addresses" }).default([]),
            webhookUrl: z.url({ protocol: /^https$/, error: "an https URL, given as a Pulumi secret" }).optional(),
        })
        .refine((a) => a.errorRateWarningPercent < a.errorRatePercent, {
            error: "a warning error rate below slotshift:alerts.errorRatePercent",
            path: ["errorRateWarningPercent"],
        })
        .prefault({});
}
