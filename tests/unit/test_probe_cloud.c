/* Where the host runs: one fake tree per cloud (tests/fixtures/probe/),
 * the environment overrides, and a tree with nothing (all unknown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe/cloud.h"
#include "probe_fixture.h"

typedef struct cloud_case {
    const char *fixture, *provider, *platform, *region, *zone, *site, *source;
} cloud_case;

static const cloud_case CASES[] = {
    {"aws", "aws", "aws_ec2", "us-east-1", "us-east-1a", "", "dmi"},
    {"gcp", "gcp", "gcp_compute_engine", "southamerica-east1", "southamerica-east1-b", "", "dmi"},
    {"azure", "azure", "azure_vm", "brazilsouth", "", "", "dmi"},
    {"codespaces", "github_codespaces", "azure_vm", "", "", "", "codespaces"},
    {"alibaba", "alibaba_cloud", "alibaba_cloud_ecs", "cn-hangzhou", "cn-hangzhou-i", "", "dmi"},
    {"oracle", "oracle_cloud", "oracle_cloud_compute", "", "", "", "dmi"},
    {"tencent", "tencent_cloud", "tencent_cloud_cvm", "", "", "", "dmi"},
    {"ibm", "ibm_cloud", "", "", "", "", "dmi"},
    {"localhost", "localhost", "", "", "", "lab-sp", "dmi"},
};

static void checkCase(const cloud_case *k) {
    probe_cloud c;
    useFixture(k->fixture);
    probeCloudRead(&c);
    print_message("%s: %s %s %s %s\n", k->fixture, c.provider, c.platform, c.region, c.zone);
    assert_string_equal(c.provider, k->provider);
    assert_string_equal(c.platform, k->platform);
    assert_string_equal(c.region, k->region);
    assert_string_equal(c.zone, k->zone);
    assert_string_equal(c.site, k->site);
    assert_non_null(c.source);
    assert_string_equal(c.source, k->source);
}

static void test_each_cloud(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) checkCase(&CASES[i]);
}

static void test_dmi_evidence_is_kept(void **state) {
    (void)state;
    probe_cloud c;
    useFixture("aws");
    probeCloudRead(&c);
    assert_string_equal(c.sys_vendor, "Amazon EC2");
    assert_string_equal(c.product_name, "t3a.xlarge");
}

/* No DMI, no cloud-init, no variables: not "localhost", unknown. */
static void test_nothing_is_unknown(void **state) {
    (void)state;
    probe_cloud c;
    useFixture("empty");
    probeCloudRead(&c);
    assert_string_equal(c.provider, "");
    assert_string_equal(c.platform, "");
    assert_string_equal(c.region, "");
    assert_string_equal(c.zone, "");
    assert_string_equal(c.site, "");
    assert_null(c.source);
}

static void test_environment_overrides(void **state) {
    (void)state;
    probe_cloud c;
    useFixture("aws");
    setenv("BARDO_CLOUD_REGION", "sa-east-1", 1);
    setenv("BARDO_CLOUD_ZONE", "sa-east-1c", 1);
    setenv("BARDO_SITE", "site-b", 1);
    probeCloudRead(&c);
    assert_string_equal(c.provider, "aws");
    assert_string_equal(c.source, "dmi");
    assert_string_equal(c.region, "sa-east-1");
    assert_string_equal(c.zone, "sa-east-1c");
    assert_string_equal(c.site, "site-b");
    setenv("BARDO_CLOUD_PROVIDER", "gcp", 1);
    setenv("BARDO_CLOUD_PLATFORM", "gcp_compute_engine", 1);
    probeCloudRead(&c);
    assert_string_equal(c.provider, "gcp");
    assert_string_equal(c.platform, "gcp_compute_engine");
    assert_string_equal(c.source, "env");
}

/* Codespaces without Azure's DMI (or with none): no platform claimed. */
static void test_codespaces_without_dmi(void **state) {
    (void)state;
    probe_cloud c;
    useFixture("empty");
    setenv("CODESPACES", "true", 1);
    probeCloudRead(&c);
    assert_string_equal(c.provider, "github_codespaces");
    assert_string_equal(c.platform, "");
    setenv("CODESPACES", "false", 1);
    probeCloudRead(&c);
    assert_string_equal(c.provider, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_cloud),
        cmocka_unit_test(test_dmi_evidence_is_kept),
        cmocka_unit_test(test_nothing_is_unknown),
        cmocka_unit_test(test_environment_overrides),
        cmocka_unit_test(test_codespaces_without_dmi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
