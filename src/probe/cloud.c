/* cloud.c - DMI, Codespaces, cloud-init, then the environment (cloud.h). */
#include "probe/cloud.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json/json.h"

typedef enum dmi_field { DMI_SYS_VENDOR, DMI_PRODUCT, DMI_ASSET_TAG, DMI_BIOS_VERSION, DMI_FIELDS } dmi_field;

static const char *const DMI_FILES[DMI_FIELDS] = {
    "sys_vendor", "product_name", "chassis_asset_tag", "bios_version",
};

typedef struct dmi_rule {
    dmi_field field;
    bool contains;         /* else the whole string, case-insensitive */
    const char *value, *provider, *platform;
} dmi_rule;

static const dmi_rule DMI_RULES[] = {
    {DMI_SYS_VENDOR, false, "Amazon EC2", "aws", "aws_ec2"},
    {DMI_BIOS_VERSION, true, "amazon", "aws", "aws_ec2"}, /* Xen-era instances */
    {DMI_PRODUCT, false, "Google Compute Engine", "gcp", "gcp_compute_engine"},
    {DMI_SYS_VENDOR, false, "Google", "gcp", "gcp_compute_engine"},
    {DMI_ASSET_TAG, false, "7783-7084-3265-9085-8269-3286-77", "azure", "azure_vm"},
    {DMI_PRODUCT, false, "Alibaba Cloud ECS", "alibaba_cloud", "alibaba_cloud_ecs"},
    {DMI_SYS_VENDOR, false, "Alibaba Cloud", "alibaba_cloud", "alibaba_cloud_ecs"},
    {DMI_ASSET_TAG, false, "OracleCloud.com", "oracle_cloud", "oracle_cloud_compute"},
    {DMI_SYS_VENDOR, false, "Tencent Cloud", "tencent_cloud", "tencent_cloud_cvm"},
    {DMI_ASSET_TAG, false, "ibmcloud", "ibm_cloud", NULL},
    {DMI_SYS_VENDOR, false, "IBM", "ibm_cloud", NULL},
};

/* cloud-init's v1.cloud_name values. */
static const char *const CLOUD_INIT_NAMES[][3] = {
    {"aws", "aws", "aws_ec2"},          {"gce", "gcp", "gcp_compute_engine"},
    {"azure", "azure", "azure_vm"},     {"oracle", "oracle_cloud", "oracle_cloud_compute"},
    {"aliyun", "alibaba_cloud", "alibaba_cloud_ecs"}, {"ibmcloud", "ibm_cloud", NULL},
    {"tencent", "tencent_cloud", "tencent_cloud_cvm"},
};

static void cloudSet(char *dst, size_t cap, const char *value) { probeCopy(dst, cap, value); }

static bool dmiMatches(const dmi_rule *r, const char *text) {
    if (!r->contains) return strcasecmp(text, r->value) == 0;
    return strcasestr(text, r->value) != NULL;
}

static void cloudFromDmi(probe_cloud *c) {
    char dmi[DMI_FIELDS][96], path[128];
    bool readable = false;
    for (int i = 0; i < DMI_FIELDS; i++) {
        snprintf(path, sizeof(path), "/sys/class/dmi/id/%s", DMI_FILES[i]);
        readable |= probeReadText(path, dmi[i], sizeof(dmi[i])) > 0;
    }
    cloudSet(c->sys_vendor, sizeof(c->sys_vendor), dmi[DMI_SYS_VENDOR]);
    cloudSet(c->product_name, sizeof(c->product_name), dmi[DMI_PRODUCT]);
    if (!readable) return;
    c->source = "dmi";
    for (size_t i = 0; i < sizeof(DMI_RULES) / sizeof(DMI_RULES[0]); i++) {
        const dmi_rule *r = &DMI_RULES[i];
        if (!dmiMatches(r, dmi[r->field])) continue;
        cloudSet(c->provider, sizeof(c->provider), r->provider);
        cloudSet(c->platform, sizeof(c->platform), r->platform);
        return;
    }
    cloudSet(c->provider, sizeof(c->provider), "localhost");
}

