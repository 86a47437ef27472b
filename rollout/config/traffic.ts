/** `slotshift:traffic`: the router that splits traffic between the slots, and its probes. */
import { z } from "zod";
import { dnsLabel, intIn, oneOf, pattern } from "./fields";
import { ROUTERS } from "./kinds";

export function trafficSchema() {
    return z
        .strictObject({
            router: oneOf(ROUTERS).default("traffic-manager"),
            ttl: intIn(1, 86400, "a DNS TTL in seconds from 1 to 86400").default(30),
            dnsName: dnsLabel(63).optional(),
            hostnames: z
                .array(pattern(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "a DNS host name", 253), { error: "a list of host names" })
                .max(16, { error: "at most 16 host names" })
                .default([]),
            gateway: z.strictObject({ name: dnsLabel(63), namespace: dnsLabel(63).optional() }).prefault({ name: "public-gateway" }),
            // HTTP on 80 by default: the slots' load balancers pass traffic to the app as it is. HTTPS
            // needs TLS terminated in front of each slot (see README); then set HTTPS and 443.
            probeProtocol: oneOf(["HTTPS", "HTTP"] as const).default("HTTP"),
            probePort: intIn(1, 65535).default(80),
            tenantHeader: pattern(/^[A-Za-z0-9-]+$/, "an HTTP header name: letters, digits and '-'", 100).default("x-tenant-id"),
            pinnedTenants: z
                .array(pattern(/^[A-Za-z0-9._-]+$/, "a tenant id: letters, digits, '.', '_' or '-'", 100), { error: "a list of tenant ids" })
                .max(16, { error: "at most 16 pinned tenants (each is a route match)" })
                .default([]),
            probeIntervalSeconds: z.union([z.literal(10), z.literal(30)], { error: "10 or 30 (the only probe intervals Azure Traffic Manager offers)" }).default(30),
            probeTimeoutSeconds: intIn(5, 10, "a probe timeout from 5 to 10 seconds").default(10),
        })
        .refine((t) => t.probeTimeoutSeconds < t.probeIntervalSeconds, {
            error: "a probe timeout below the probe interval (5 to 9 seconds for a 10-second interval)",
            path: ["probeTimeoutSeconds"],
        })
        .prefault({});
}
