/* The hardware probes on fake trees: a whole Intel workstation (coretemp,
 * RAPL, cpufreq, zones, memory, mounts, network), an AMD desktop (k10temp,
 * RAPL energy hidden), an ARM board (thermal zones only) and an empty
 * root where everything is unknown. Rates are checked on a tree the test
 * writes twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe/host.h"
#include "probe/gflops.h"
#include "probe_fixture.h"

static void assertNear(double a, double b, int line) {
    if (!(fabs(a - b) < 1e-6 * (fabs(b) + 1))) fail_msg("line %d: %.9g != %.9g", line, a, b);
}
#define assert_near(a, b) assertNear((a), (b), __LINE__)

static void test_cpu_intel(void **state) {
    (void)state;
    probe_cpu c;
    useFixture("intel");
    probeCpuRead(&c);
    assert_string_equal(c.model, "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz");
    assert_string_equal(c.vendor, "GenuineIntel");
    assert_near(c.logical_cores, 4);
    assert_near(c.physical_cores, 2);
    assert_near(c.packages, 1);
    assert_near(c.online_cores, 4);
    assert_near(c.freq_current_hz, 2.15e9);
    assert_near(c.freq_base_hz, 2.8e9);
    assert_near(c.freq_max_hz, 4.7e9);
    assert_string_equal(c.freq_source, "cpufreq");
}

/* No cpufreq (a VM, or a driver that hides it): cpuinfo's "cpu MHz". */
static void test_cpu_amd_without_cpufreq(void **state) {
    (void)state;
    probe_cpu c;
    useFixture("amd");
    probeCpuRead(&c);
    assert_string_equal(c.model, "AMD Ryzen 7 5800X 8-Core Processor");
    assert_near(c.logical_cores, 8);
    assert_near(c.physical_cores, 4);
    assert_near(c.freq_current_hz, 3.8e9);
    assert_string_equal(c.freq_source, "cpuinfo");
    assert_false(probeKnown(c.freq_base_hz));
    assert_false(probeKnown(c.freq_max_hz));
    assert_false(probeKnown(c.online_cores));
}

/* ARM: no model name, no core ids in cpuinfo; sysfs topology instead. */
static void test_cpu_arm_topology(void **state) {
    (void)state;
    probe_cpu c;
    useFixture("zones");
    probeCpuRead(&c);
    assert_string_equal(c.model, "");
    assert_near(c.logical_cores, 2);
    assert_near(c.physical_cores, 2);
    assert_near(c.packages, 1);
    assert_null(c.freq_source);
}

static void test_thermal_coretemp(void **state) {
    (void)state;
    static probe_thermal t;
    useFixture("intel");
    probeThermalRead(&t);
    assert_int_equal(t.count, 7); /* acpitz, 3 coretemp, nvme, 2 zones */
    assert_string_equal(t.sensors[0].device, "hwmon0");
    assert_string_equal(t.sensors[0].label, "temp1");
    assert_string_equal(t.sensors[4].device, "hwmon10"); /* hwmon10 after hwmon1 */
    assert_string_equal(t.sensors[4].label, "Composite");
    assert_near(t.sensors[4].critical_celsius, 84.85);
    assert_int_equal(t.cpu, 1);
    assert_string_equal(t.sensors[1].chip, "coretemp");
    assert_string_equal(t.sensors[1].label, "Package id 0");
    assert_near(probeThermalCpu(&t), 52.0);
    assert_string_equal(t.sensors[6].source, "thermal_zone");
    assert_string_equal(t.sensors[6].chip, "x86_pkg_temp");
}

static void test_thermal_k10temp(void **state) {
    (void)state;
    static probe_thermal t;
    useFixture("amd");
    probeThermalRead(&t);
    assert_int_equal(t.count, 2);
    assert_string_equal(t.sensors[t.cpu].label, "Tctl");
    assert_near(probeThermalCpu(&t), 61.25);
    assert_false(probeKnown(t.sensors[0].critical_celsius));
}

static void test_thermal_zones_only(void **state) {
    (void)state;
    static probe_thermal t;
    useFixture("zones");
    probeThermalRead(&t);
    assert_int_equal(t.count, 3);
    assert_near(probeThermalCpu(&t), 47.236);
    assert_string_equal(t.sensors[2].chip, "iwlwifi_1");
    assert_false(probeKnown(t.sensors[2].celsius)); /* listed, temperature unknown */
}

