/*
 * natsbench: an independent NATS load client for Scripts/bench-broker-vs-nats-server.
 *
 * Written against the NATS client protocol text only (no Surge code): one publisher that
 * pipelines PUB frames in 64 KiB writes, and S subscribers, each on its own connection and
 * thread, counting MSG frames. Timing starts at the first publish write; the publisher's time
 * ends at the PONG answering a PING sent after its last PUB (the server has then parsed and
 * routed everything), a subscriber's at its last message.
 *
 *   natsbench -p PORT [-s SUBSCRIBERS] [-z PAYLOAD] [-n MESSAGES] [-j SUBJECT]
 *
 * Prints one JSON line: {"messages":..,"payload":..,"subscribers":..,"publish_rate":..,
 * "per_subscriber_rate":..,"received":[..],"seconds":..}. Exit 1 with a message on stderr when
 * a connection fails or a subscriber is cut off (a server's slow-consumer close, say).
 * Build: cc -O2 -pthread -o natsbench natsbench.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (256 * 1024)
#define WRITE_CHUNK (64 * 1024)

static int port = 4222;
static long messages = 1000000;
static int payload = 16;
static const char *subject = "bench.natsbench";
static atomic_int ready_count;
static struct timespec start;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "natsbench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static double seconds_since(const struct timespec *t0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write to 127.0.0.1:%d failed: %s", port, strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
}

/* A connection's read side: a buffer and the bytes not yet parsed. */
struct reader {
    int fd;
    char *buf;
    size_t start, end;
};

/* Reads more; returns 0 at end of stream. */
static int fill(struct reader *r) {
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == READ_SIZE) die("a control line longer than %d bytes", READ_SIZE);
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->end, READ_SIZE - r->end);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("read from 127.0.0.1:%d failed: %s", port, strerror(errno));
        r->end += (size_t)n;
        return n > 0;
    }
}

/* The next control line (without CRLF), NUL-terminated in place; NULL at end of stream. */
static char *next_line(struct reader *r, size_t *len) {
    for (;;) {
        char *base = r->buf + r->start;
        char *cr = memmem(base, r->end - r->start, "\r\n", 2);
        if (cr) {
            *cr = 0;
            *len = (size_t)(cr - base);
            r->start += *len + 2;
            return base;
        }
        if (!fill(r)) return NULL;
    }
}

/* Skips n bytes (a payload and its CRLF); 0 at end of stream. */
static int skip(struct reader *r, size_t n) {
    while (r->end - r->start < n) {
        n -= r->end - r->start;
        r->start = r->end = 0;
        if (!fill(r)) return 0;
    }
    r->start += n;
    return 1;
}

static int dial(struct reader *r) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    r->fd = fd;
    r->buf = malloc(READ_SIZE);
    r->start = r->end = 0;
    size_t len;
    char *line = next_line(r, &len);
    if (!line || strncmp(line, "INFO ", 5) != 0) die("127.0.0.1:%d sent no INFO line", port);
    return fd;
}

/* Sends PING and waits for PONG, answering the server's PINGs meanwhile. */
static void ping_pong(struct reader *r) {
    write_all(r->fd, "PING\r\n", 6);
    size_t len;
    char *line;
    while ((line = next_line(r, &len))) {
        if (strcmp(line, "PONG") == 0) return;
        if (strcmp(line, "PING") == 0) write_all(r->fd, "PONG\r\n", 6);
        else if (strncmp(line, "-ERR", 4) == 0) die("server said %s", line);
    }
    die("127.0.0.1:%d closed the connection before PONG", port);
}

struct subscriber {
    pthread_t thread;
    long received;
    double seconds;
};

