#include "http/response.h"

typedef struct http_status {
    int code;
    const char *reason;
} http_status;

static const http_status HTTP_STATUSES[] = {
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {400, "Bad Request"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {422, "Unprocessable Content"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

const char *httpReason(int status) {
    for (size_t i = 0; i < sizeof(HTTP_STATUSES) / sizeof(HTTP_STATUSES[0]); i++)
        if (HTTP_STATUSES[i].code == status) return HTTP_STATUSES[i].reason;
    return "Unknown";
}

int httpWriteHead(buf *out, const http_head *h) {
    int rc = bufAppendStr(out, "HTTP/1.1 ");
    rc |= bufAppendU64(out, (uint64_t)h->status);
    rc |= bufAppend(out, " ", 1);
    rc |= bufAppendStr(out, httpReason(h->status));
    if (h->content_type) {
        rc |= bufAppendStr(out, "\r\nContent-Type: ");
        rc |= bufAppendStr(out, h->content_type);
    }
    rc |= bufAppendStr(out, "\r\nContent-Length: ");
    rc |= bufAppendU64(out, h->content_length);
    if (h->close) rc |= bufAppendStr(out, "\r\nConnection: close");
    else if (h->keep_alive_10) rc |= bufAppendStr(out, "\r\nConnection: keep-alive");
    rc |= bufAppend(out, "\r\n", 2);
    rc |= bufAppendSlice(out, h->extra);
    rc |= bufAppend(out, "\r\n", 2);
    return rc < 0 ? -1 : 0;
}

int httpWriteResponse(buf *out, const http_head *h, slice body) {
    http_head full = *h;
    full.content_length = body.len;
    if (httpWriteHead(out, &full) < 0) return -1;
    return bufAppendSlice(out, body);
}