static void test_power_rapl_fixture(void **state) {
    (void)state;
    static probe_power p;
    useFixture("intel");
    p.count = 0;
    probePowerRead(&p, 1000);
    assert_int_equal(p.count, 3);
    assert_string_equal(p.zones[0].name, "package-0");
    assert_string_equal(p.zones[1].id, "intel-rapl:0:0");
    assert_near(p.zones[0].energy_joules, 1000);
    assert_near(p.package_limit_watts, 28);
    assert_false(probeKnown(p.package_watts)); /* one read: no rate yet */
    assert_near(probePowerPackageJoules(), 1000);
}

/* AMD with energy_uj root-only (here: absent): the limit is still there. */
static void test_power_energy_hidden(void **state) {
    (void)state;
    static probe_power p;
    useFixture("amd");
    p.count = 0;
    probePowerRead(&p, 1000);
    probePowerRead(&p, 3000);
    assert_int_equal(p.count, 1);
    assert_false(probeKnown(p.zones[0].energy_joules));
    assert_false(probeKnown(p.package_watts));
    assert_near(p.package_limit_watts, 105);
    assert_false(probeKnown(probePowerPackageJoules()));
}

static char *tempTree(void) {
    static char root[] = "/tmp/bardo-probe-XXXXXX";
    memcpy(root + strlen(root) - 6, "XXXXXX", 6);
    assert_non_null(mkdtemp(root));
    setenv("BARDO_PROBE_ROOT", root, 1);
    return root;
}

static void removeTree(const char *root) {
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void test_power_rates_and_wrap(void **state) {
    (void)state;
    static probe_power p;
    char *root = tempTree();
    const char *z = "sys/class/powercap/intel-rapl:0/";
    char path[128];
    snprintf(path, sizeof(path), "%sname", z);
    fixtureWrite(root, path, "package-0\n");
    snprintf(path, sizeof(path), "%smax_energy_range_uj", z);
    fixtureWrite(root, path, "100000000\n"); /* wraps at 100 J */
    snprintf(path, sizeof(path), "%senergy_uj", z);
    fixtureWrite(root, path, "50000000\n");
    p.count = 0;
    probePowerRead(&p, 10000);
    fixtureWrite(root, path, "60000000\n"); /* +10 J in 2 s */
    probePowerRead(&p, 12000);
    assert_near(p.package_watts, 5);
    fixtureWrite(root, path, "4000000\n"); /* wrapped: +44 J in 4 s */
    probePowerRead(&p, 16000);
    assert_near(p.zones[0].watts, 11);
    removeTree(root);
}

static void test_memory(void **state) {
    (void)state;
    probe_memory m;
    useFixture("intel");
    probeMemoryRead(&m);
    assert_near(m.total, 16106400.0 * 1024);
    assert_near(m.available, 12000000.0 * 1024);
    assert_near(m.used, (16106400.0 - 12000000.0) * 1024);
    assert_near(m.swap_total, 2097148.0 * 1024);
    assert_near(m.cgroup_limit, 3221225472.0);
    useFixture("empty");
    probeMemoryRead(&m);
    assert_false(probeKnown(m.total) || probeKnown(m.used) || probeKnown(m.cgroup_limit));
}

static void test_storage_real_filesystems_only(void **state) {
    (void)state;
    static probe_storage s;
    useFixture("intel");
    probeStorageRead(&s);
    assert_int_equal(s.count, 4);
    assert_string_equal(s.mounts[0].mountpoint, "/");
    assert_string_equal(s.mounts[0].device, "/dev/nvme0n1p2");
    assert_true(s.mounts[0].size > 0 && s.mounts[0].available <= s.mounts[0].size);
    assert_string_equal(s.mounts[1].mountpoint, "/boot/efi");
    assert_string_equal(s.mounts[1].fstype, "vfat");
    assert_string_equal(s.mounts[2].mountpoint, "/mnt/my disk"); /* \040 unescaped */
    assert_string_equal(s.mounts[3].fstype, "nfs4");
    assert_false(probeKnown(s.mounts[3].size)); /* never stat'ed from the loop */
}

/* In a container: the overlay at "/" is the storage; /etc/hosts is not. */
static void test_storage_container_root(void **state) {
    (void)state;
    static probe_storage s;
    useFixture("amd");
    probeStorageRead(&s);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.mounts[0].mountpoint, "/");
    assert_string_equal(s.mounts[0].fstype, "overlay");
    assert_true(s.mounts[0].size > 0);
}

