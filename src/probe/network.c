/* network.c - /proc/net/dev (see network.h). */
#include "probe/network.h"

#include <string.h>

static const probe_iface *netFind(const probe_iface *list, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].name, name) == 0) return &list[i];
    return NULL;
}

static double netRate(double now, double before, double seconds) {
    if (!(seconds > 0) || now < before) return PROBE_NULL; /* reset or wrapped */
    return (now - before) / seconds;
}

/* "  eth0: rx_bytes rx_packets rx_errs ... (8 fields) tx_bytes tx_packets tx_errs ..." */
static bool netParse(const char *line, probe_iface *it) {
    const char *colon = strchr(line, ':');
    if (!colon) return false;
    probeCopyTrim(it->name, sizeof(it->name), line, (size_t)(colon - line));
    double v[11];
    if (sscanf(colon + 1, "%lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2],
               &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]) != 11)
        return false;
    it->rx_bytes = v[0], it->rx_packets = v[1], it->rx_errors = v[2];
    it->tx_bytes = v[8], it->tx_packets = v[9], it->tx_errors = v[10];
    it->rx_rate = it->tx_rate = PROBE_NULL;
    return it->name[0] != '\0';
}

void probeNetworkRead(probe_network *n, uint64_t now_ms) {
    static probe_iface prev[PROBE_IFACES_MAX];
    size_t nprev = n->count;
    double seconds = nprev ? (double)(now_ms - n->read_ms) / 1000.0 : 0;
    memcpy(prev, n->ifaces, nprev * sizeof(prev[0]));
    n->count = 0;
    n->read_ms = now_ms;
    FILE *f = probeOpen("/proc/net/dev");
    if (!f) return;
    char line[512];
    while (n->count < PROBE_IFACES_MAX && fgets(line, sizeof(line), f)) {
        probe_iface *it = &n->ifaces[n->count];
        if (!netParse(line, it)) continue;
        const probe_iface *p = netFind(prev, nprev, it->name);
        if (p) {
            it->rx_rate = netRate(it->rx_bytes, p->rx_bytes, seconds);
            it->tx_rate = netRate(it->tx_bytes, p->tx_bytes, seconds);
        }
        n->count++;
    }
    fclose(f);
}
