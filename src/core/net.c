#include "core/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef union net_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_un un;
} net_addr;

static int netParseUnix(const char *path, net_addr *a, socklen_t *alen) {
    if (strlen(path) >= sizeof(a->un.sun_path)) return -ENAMETOOLONG;
    memset(a, 0, sizeof(*a));
    a->un.sun_family = AF_UNIX;
    strcpy(a->un.sun_path, path);
    *alen = (socklen_t)sizeof(a->un);
    return 0;
}

static int netParseInet(const char *addr, net_addr *a, socklen_t *alen) {
    const char *colon = strrchr(addr, ':');
    if (!colon) return -EINVAL;
    char host[64];
    size_t hlen = (size_t)(colon - addr);
    if (hlen >= sizeof(host)) return -EINVAL;
    memcpy(host, addr, hlen);
    host[hlen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535) return -EINVAL;
    memset(a, 0, sizeof(*a));
    a->in.sin_family = AF_INET;
    a->in.sin_port = htons((uint16_t)port);
    if (hlen == 0) a->in.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (inet_pton(AF_INET, host, &a->in.sin_addr) != 1) return -EINVAL;
    *alen = (socklen_t)sizeof(a->in);
    return 0;
}

static int netParse(const char *addr, net_addr *a, socklen_t *alen) {
    if (strncmp(addr, "unix:", 5) == 0) return netParseUnix(addr + 5, a, alen);
    return netParseInet(addr, a, alen);
}

static int netSocket(const net_addr *a) {
    int fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    if (a->sa.sa_family == AF_INET) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

int netListen(const char *addr) {
    net_addr a;
    socklen_t alen;
    int rc = netParse(addr, &a, &alen);
    if (rc < 0) return rc;
    if (a.sa.sa_family == AF_UNIX) unlink(a.un.sun_path);
    int fd = netSocket(&a);
    if (fd < 0) return fd;
    if (bind(fd, &a.sa, alen) < 0 || listen(fd, NET_BACKLOG) < 0) goto err;
    /* nginx's workers may run as another user; the socket's folder guards it. */
    if (a.sa.sa_family == AF_UNIX) chmod(a.un.sun_path, 0666);
    return fd;
err:
    rc = -errno;
    close(fd);
    return rc;
}

int netConnect(const char *addr) {
    net_addr a;
    socklen_t alen;
    int rc = netParse(addr, &a, &alen);
    if (rc < 0) return rc;
    int fd = netSocket(&a);
    if (fd < 0) return fd;
    if (connect(fd, &a.sa, alen) < 0 && errno != EINPROGRESS) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

int netAccept(int listen_fd) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails harmlessly on unix */
    return fd;
}
