/* network.h - traffic per interface from /proc/net/dev.
 *
 * Byte and packet counters as the kernel keeps them (since boot); rates in
 * bytes per second are the difference between this read and the previous
 * one over the time between them, so the first read has null rates. */
#ifndef BARDO_PROBE_NETWORK_H
#define BARDO_PROBE_NETWORK_H

#include "probe/probe.h"

#define PROBE_IFACES_MAX 32

typedef struct probe_iface {
    char name[32];
    double rx_bytes, tx_bytes, rx_packets, tx_packets, rx_errors, tx_errors;
    double rx_rate, tx_rate;  /* bytes per second */
} probe_iface;

typedef struct probe_network {
    probe_iface ifaces[PROBE_IFACES_MAX];
    size_t count;
    uint64_t read_ms;
} probe_network;

/* Reads the counters; rates come from the previous read held in n. */
void probeNetworkRead(probe_network *n, uint64_t now_ms);

#endif
