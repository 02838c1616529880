/* musl-mta.c: a lab client for lab-musl.sh (not part of mxsniff's build).
 *
 * Does the DNS work an MTA linked against musl libc does for one recipient
 * domain, through musl's own stub resolver (res_query/res_search and
 * getaddrinfo, which read /etc/resolv.conf), then opens a TCP connection to
 * port 25 of the first address found (the SYN mxsniff correlates with the
 * chain), reads the banner and sends QUIT. Compiled by lab-musl.sh with
 * "musl-gcc -static -O2"; run inside the sender namespace.
 *
 * Usage: musl-mta postfix|gai DOMAIN
 *
 *   both modes  res_search(DOMAIN, MX) (in musl res_search is res_query:
 *               no search list). When it fails with HOST_NOT_FOUND or
 *               NO_DATA the domain itself is the only exchange (the
 *               implicit MX of RFC 5321 5.1, as Postfix does); TRY_AGAIN
 *               defers.
 *   postfix     for each exchange in preference order res_search A, then
 *               AAAA (the order of Postfix 3.7 with inet_protocols=all in
 *               captures/lab-healthy.pcap: every exchange is resolved before
 *               the first connection); an exchange whose A or AAAA lookup
 *               succeeded is usable even if the other failed. Connects to
 *               the first IPv4 address (smtp_address_preference=ipv4), else
 *               the first IPv6 one.
 *   gai         for each exchange in preference order getaddrinfo(name,
 *               "25", AF_UNSPEC, SOCK_STREAM) (nullmailer, msmtp, dma);
 *               connects to the first address of the first exchange that
 *               resolves.
 *
 * Output (stdout): one line per lookup with the time since start in ms,
 * res_search's length and the answer's rcode/ANCOUNT, or h_errno, or the
 * EAI_* text; the connection's result; a final line "result: sent|deferred|
 * bounced (...)". Exit 0 sent, 75 deferred, 69 bounced.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXMX 16
#define MAXADDR 32

static struct timespec t0;

static long ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
}

static const char *herr(int e)
{
    switch (e) {
    case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
    case TRY_AGAIN: return "TRY_AGAIN";
    case NO_RECOVERY: return "NO_RECOVERY";
    case NO_DATA: return "NO_DATA";
    default: return "?";
    }
}

static const char *tname(int t)
{
    return t == ns_t_mx ? "MX" : t == ns_t_a ? "A" : t == ns_t_aaaa ? "AAAA" : "?";
}

struct mx { int pref; char host[NS_MAXDNAME]; };
struct addr { int family; unsigned char a[16]; };

/* lookup: res_search NAME TYPE; prints the result; returns the answer
 * length (> 0) or -1 with *h set to h_errno. */
static int lookup(const char *name, int type, unsigned char *ans, int anslen, int *h)
{
    long s = ms();
    h_errno = 0;
    int n = res_search(name, ns_c_in, type, ans, anslen);
    if (n < 0) {
        *h = h_errno;
        printf("%6ld ms  res_search(%s, %s) = -1 h_errno=%s (%ld ms)\n", ms(), name,
               tname(type), herr(h_errno), ms() - s);
    } else {
        *h = 0;
        printf("%6ld ms  res_search(%s, %s) = %d rcode=%d ancount=%d (%ld ms)\n", ms(), name,
               tname(type), n, n >= 4 ? ans[3] & 15 : -1, n >= 8 ? ans[6] << 8 | ans[7] : -1,
               ms() - s);
    }
    fflush(stdout);
    return n;
}

/* walk: the answer records of TYPE in ANS (N bytes); for MX fills mx[],
 * for A/AAAA fills ad[]. Returns how many were added. */
