#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096
#define VALUE_MAX_BYTES 1024

static const char *component = "certgraphd";
static const char *request_id;

void log_set_component(const char *c) { component = c; }
void log_set_request(const char *id) { request_id = id; }

typedef struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
} line;

static void put(line *l, const char *s, size_t n)
{
    if (n > sizeof l->buf - 1 - l->len) n = sizeof l->buf - 1 - l->len;   /* one byte kept for '\n' */
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(line *l, const char *s) { put(l, s, strlen(s)); }

static bool plain(const char *v, size_t n)
{
    if (!n || n > VALUE_MAX_BYTES) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return false;
    }
    return true;
}

static void value(line *l, const char *v)
{
    size_t n = strlen(v);
    while (n && (v[n - 1] == '\n' || v[n - 1] == ' ')) n--;   /* libpq's messages end in a newline */
    if (plain(v, n)) {
        put(l, v, n);
        return;
    }
    if (n > VALUE_MAX_BYTES) n = VALUE_MAX_BYTES;
    puts_(l, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        char esc[8];
        if (c == '"' || c == '\\') snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n') snprintf(esc, sizeof esc, "\\n");
        else if (c == '\t') snprintf(esc, sizeof esc, "\\t");
        else if (c < ' ' || c == 0x7f) snprintf(esc, sizeof esc, "\\x%02x", c);
        else { esc[0] = (char)c; esc[1] = '\0'; }
        puts_(l, esc);
    }
    puts_(l, "\"");
}

static void pair(line *l, const char *key, const char *v)
{
    puts_(l, " ");
    puts_(l, key);
    puts_(l, "=");
    value(l, v);
}

void log_event(log_level level, const char *event, ...)
{
    static const char *const names[] = { "debug", "info", "warn", "error" };
    line l = { .len = 0 };
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40], pid[16];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + strlen(ts), sizeof ts - strlen(ts), ".%03dZ", (int)(tv.tv_usec / 1000));
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    puts_(&l, "ts=");
    puts_(&l, ts);
    pair(&l, "level", names[level]);
    pair(&l, "component", component);
    pair(&l, "pid", pid);
    pair(&l, "event", event);
    if (request_id) pair(&l, "request_id", request_id);
    va_list ap;
    va_start(ap, event);
    for (const char *key; (key = va_arg(ap, const char *));) {
        const char *v = va_arg(ap, const char *);
        if (v) pair(&l, key, v);
    }
    va_end(ap);
    l.buf[l.len++] = '\n';
    /* one write: O_APPEND keeps whole lines of concurrent workers apart */
    ssize_t w = write(STDERR_FILENO, l.buf, l.len);
    (void)w;
}