static void *subscribe(void *arg) {
    struct subscriber *s = arg;
    struct reader r;
    int fd = dial(&r);
    char hello[256];
    int n = snprintf(hello, sizeof hello,
                     "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"natsbench-sub\"}\r\nSUB %s 1\r\n", subject);
    write_all(fd, hello, (size_t)n);
    ping_pong(&r);
    atomic_fetch_add(&ready_count, 1);
    size_t len;
    char *line;
    while (s->received < messages && (line = next_line(&r, &len))) {
        if (line[0] == 'M') { /* MSG <subject> <sid> [reply] <size> */
            char *sp = strrchr(line, ' ');
            if (!sp) die("bad MSG line: %s", line);
            long size = strtol(sp + 1, NULL, 10);
            if (!skip(&r, (size_t)size + 2)) break;
            s->received++;
        } else if (strcmp(line, "PING") == 0) {
            write_all(fd, "PONG\r\n", 6);
        } else if (strncmp(line, "-ERR", 4) == 0) {
            die("subscriber: server said %s after %ld messages", line, s->received);
        }
    }
    s->seconds = seconds_since(&start);
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    int subscribers = 0, opt;
    while ((opt = getopt(argc, argv, "p:s:z:n:j:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 's': subscribers = atoi(optarg); break;
        case 'z': payload = atoi(optarg); break;
        case 'n': messages = atol(optarg); break;
        case 'j': subject = optarg; break;
        default:
            fprintf(stderr, "usage: natsbench -p PORT [-s SUBSCRIBERS] [-z PAYLOAD] [-n MESSAGES] [-j SUBJECT]\n");
            return 2;
        }
    }
    if (port <= 0 || port > 65535) die("-p %d is not a port", port);
    if (payload < 0 || messages <= 0 || subscribers < 0 || subscribers > 64) die("bad -z, -n or -s");

    struct subscriber *subs = calloc((size_t)(subscribers ? subscribers : 1), sizeof *subs);
    for (int i = 0; i < subscribers; i++) pthread_create(&subs[i].thread, NULL, subscribe, &subs[i]);
    while (atomic_load(&ready_count) < subscribers) usleep(1000);

    struct reader r;
    int fd = dial(&r);
    const char *hello = "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"natsbench-pub\"}\r\n";
    write_all(fd, hello, strlen(hello));
    ping_pong(&r);

    /* One frame, then as many whole frames as fit in a 64 KiB chunk. */
    char header[256];
    int hl = snprintf(header, sizeof header, "PUB %s %d\r\n", subject, payload);
    size_t frame = (size_t)hl + (size_t)payload + 2;
    size_t per_chunk = WRITE_CHUNK / frame ? WRITE_CHUNK / frame : 1;
    char *chunk = malloc(per_chunk * frame);
    for (size_t i = 0; i < per_chunk; i++) {
        char *f = chunk + i * frame;
        memcpy(f, header, (size_t)hl);
        memset(f + hl, 'x', (size_t)payload);
        memcpy(f + hl + payload, "\r\n", 2);
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    long left = messages;
    while (left > 0) {
        long n = left < (long)per_chunk ? left : (long)per_chunk;
        write_all(fd, chunk, (size_t)n * frame);
        left -= n;
    }
    ping_pong(&r);
    double pub_seconds = seconds_since(&start);

    double slowest = 0;
    long short_count = 0;
    for (int i = 0; i < subscribers; i++) {
        pthread_join(subs[i].thread, NULL);
        if (subs[i].seconds > slowest) slowest = subs[i].seconds;
        if (subs[i].received < messages) short_count++;
    }
    printf("{\"messages\":%ld,\"payload\":%d,\"subscribers\":%d,\"publish_rate\":%.0f,\"per_subscriber_rate\":%.0f,"
           "\"seconds\":%.6f,\"received\":[",
           messages, payload, subscribers, messages / pub_seconds, subscribers ? messages / slowest : 0.0,
           subscribers ? slowest : pub_seconds);
    for (int i = 0; i < subscribers; i++) printf("%s%ld", i ? "," : "", subs[i].received);
    printf("]}\n");
    close(fd);
    if (short_count) die("%ld of %d subscribers were cut off before %ld messages", short_count, subscribers, messages);
    return 0;
}
