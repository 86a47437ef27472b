/**
 * `slotshift:notifications`: where each step, rollback and failed analysis is posted, besides the
 * GitHub job summary (always): a Microsoft Teams and/or a Slack incoming webhook. Both URLs carry
 * their own credential, so both are Pulumi secrets only; the pipeline reads them with
 * `pulumi config get` and hands them to `slotshift notify` in its environment.
 */
import { z } from "zod";

export const notificationsSecrets = [
    { path: ["teamsWebhookUrl"], how: "pulumi config set --secret --path 'slotshift:notifications.teamsWebhookUrl' https://..." },
    { path: ["slackWebhookUrl"], how: "pulumi config set --secret --path 'slotshift:notifications.slackWebhookUrl' https://hooks.slack.com/services/..." },
] as const;

export function notificationsSchema() {
    return z
        .strictObject({
            /** A Teams incoming webhook (a Workflows webhook URL, or a connector's): posted an Adaptive Card. */
            teamsWebhookUrl: z.url({ protocol: /^https$/, error: "an https URL of a Teams incoming webhook, given as a Pulumi secret" }).optional(),
            /** A Slack incoming webhook (https://hooks.slack.com/services/...): posted `{ text }`. */
            slackWebhookUrl: z.url({ protocol: /^https$/, error: "an https URL of a Slack incoming webhook, given as a Pulumi secret" }).optional(),
        })
        .optional();
}
