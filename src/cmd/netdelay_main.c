/* bardo-netdelay: holds every packet of an NFQUEUE queue for a fixed time,
 * the stand-in for distance between sites where tc netem is missing
 * (docs/SITES.md; scripts/sites.sh starts one per site).
 * Usage: bardo-netdelay [--queue N] [--delay-us US] [--max-queue N]
 * Needs CAP_NET_ADMIN in the network namespace of the iptables rule. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "netdelay/netdelay_nfq.h"

static const char USAGE[] =
    "usage: bardo-netdelay [--queue N (0)] [--delay-us US (500)] [--max-queue N (4096)]\n";

/* A whole decimal number in [lo, hi], or false. */
static bool parseNum(const char *s, unsigned long lo, unsigned long hi, unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int parseOpts(int argc, char **argv, netdelay_opts *o) {
    static const struct option longs[] = {
        {"queue", required_argument, NULL, 'q'},
        {"delay-us", required_argument, NULL, 'd'},
        {"max-queue", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (netdelay_opts){.queue_num = 0, .delay_us = 500, .max_queue = 4096};
    unsigned long v;
    int ch;
    while ((ch = getopt_long(argc, argv, "q:d:m:h", longs, NULL)) != -1) {
        if (ch == 'q' && parseNum(optarg, 0, 65535, &v)) o->queue_num = (uint16_t)v;
        else if (ch == 'd' && parseNum(optarg, 0, 10000000, &v)) o->delay_us = (uint32_t)v;
        else if (ch == 'm' && parseNum(optarg, 1, 1u << 24, &v)) o->max_queue = (uint32_t)v;
        else return -1;
    }
    return optind == argc ? 0 : -1;
}

int main(int argc, char **argv) {
    netdelay_opts o;
    logSetName("bardo-netdelay");
    if (parseOpts(argc, argv, &o) < 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    int rc = netdelayNfqRun(&o);
    if (rc < 0) {
        logError("queue %u: %s (root? nfnetlink_queue loaded? queue already bound?)",
                 o.queue_num, strerror(-rc));
        return 1;
    }
    return 0;
}
