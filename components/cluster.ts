import * as pulumi from "@pulumi/pulumi";
import { getManagedClusterOutput, listManagedClusterUserCredentialsOutput } from "@pulumi/azure-native/containerservice";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import { Provider as KubernetesProvider } from "@pulumi/kubernetes/provider";

/** The AKS cluster a stack names (`slotshift:cluster`). */
export interface ClusterRef {
    readonly resourceGroup: string;
    readonly name: string;
    /** When the cluster is in another subscription than the stack's. */
    readonly subscriptionId?: string;
}

/** How the program reaches the stack's cluster. */
export interface ClusterAccess {
    /** The provider every Kubernetes resource of the stack uses. */
    readonly provider: KubernetesProvider;
    /** The cluster's Azure region, as Azure reports it: its load balancers' public names end in `.<region>.cloudapp.azure.com`. */
    readonly location: pulumi.Output<string>;
}

/**
 * The explicit Kubernetes provider of a stack, built from its AKS cluster's user
 * credentials, so that no `pulumi up` ever deploys to whatever the current
 * kubeconfig context is. The credentials are read with `listClusterUserCredential`
 * (`format: exec`): for a cluster with Microsoft Entra ID integration the kubeconfig
 * runs `kubelogin get-token`, which must be on the PATH; set `AAD_LOGIN_METHOD=azurecli`
 * after `az login` on a laptop, or `workloadidentity` (with AZURE_CLIENT_ID and
 * AZURE_TENANT_ID) in GitHub Actions, so it signs in without a browser. For a cluster with local accounts the kubeconfig carries a
 * client certificate. Either way it is a Pulumi secret.
 *
 * The provider's logical name is `<prefix>-cluster`: it must stay stable, since
 * changing a resource's provider replaces it.
 */
export function connectCluster(prefix: string, cluster: ClusterRef): ClusterAccess {
    const azure =
        cluster.subscriptionId === undefined
            ? undefined
            : new AzureProvider(`${prefix}-cluster-subscription`, { subscriptionId: cluster.subscriptionId });
    const invoke = azure === undefined ? {} : { provider: azure };
    const args = { resourceGroupName: cluster.resourceGroup, resourceName: cluster.name };
    const credentials = listManagedClusterUserCredentialsOutput({ ...args, format: "exec" }, invoke);
    const kubeconfig = pulumi.secret(
        credentials.kubeconfigs.apply((configs) => {
            const first = configs[0];
            if (first === undefined) {
                throw new Error(`AKS cluster ${cluster.resourceGroup}/${cluster.name} returned no kubeconfig (slotshift:cluster)`);
            }
            return Buffer.from(first.value, "base64").toString("utf8");
        }),
    );
    const managed = getManagedClusterOutput(args, invoke);
    // The provider is replaced only when this changes, and a replaced provider replaces every
    // Kubernetes resource (the namespace with both slots). Without it pulumi-kubernetes replaces on any
    // change of the kubeconfig's cluster entry: a certificate rotation (az aks rotate-certs) or a new
    // API server name would delete and recreate both slots in the next update, a rollback included.
    const provider = new KubernetesProvider(`${prefix}-cluster`, { kubeconfig, clusterIdentifier: managed.id });
    const location = managed.location;
    return { provider, location };
}