static int walk(const unsigned char *ans, int n, int type, struct mx *mx, int *nmx,
                struct addr *ad, int *nad)
{
    const unsigned char *p = ans + 12, *end = ans + n;
    char nm[NS_MAXDNAME];
    int qd, an, i, k, added = 0;
    if (n < 12) return 0;
    qd = ans[4] << 8 | ans[5];
    an = ans[6] << 8 | ans[7];
    for (i = 0; i < qd; i++) {
        k = dn_expand(ans, end, p, nm, sizeof nm);
        if (k < 0 || p + k + 4 > end) return added;
        p += k + 4;
    }
    for (i = 0; i < an; i++) {
        int rt, rdl;
        k = dn_expand(ans, end, p, nm, sizeof nm);
        if (k < 0 || p + k + 10 > end) return added;
        p += k;
        rt = p[0] << 8 | p[1];
        rdl = p[8] << 8 | p[9];
        p += 10;
        if (p + rdl > end) return added;
        if (rt == type && type == ns_t_mx && rdl >= 3 && *nmx < MAXMX) {
            mx[*nmx].pref = p[0] << 8 | p[1];
            if (dn_expand(ans, end, p + 2, mx[*nmx].host, sizeof mx[*nmx].host) >= 0) {
                ++*nmx;
                added++;
            }
        } else if (rt == type && type == ns_t_a && rdl == 4 && *nad < MAXADDR) {
            ad[*nad].family = AF_INET;
            memcpy(ad[*nad].a, p, 4);
            ++*nad, added++;
        } else if (rt == type && type == ns_t_aaaa && rdl == 16 && *nad < MAXADDR) {
            ad[*nad].family = AF_INET6;
            memcpy(ad[*nad].a, p, 16);
            ++*nad, added++;
        }
        p += rdl;
    }
    return added;
}

static int cmp_mx(const void *a, const void *b)
{
    return ((const struct mx *)a)->pref - ((const struct mx *)b)->pref;
}

/* smtp: connect to SA port 25 (5 s), read the banner, QUIT. 0 on success. */
static int smtp(const struct sockaddr *sa, socklen_t len)
{
    char txt[INET6_ADDRSTRLEN], buf[512];
    const void *a = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                                             : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    inet_ntop(sa->sa_family, a, txt, sizeof txt);
    int fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    printf("%6ld ms  connect %s%s%s:25\n", ms(), sa->sa_family == AF_INET6 ? "[" : "", txt,
           sa->sa_family == AF_INET6 ? "]" : "");
    if (connect(fd, sa, len) < 0) {
        printf("%6ld ms  connect failed: %s\n", ms(), strerror(errno));
        close(fd);
        return -1;
    }
    struct pollfd pfd = { fd, POLLIN, 0 };
    ssize_t n = 0;
    if (poll(&pfd, 1, 5000) == 1) n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    printf("%6ld ms  banner: %s\n", ms(), buf);
    if (write(fd, "QUIT\r\n", 6) == 6 && poll(&pfd, 1, 5000) == 1) {
        n = read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        buf[strcspn(buf, "\r\n")] = 0;
        printf("%6ld ms  QUIT: %s\n", ms(), buf);
    }
    close(fd);
    return 0;
}

static int smtp_addr(const struct addr *ad)
{
    if (ad->family == AF_INET) {
        struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(25) };
        memcpy(&s.sin_addr, ad->a, 4);
        return smtp((struct sockaddr *)&s, sizeof s);
    }
    struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(25) };
    memcpy(&s.sin6_addr, ad->a, 16);
    return smtp((struct sockaddr *)&s, sizeof s);
}

static int finish(const char *res, const char *why)
{
    printf("%6ld ms  result: %s (%s)\n", ms(), res, why);
    return strcmp(res, "sent") == 0 ? 0 : strcmp(res, "deferred") == 0 ? 75 : 69;
}

