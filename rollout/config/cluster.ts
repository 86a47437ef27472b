/** `slotshift:cluster`: the AKS cluster every Kubernetes resource of the stack goes to, through an explicit provider. */
import { z } from "zod";
import { pattern, resourceGroupName, subscriptionId } from "./fields";

/** An AKS cluster's name: 1 to 63 letters, digits, '-' and '_', starting and ending with a letter or digit. */
const aksName = pattern(/^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/, "an AKS cluster name: 1 to 63 letters, digits, '-' and '_', starting and ending with a letter or digit", 63);

const CLUSTER =
    "the AKS cluster the stack deploys to: { resourceGroup, name } (and subscriptionId when it is in another subscription than the stack's), " +
    "e.g. pulumi config set --path 'slotshift:cluster.resourceGroup' my-aks-rg and pulumi config set --path 'slotshift:cluster.name' my-aks";

export function clusterSchema() {
    return z.strictObject(
        { resourceGroup: resourceGroupName, name: aksName, subscriptionId: subscriptionId.optional() },
        { error: (issue) => (issue.input === undefined ? CLUSTER : `an object: ${CLUSTER}`) },
    );
}
