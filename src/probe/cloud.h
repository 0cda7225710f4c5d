/* cloud.h - where this host runs, with OpenTelemetry's names.
 *
 * cloud.provider is one of localhost, gcp, github_codespaces, aws, azure,
 * tencent_cloud, alibaba_cloud, ibm_cloud, oracle_cloud; cloud.platform is
 * OpenTelemetry's value for the provider's VM service (aws_ec2,
 * gcp_compute_engine, azure_vm, alibaba_cloud_ecs, tencent_cloud_cvm,
 * oracle_cloud_compute; IBM has none: null). Decided in this order, each
 * step only filling what is still unknown:
 *   1. DMI strings in /sys/class/dmi/id (sys_vendor, product_name,
 *      chassis_asset_tag, bios_vendor, bios_version): "Amazon EC2", "Google
 *      Compute Engine", Azure's asset tag 7783-7084-3265-9085-8269-3286-77,
 *      "Alibaba Cloud ECS", "OracleCloud.com", "Tencent Cloud", IBM hints
 *      (asset tag "ibmcloud", vendor "IBM"). Readable DMI naming no cloud
 *      means a machine of one's own: localhost. No DMI at all: unknown.
 *   2. CODESPACES=true: github_codespaces (checked before Azure, which
 *      Codespaces runs on; the platform stays azure_vm when DMI says so).
 *   3. /run/cloud-init/instance-data.json: v1.cloud_name, v1.region,
 *      v1.availability_zone.
 *   4. The environment: BARDO_CLOUD_PROVIDER, BARDO_CLOUD_PLATFORM,
 *      BARDO_CLOUD_REGION, BARDO_CLOUD_ZONE override whatever was found;
 *      BARDO_SITE names the site (bardo's own notion: a location holding a
 *      store), which only the operator knows.
 * No network calls (no metadata services). */
#ifndef BARDO_PROBE_CLOUD_H
#define BARDO_PROBE_CLOUD_H

#include "probe/probe.h"

typedef struct probe_cloud {
    char provider[32], platform[32], region[64], zone[64], site[64];
    char sys_vendor[64], product_name[64]; /* the DMI evidence, as read */
    const char *source;   /* what decided the provider: "dmi", "env", ... */
} probe_cloud;

void probeCloudRead(probe_cloud *c);

#endif