int main(int argc, char **argv)
{
    static unsigned char ans[65536];
    struct mx mx[MAXMX];
    struct addr ad[MAXADDR];
    int nmx = 0, nad = 0, h, n, i, tempfail = 0;

    if (argc != 3 || (strcmp(argv[1], "postfix") && strcmp(argv[1], "gai"))) {
        fprintf(stderr, "usage: musl-mta postfix|gai DOMAIN\n");
        return 64;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *mode = argv[1], *dom = argv[2];
    printf("%6ld ms  musl-mta %s %s\n", ms(), mode, dom);

    n = lookup(dom, ns_t_mx, ans, sizeof ans, &h);
    if (n > 0) walk(ans, n, ns_t_mx, mx, &nmx, ad, &nad);
    else if (h == TRY_AGAIN || (h != HOST_NOT_FOUND && h != NO_DATA))
        return finish("deferred", "MX lookup failed, try again");
    if (nmx == 0) {   /* implicit MX (RFC 5321 5.1) */
        mx[0].pref = 0;
        snprintf(mx[0].host, sizeof mx[0].host, "%s", dom);
        nmx = 1;
        printf("%6ld ms  no MX: the domain is its own exchange\n", ms());
    } else if (nmx == 1 && strcmp(mx[0].host, "") == 0) {
        return finish("bounced", "null MX");
    }
    qsort(mx, nmx, sizeof mx[0], cmp_mx);
    for (i = 0; i < nmx; i++) printf("%6ld ms  MX %d %s\n", ms(), mx[i].pref, mx[i].host);

    if (strcmp(mode, "postfix") == 0) {
        int v4 = -1, v6 = -1, notfound = 0;
        for (i = 0; i < nmx; i++) {
            int got = 0, ha, h6;
            n = lookup(mx[i].host, ns_t_a, ans, sizeof ans, &ha);
            if (n > 0) got += walk(ans, n, ns_t_a, mx, &nmx, ad, &nad);
            n = lookup(mx[i].host, ns_t_aaaa, ans, sizeof ans, &h6);
            if (n > 0) got += walk(ans, n, ns_t_aaaa, mx, &nmx, ad, &nad);
            if (!got && (ha == TRY_AGAIN || h6 == TRY_AGAIN)) tempfail = 1;
            if (ha == HOST_NOT_FOUND) notfound = 1;
        }
        for (i = 0; i < nad; i++) {
            if (ad[i].family == AF_INET && v4 < 0) v4 = i;
            if (ad[i].family == AF_INET6 && v6 < 0) v6 = i;
        }
        if (v4 >= 0 || v6 >= 0)
            return smtp_addr(&ad[v4 >= 0 ? v4 : v6]) == 0 ? finish("sent", "SMTP banner read")
                                                           : finish("deferred", "connect failed");
        if (tempfail) return finish("deferred", "no MX host has a valid address record; try again");
        return finish("bounced", notfound ? "Host or domain name not found" : "no address");
    }

    for (i = 0; i < nmx; i++) {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *r;
        long s = ms();
        int e = getaddrinfo(mx[i].host, "25", &hints, &res);
        if (e) {
            printf("%6ld ms  getaddrinfo(%s) = %s (%s) (%ld ms)\n", ms(), mx[i].host,
                   e == EAI_AGAIN ? "EAI_AGAIN" : e == EAI_NONAME ? "EAI_NONAME"
                   : e == EAI_FAIL ? "EAI_FAIL" : "EAI_?", gai_strerror(e), ms() - s);
            if (e == EAI_AGAIN) tempfail = 1;
            continue;
        }
        for (r = res; r; r = r->ai_next) {
            char txt[INET6_ADDRSTRLEN];
            const void *a = r->ai_family == AF_INET
                ? (const void *)&((struct sockaddr_in *)r->ai_addr)->sin_addr
                : (const void *)&((struct sockaddr_in6 *)r->ai_addr)->sin6_addr;
            inet_ntop(r->ai_family, a, txt, sizeof txt);
            printf("%6ld ms  getaddrinfo(%s) -> %s\n", ms(), mx[i].host, txt);
        }
        printf("%6ld ms  getaddrinfo(%s) = 0 (%ld ms)\n", ms(), mx[i].host, ms() - s);
        int ok = smtp(res->ai_addr, res->ai_addrlen);
        freeaddrinfo(res);
        if (ok == 0) return finish("sent", "SMTP banner read");
    }
    return finish(tempfail ? "deferred" : "bounced",
                  tempfail ? "getaddrinfo: try again" : "no exchange resolved");
}