static void test_network(void **state) {
    (void)state;
    static probe_network n;
    useFixture("intel");
    n.count = 0;
    probeNetworkRead(&n, 1000);
    assert_int_equal(n.count, 2);
    assert_string_equal(n.ifaces[1].name, "wlp0s20f3");
    assert_near(n.ifaces[1].rx_bytes, 987654321);
    assert_near(n.ifaces[1].tx_bytes, 123456789);
    assert_near(n.ifaces[1].rx_errors, 3);
    assert_near(n.ifaces[1].tx_packets, 98765);
    assert_false(probeKnown(n.ifaces[1].rx_rate));
}

static void test_network_rates(void **state) {
    (void)state;
    static probe_network n;
    char *root = tempTree();
    const char *head = "Inter-|\n face |\n";
    char text[512];
    snprintf(text, sizeof(text), "%s  eth0: 1000 10 0 0 0 0 0 0 500 5 0 0 0 0 0 0\n", head);
    fixtureWrite(root, "proc/net/dev", text);
    n.count = 0;
    probeNetworkRead(&n, 5000);
    snprintf(text, sizeof(text), "%s  eth0: 5000 50 0 0 0 0 0 0 1500 9 0 0 0 0 0 0\n", head);
    fixtureWrite(root, "proc/net/dev", text);
    probeNetworkRead(&n, 7000);
    assert_near(n.ifaces[0].rx_rate, 2000);
    assert_near(n.ifaces[0].tx_rate, 500);
    removeTree(root);
}

static void test_empty_root_knows_nothing(void **state) {
    (void)state;
    static probe_host *h;
    useFixture("empty");
    probeGflopsMs = 0; /* no start-up measurement */
    setenv("BARDO_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    h = probeHostCreate(1000);
    assert_non_null(h);
    assert_string_equal(h->hostname, "");
    assert_string_equal(h->os, "");
    assert_false(probeKnown(h->cpu.logical_cores) || probeKnown(h->cpu.freq_current_hz));
    assert_int_equal(h->thermal.count + h->power.count + h->storage.count + h->network.count, 0);
    assert_false(h->gpus.available);
    assert_false(probeKnown(h->gflops->gflops));
    probeHostDestroy(h);
}

static void test_host_snapshot(void **state) {
    (void)state;
    useFixture("intel");
    probe_host *h = probeHostCreate(1000);
    assert_string_equal(h->hostname, "workstation");
    assert_string_equal(h->os, "Debian GNU/Linux 12 (bookworm)");
    assert_string_equal(h->kernel, "6.1.0-18-amd64");
    probeHostRefresh(h, 3000);
    assert_int_equal(h->refreshes, 2);
    assert_int_equal(h->refreshed_ms, 3000);
    assert_near(h->network.ifaces[0].rx_rate, 0); /* same counters 2 s apart */
    probeHostDestroy(h);
}

static void test_gflops_loop(void **state) {
    (void)state;
    probe_gflops g;
    probeGflopsMeasure(&g, 5);
    assert_true(g.gflops > 0.05 && g.gflops < 1e5);
    assert_true(g.seconds >= 0.005);
    assert_non_null(g.method);
    probeGflopsMeasure(&g, 0);
    assert_false(probeKnown(g.gflops));
    assert_null(g.method);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_intel),
        cmocka_unit_test(test_cpu_amd_without_cpufreq),
        cmocka_unit_test(test_cpu_arm_topology),
        cmocka_unit_test(test_thermal_coretemp),
        cmocka_unit_test(test_thermal_k10temp),
        cmocka_unit_test(test_thermal_zones_only),
        cmocka_unit_test(test_power_rapl_fixture),
        cmocka_unit_test(test_power_energy_hidden),
        cmocka_unit_test(test_power_rates_and_wrap),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_storage_real_filesystems_only),
        cmocka_unit_test(test_storage_container_root),
        cmocka_unit_test(test_network),
        cmocka_unit_test(test_network_rates),
        cmocka_unit_test(test_empty_root_knows_nothing),
        cmocka_unit_test(test_host_snapshot),
        cmocka_unit_test(test_gflops_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
