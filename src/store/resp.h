/* resp.h - RESP2 (the Redis protocol) between the APIs and the store.
 *
 * Commands are arrays of bulk strings, or inline lines as redis-cli and
 * telnet send; replies are the five scalar RESP2 types. Parsers are
 * zero-copy and incremental: call again with more bytes after
 * RESP_PARTIAL. Writers append to a buf atomically (all or nothing). */
#ifndef BARDO_RESP_H
#define BARDO_RESP_H

#include <stddef.h>

#include "core/buf.h"
#include "core/slice.h"

#define RESP_MAX_ARGS 16
#define RESP_MAX_BULK ((size_t)1 << 20) /* also the longest line accepted */
/* A bulk in a reply may be larger: a command's size is the sender's
 * choice and every connection's input buffer would have to hold it, so
 * commands stay small (a PADD is at most ~66 KB); a reply is the answer to
 * what its reader asked for, and a search of 50 of the largest people the
 * API accepts is ~1.6 MB (PERSON_SEARCH_JSON_MAX in api/person.h;
 * src/api/routes.c asserts that it fits). */
#define RESP_MAX_REPLY_BULK ((size_t)2 << 20)

#define RESP_ERROR (-1)
#define RESP_PARTIAL (-2)
#define RESP_TOO_BIG (-3)

typedef struct resp_command {
    slice argv[RESP_MAX_ARGS];
    size_t argc;
} resp_command;

/* Parses one command: a RESP array of bulk strings (`*3\r\n$3\r\nSET\r\n...`)
 * or an inline command ("PING\r\n": words separated by spaces or tabs, line
 * ended by "\n" or "\r\n"; no quoting). Returns bytes consumed, RESP_PARTIAL,
 * RESP_ERROR for a malformed command, RESP_TOO_BIG for more than
 * RESP_MAX_ARGS args or a bulk/line longer than RESP_MAX_BULK. A blank
 * inline line is consumed with argc 0 (skip it). argv slices point into
 * data. Never reads beyond len; a prefix of a valid command is PARTIAL. */
int respParseCommand(const char *data, size_t len, resp_command *cmd);

typedef enum { RESP_SIMPLE, RESP_ERR, RESP_INT, RESP_BULK, RESP_NIL } resp_type;

typedef struct resp_reply {
    resp_type type;
    slice str;          /* SIMPLE, ERR (text after '-'), BULK */
    long long integer;  /* INT */
} resp_reply;

/* Parses one reply: +simple, -error, :int, $bulk, $-1 (nil). Same return
 * contract as respParseCommand, but a bulk may be up to
 * RESP_MAX_REPLY_BULK (lines stay within RESP_MAX_BULK). */
int respParseReply(const char *data, size_t len, resp_reply *r);

/* Writers append to out and return 0 or -ENOMEM (then nothing appended).
 * Simple and error strings must not contain CR or LF. */
int respWriteSimple(buf *out, const char *s);
/* Caller passes the full text, e.g. "ERR unknown command" or
 * "DUP apelido taken"; written as "-<s>\r\n". */
int respWriteError(buf *out, const char *s);
int respWriteInt(buf *out, long long v);
int respWriteBulk(buf *out, slice s);
int respWriteNil(buf *out);
/* An array of bulk strings, as commands are sent. */
int respWriteCommand(buf *out, size_t argc, const slice *argv);

#endif
