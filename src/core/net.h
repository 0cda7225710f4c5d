/* net.h - sockets from address strings.
 *
 * An address is "unix:/path/to/sock", "host:port" or ":port" (all IPv4
 * interfaces). Every socket is non-blocking and close-on-exec. Errors are
 * negative errno values. */
#ifndef BARDO_NET_H
#define BARDO_NET_H

#include <stddef.h>

#define NET_BACKLOG 4096

/* Listens on addr (an existing unix socket file is replaced). fd or -errno. */
int netListen(const char *addr);
/* Starts a non-blocking connect; the fd is ready when writable. fd or -errno. */
int netConnect(const char *addr);
/* Non-blocking connected fd, or -EAGAIN when none is pending, or -errno. */
int netAccept(int listen_fd);

#endif
