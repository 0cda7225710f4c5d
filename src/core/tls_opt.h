/* tls_opt.h - the TLS options of every program that opens links between
 * sites (bardo-api, bardo-store), written once for their opt tables
 * (core/opt.h). All three given: TCP links speak TLS 1.3, both ends
 * authenticated (core/tls.h); none: plaintext; some: a usage error
 * (tlsFilesGiven). Unix sockets stay plaintext: they never leave the host. */
#ifndef BARDO_TLS_OPT_H
#define BARDO_TLS_OPT_H

#include "core/opt.h"
#include "core/tls.h"

#define TLS_OPTS(files)                                                                     \
    {.name = "tls-ca", OPT_STR(&(files)->ca), .env = "BARDO_TLS_CA", .arg = "FILE",         \
     .help = "the CA every node's certificate is signed by (PEM); unset: plaintext links"}, \
    {.name = "tls-cert", OPT_STR(&(files)->cert), .env = "BARDO_TLS_CERT", .arg = "FILE",   \
     .help = "this node's certificate, signed by --tls-ca (PEM)"},                          \
    {.name = "tls-key", OPT_STR(&(files)->key), .env = "BARDO_TLS_KEY", .arg = "FILE",      \
     .help = "this node's private key (PEM)"}

#endif