static void cloudFromCodespaces(probe_cloud *c) {
    const char *cs = getenv("CODESPACES");
    if (!cs || strcmp(cs, "true") != 0) return;
    cloudSet(c->provider, sizeof(c->provider), "github_codespaces");
    if (strcmp(c->platform, "azure_vm") != 0) c->platform[0] = '\0';
    c->source = "codespaces";
}

static void cloudInitName(probe_cloud *c, slice name) {
    for (size_t i = 0; i < sizeof(CLOUD_INIT_NAMES) / sizeof(CLOUD_INIT_NAMES[0]); i++) {
        if (!sliceEqStr(name, CLOUD_INIT_NAMES[i][0])) continue;
        cloudSet(c->provider, sizeof(c->provider), CLOUD_INIT_NAMES[i][1]);
        cloudSet(c->platform, sizeof(c->platform), CLOUD_INIT_NAMES[i][2]);
        c->source = "cloud-init";
        return;
    }
}

static void cloudInitField(probe_cloud *c, slice key, slice value) {
    bool no_provider = !c->provider[0] || strcmp(c->provider, "localhost") == 0;
    if (sliceEqStr(key, "cloud_name") && no_provider) cloudInitName(c, value);
    else if (sliceEqStr(key, "region") && !c->region[0])
        probeCopyTrim(c->region, sizeof(c->region), value.ptr, value.len);
    else if ((sliceEqStr(key, "availability_zone") || sliceEqStr(key, "availability-zone")) &&
             !c->zone[0])
        probeCopyTrim(c->zone, sizeof(c->zone), value.ptr, value.len);
}

/* Inside "v1": string members we know, everything else skipped. */
static void cloudInitV1(probe_cloud *c, json_reader *r) {
    char key[64];
    while (jsonNext(r) == JSON_KEY) {
        probeCopyTrim(key, sizeof(key), r->value.ptr, r->value.len);
        json_tok t = jsonNext(r);
        if (t == JSON_STRING) cloudInitField(c, sliceMake(key, strlen(key)), r->value);
        else if (jsonSkipRest(r, t) < 0) return;
    }
}

static void cloudInitParse(probe_cloud *c, char *text, size_t len, char *scratch) {
    json_reader r;
    jsonReaderInit(&r, text, len, scratch, len);
    if (jsonNext(&r) != JSON_OBJECT_BEGIN) return;
    while (jsonNext(&r) == JSON_KEY) {
        bool v1 = sliceEqStr(r.value, "v1");
        json_tok t = jsonNext(&r);
        if (v1 && t == JSON_OBJECT_BEGIN) {
            cloudInitV1(c, &r);
            return;
        }
        if (jsonSkipRest(&r, t) < 0) return;
    }
}

static void cloudFromCloudInit(probe_cloud *c) {
    enum { MAX = 1 << 20 };
    FILE *f = probeOpen("/run/cloud-init/instance-data.json");
    if (!f) return;
    char *text = malloc(MAX), *scratch = malloc(MAX);
    size_t len = text ? fread(text, 1, MAX, f) : 0;
    fclose(f);
    if (text && scratch && len > 0 && len < MAX) cloudInitParse(c, text, len, scratch);
    free(text);
    free(scratch);
}

static void cloudEnv(char *dst, size_t cap, const char *name, probe_cloud *c) {
    const char *v = getenv(name);
    if (!v || !*v) return;
    cloudSet(dst, cap, v);
    if (dst == c->provider) c->source = "env";
}

void probeCloudRead(probe_cloud *c) {
    *c = (probe_cloud){0};
    cloudFromDmi(c);
    cloudFromCodespaces(c);
    cloudFromCloudInit(c);
    cloudEnv(c->provider, sizeof(c->provider), "BARDO_CLOUD_PROVIDER", c);
    cloudEnv(c->platform, sizeof(c->platform), "BARDO_CLOUD_PLATFORM", c);
    cloudEnv(c->region, sizeof(c->region), "BARDO_CLOUD_REGION", c);
    cloudEnv(c->zone, sizeof(c->zone), "BARDO_CLOUD_ZONE", c);
    cloudEnv(c->site, sizeof(c->site), "BARDO_SITE", c);
}
