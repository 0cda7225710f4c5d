/* bardo-netdelay: holds every packet of an NFQUEUE queue for a fixed time,
 * the stand-in for distance between sites where tc netem is missing
 * (docs/SITES.md; scripts/sites.sh starts one per site). Its options are
 * the table below (core/opt.h; `bardo-netdelay --help`).
 * Needs CAP_NET_ADMIN in the network namespace of the iptables rule. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/opt.h"
#include "netdelay/netdelay_nfq.h"

static netdelay_opts o;

static const opt OPTS[] = {
    {.name = "queue", .letter = 'q', OPT_UINT(&o.queue_num), .min = 0, .max = 65535, .def = "0",
     .arg = "N", .help = "the NFQUEUE number to hold, as iptables --queue-num says it"},
    {.name = "delay-us", .letter = 'd', OPT_UINT(&o.delay_us), .min = 0, .max = 10000000,
     .def = "500", .env = "BARDO_SITES_DELAY_US", .arg = "US",
     .help = "microseconds added to every packet, one way"},
    {.name = "max-queue", .letter = 'm', OPT_UINT(&o.max_queue), .min = 1, .max = 1u << 24,
     .def = "4096", .arg = "N", .help = "packets held at once; beyond, they pass at once"},
};

static const opt_spec SPEC = {
    .prog = "bardo-netdelay",
    .about = "Delays every packet of an NFQUEUE queue (needs CAP_NET_ADMIN).",
    .opts = OPTS,
    .n = sizeof OPTS / sizeof OPTS[0],
};

int main(int argc, char **argv) {
    char why[OPT_ERR_MAX];
    logSetName("bardo-netdelay");
    int rc = optParse(&SPEC, argc, argv, why, sizeof why);
    if (rc == OPT_HELP) return optHelp(&SPEC, stdout) < 0 ? 1 : 0;
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", SPEC.prog, why);
        return 2;
    }
    rc = netdelayNfqRun(&o);
    if (rc < 0) {
        logError("queue %u: %s (root? nfnetlink_queue loaded? queue already bound?)",
                 o.queue_num, strerror(-rc));
        return 1;
    }
    return 0;
}
