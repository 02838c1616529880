/* qmail-mta.c: a lab client for lab-qmail.sh (not part of mxsniff's build).
 *
 * Does the DNS work qmail-remote (qmail 1.03, netqmail, notqmail) does for
 * one message to user@DOMAIN with no smtproutes entry, through glibc's
 * res_query into a 512-byte buffer (PACKETSZ) as qmail's dns.c does, then
 * opens a TCP connection to port 25 of the first address (the SYN mxsniff
 * correlates with the chain), reads the banner and sends QUIT. Written for
 * the lab from qmail's documented behaviour; no qmail code. Compiled by
 * lab-qmail.sh with the system gcc (glibc, not musl); run inside the sender
 * namespace.
 *
 * Usage: qmail-mta DOMAIN
 *
 * What it does, in qmail-remote's order:
 *   1. dns_cname (addrmangle of the recipient address): up to 10 times
 *      res_query(D, ANY). A soft failure (res_query <= 0 with errno
 *      ECONNREFUSED or h_errno TRY_AGAIN, or an answer that does not parse)
 *      ends the delivery: deferred "CNAME lookup failed temporarily.
 *      (#4.4.3)", nothing else is asked. A hard failure (NXDOMAIN, NODATA,
 *      ...) keeps D. Otherwise the answer records are walked in order: a
 *      CNAME makes its target the new D and the loop asks ANY again; no
 *      CNAME ends the loop. The result only canonicalises the recipient
 *      address (RCPT TO): the MX lookup below is of the original DOMAIN
 *      (qmail-remote's host, argv[1]), not of the CNAME target.
 *   2. dns_mxip(DOMAIN): res_query(DOMAIN, MX). Soft: deferred "Sorry, I
 *      couldn't find any host by that name. (#4.1.2)" (temp_dns). Hard, or
 *      an answer without MX records: res_query(DOMAIN, A) (dns_ip).
 *      Otherwise each exchange in preference order (ties in random order)
 *      is resolved with res_query(host, A) only: qmail asks no AAAA. A soft
 *      failure of one exchange is remembered; if no address was found then,
 *      the delivery is deferred, else a hard A failure of DOMAIN itself
 *      bounces: "Sorry, I couldn't find any host named DOMAIN. (#5.1.2)".
 *   3. A TCP connection to port 25 of the first address (lowest
 *      preference), banner, QUIT. No message is transferred.
 * res_query's answer length is clamped to 512 when it is larger, as qmail
 * does (glibc's res_query returns the full length of a TCP answer that did
 * not fit; the buffer holds its first 512 bytes): records cut by the clamp
 * do not parse, a soft failure.
 *
 * Output (stdout): one line per lookup with the time since start in ms, the
 * qtype and name, and res_query's length with the answer's rcode, TC and
 * ANCOUNT, or -1 with h_errno and errno; how the answer parsed; the
 * connection; a final line "result: sent|deferred|bounced (TEXT)" with
 * qmail-remote's wording. Exit 0 sent, 75 deferred, 69 bounced.
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
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFLEN 512 /* PACKETSZ: qmail's static response buffer */
#define MAXMX 16
#define MAXADDR 32

enum { OK = 0, SOFT = -1, HARD = -2 };

static struct timespec t0;
static unsigned char buf[BUFLEN];
static int buflen;   /* bytes of buf used (after the clamp) */
static int pos;      /* parse position in buf */
static int nans;     /* answer records left to walk */

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
    default: return "0";
    }
}

static const char *ename(int e)
{
    switch (e) {
    case 0: return "0";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EMSGSIZE: return "EMSGSIZE";
    default: return strerror(e);
    }
}

static const char *tname(int t)
{
    switch (t) {
    case ns_t_any: return "ANY";
    case ns_t_mx: return "MX";
    case ns_t_a: return "A";
    case ns_t_cname: return "CNAME";
    default: return "?";
    }
}

/* query: res_query(NAME, TYPE) into the 512-byte buffer and qmail's
 * verdict on the result: OK (the question section parsed, nans set), SOFT
 * or HARD. */
static int query(const char *name, int type)
{
    long s = ms();
    int n, i, qd, e, h;
    char nm[NS_MAXDNAME];

    errno = 0;
    h_errno = 0;
    n = res_query(name, ns_c_in, type, buf, sizeof buf);
    e = errno;
    h = h_errno;
    if (n <= 0) {
        int soft = e == ECONNREFUSED || h == TRY_AGAIN;
        printf("%6ld ms  res_query(%s, %s) = %d h_errno=%s errno=%s (%ld ms): %s\n", ms(), name,
               tname(type), n, herr(h), ename(e), ms() - s, soft ? "soft" : "hard");
        return soft ? SOFT : HARD;
    }
    printf("%6ld ms  res_query(%s, %s) = %d rcode=%d tc=%d ancount=%d (%ld ms)\n", ms(), name,
           tname(type), n, n >= 4 ? buf[3] & 15 : -1, n >= 3 ? (buf[2] >> 1) & 1 : -1,
           n >= 8 ? buf[6] << 8 | buf[7] : -1, ms() - s);
    buflen = n;
    if (buflen >= BUFLEN) {
        buflen = BUFLEN;
        if (n > BUFLEN)
            printf("%6ld ms  answer of %d bytes clamped to the %d-byte buffer\n", ms(), n, BUFLEN);
    }
    if (buflen < HFIXEDSZ) {
        printf("%6ld ms  answer shorter than a header: soft\n", ms());
        return SOFT;
    }
    pos = HFIXEDSZ;
    qd = buf[4] << 8 | buf[5];
    for (i = 0; i < qd; i++) {
        int k = dn_expand(buf, buf + buflen, buf + pos, nm, sizeof nm);
        if (k < 0 || buflen - (pos + k) < QFIXEDSZ) {
            printf("%6ld ms  question %d does not parse: soft\n", ms(), i + 1);
            return SOFT;
        }
        pos += k + QFIXEDSZ;
    }
    nans = buf[6] << 8 | buf[7];
    return OK;
}

/* next_rr: the next answer record (qmail's findname/findmx/findip walk).
 * Returns 2 when none is left, SOFT when it does not parse, else 0 with
 * its owner, type, rdata offset and length; pos moves past the record. */
static int next_rr(char *owner, int *type, int *rdata, int *rdlen)
{
    int k;
    if (nans <= 0) return 2;
    nans--;
    if (pos >= buflen) return SOFT;
    k = dn_expand(buf, buf + buflen, buf + pos, owner, NS_MAXDNAME);
    if (k < 0) return SOFT;
    pos += k;
    if (buflen - pos < 10) return SOFT;
    *type = buf[pos] << 8 | buf[pos + 1];
    *rdlen = buf[pos + 8] << 8 | buf[pos + 9];
    pos += 10;
    *rdata = pos;
    pos += *rdlen; /* not checked against the end here: the next record's
                    * parse (or this record's rdata expansion) fails */
    return 0;
}

/* parse_fail: print why the walk stopped (record index, offset). */
static int parse_fail(const char *what, int idx)
{
    printf("%6ld ms  %s: answer record %d does not parse within %d bytes (offset %d): soft\n",
           ms(), what, idx, buflen, pos);
    return SOFT;
}

/* dns_cname: step 1. Returns OK, SOFT or HARD (alias loop); D is updated. */
static int dns_cname(char *d, size_t dlen)
{
    int loop, r, type, rd, rdl, idx;
    char owner[NS_MAXDNAME], target[NS_MAXDNAME];

    for (loop = 0; loop < 10; loop++) {
        r = query(d, ns_t_any);
        if (r == SOFT) return SOFT;
        if (r == HARD) {
            printf("%6ld ms  dns_cname: hard failure, %s kept\n", ms(), d);
            return OK;
        }
        idx = 0;
        for (;;) {
            r = next_rr(owner, &type, &rd, &rdl);
            if (r == 2) {
                printf("%6ld ms  dns_cname: %d answer records, no CNAME: %s is canonical\n",
                       ms(), idx, d);
                return OK;
            }
            idx++;
            if (r == SOFT) return parse_fail("dns_cname", idx);
            if (type == ns_t_cname) {
                if (dn_expand(buf, buf + buflen, buf + rd, target, sizeof target) < 0)
                    return parse_fail("dns_cname", idx);
                printf("%6ld ms  dns_cname: %s is a CNAME of %s\n", ms(), owner, target);
                snprintf(d, dlen, "%s", target);
                break;
            }
        }
    }
    printf("%6ld ms  dns_cname: alias loop (10 lookups)\n", ms());
    return HARD;
}

struct mx { int pref; char host[NS_MAXDNAME]; };

static struct in_addr addrs[MAXADDR];
static int addrpref[MAXADDR];
static int naddr;

/* dns_a: res_query(NAME, A), every A record's address appended with PREF.
 * Returns OK, SOFT or HARD. */
static int dns_a(const char *name, int pref)
{
    int r, type, rd, rdl, idx = 0;
    char owner[NS_MAXDNAME];
    r = query(name, ns_t_a);
    if (r != OK) return r;
    while ((r = next_rr(owner, &type, &rd, &rdl)) != 2) {
        idx++;
        if (r == SOFT) return parse_fail("dns_ip", idx);
        if (type != ns_t_a) continue;
        if (rdl < 4 || rd + 4 > buflen) return parse_fail("dns_ip", idx);
        if (naddr < MAXADDR) {
            char txt[INET_ADDRSTRLEN];
            memcpy(&addrs[naddr], buf + rd, 4);
            addrpref[naddr] = pref;
            inet_ntop(AF_INET, &addrs[naddr], txt, sizeof txt);
            printf("%6ld ms  %s has address %s (preference %d)\n", ms(), name, txt, pref);
            naddr++;
        }
    }
    return OK;
}

/* dns_mxip: step 2. Returns OK (addresses in addrs[]), SOFT or HARD. */
static int dns_mxip(const char *d, unsigned long rnd)
{
    struct mx mx[MAXMX];
    int nmx = 0, r, type, rd, rdl, idx = 0, flagsoft = 0;
    char owner[NS_MAXDNAME];

    r = query(d, ns_t_mx);
    if (r == SOFT) return SOFT;
    if (r == HARD) {
        printf("%6ld ms  dns_mxip: no MX (hard failure): address of %s itself\n", ms(), d);
        return dns_a(d, 0);
    }
    while ((r = next_rr(owner, &type, &rd, &rdl)) != 2) {
        idx++;
        if (r == SOFT) return parse_fail("dns_mxip", idx);
        if (type != ns_t_mx) continue;
        if (rdl < 3) return parse_fail("dns_mxip", idx);
        if (nmx < MAXMX) {
            mx[nmx].pref = buf[rd] << 8 | buf[rd + 1];
            if (dn_expand(buf, buf + buflen, buf + rd + 2, mx[nmx].host, sizeof mx[nmx].host) < 0)
                return parse_fail("dns_mxip", idx);
            printf("%6ld ms  MX %d %s\n", ms(), mx[nmx].pref, mx[nmx].host);
            nmx++;
        }
    }
    if (nmx == 0) {
        printf("%6ld ms  dns_mxip: answer has no MX record: address of %s itself\n", ms(), d);
        return dns_a(d, 0);
    }
    /* Lowest preference first; among equal preferences a random one. */
    while (nmx > 0) {
        int i = 0, j, same = 1;
        for (j = 1; j < nmx; j++) {
            if (mx[j].pref < mx[i].pref) {
                i = j;
                same = 1;
            } else if (mx[j].pref == mx[i].pref) {
                same++;
                rnd = rnd * 1103515245UL + 12345UL;
                if ((rnd >> 16) % (unsigned long)same == 0) i = j;
            }
        }
        if (dns_a(mx[i].host, mx[i].pref) == SOFT) flagsoft = 1;
        mx[i] = mx[--nmx];
    }
    return flagsoft ? SOFT : OK;
}

/* smtp: connect to ADDR port 25, banner, QUIT. 0 on success. */
static int smtp(struct in_addr a, char *banner, size_t blen)
{
    struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(25), .sin_addr = a };
    char txt[INET_ADDRSTRLEN], b[512];
    struct pollfd pfd;
    ssize_t n = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    inet_ntop(AF_INET, &a, txt, sizeof txt);
    printf("%6ld ms  connect %s:25\n", ms(), txt);
    if (connect(fd, (struct sockaddr *)&s, sizeof s) < 0) {
        printf("%6ld ms  connect failed: %s\n", ms(), strerror(errno));
        close(fd);
        return -1;
    }
    pfd.fd = fd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 5000) == 1) n = read(fd, b, sizeof b - 1);
    b[n > 0 ? n : 0] = 0;
    b[strcspn(b, "\r\n")] = 0;
    printf("%6ld ms  banner: %s\n", ms(), b);
    snprintf(banner, blen, "%s", b);
    if (write(fd, "QUIT\r\n", 6) == 6 && poll(&pfd, 1, 5000) == 1) {
        n = read(fd, b, sizeof b - 1);
        b[n > 0 ? n : 0] = 0;
        b[strcspn(b, "\r\n")] = 0;
        printf("%6ld ms  QUIT: %s\n", ms(), b);
    }
    close(fd);
    return 0;
}

static int finish(const char *res, const char *why)
{
    printf("%6ld ms  result: %s (%s)\n", ms(), res, why);
    return strcmp(res, "sent") == 0 ? 0 : strcmp(res, "deferred") == 0 ? 75 : 69;
}

int main(int argc, char **argv)
{
    char canon[NS_MAXDNAME], why[1024], banner[512];
    const char *dom;
    int r, i;

    if (argc != 2 || !argv[1][0]) {
        fprintf(stderr, "usage: qmail-mta DOMAIN\n");
        return 64;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dom = argv[1];
    res_init(); /* qmail's dns_init(0): res_query, no search list */
    printf("%6ld ms  qmail-mta user@%s (glibc res_query, %d-byte answer buffer)\n", ms(), dom,
           BUFLEN);

    /* 1. Canonicalise the recipient address's domain. */
    snprintf(canon, sizeof canon, "%s", dom);
    r = dns_cname(canon, sizeof canon);
    if (r == SOFT) return finish("deferred", "CNAME lookup failed temporarily. (#4.4.3)");
    if (strcasecmp(canon, dom) != 0)
        printf("%6ld ms  recipient user@%s is sent as RCPT TO:<user@%s>\n", ms(), dom, canon);

    /* 2. MX and addresses of the recipient domain as given. */
    r = dns_mxip(dom, (unsigned long)time(NULL) + ((unsigned long)getpid() << 16));
    if (r == HARD) {
        snprintf(why, sizeof why, "Sorry, I couldn't find any host named %s. (#5.1.2)", dom);
        return finish("bounced", why);
    }
    if (naddr == 0) {
        if (r == SOFT) return finish("deferred", "Sorry, I couldn't find any host by that name. (#4.1.2)");
        return finish("bounced", "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)");
    }
    if (r == SOFT)
        printf("%6ld ms  dns_mxip: an exchange failed temporarily; using the addresses found\n", ms());

    /* 3. The first address that takes a connection. */
    for (i = 0; i < naddr; i++) {
        if (smtp(addrs[i], banner, sizeof banner) == 0) {
            char txt[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &addrs[i], txt, sizeof txt);
            snprintf(why, sizeof why, "connected to %s, banner \"%s\"; QUIT, no message transferred",
                     txt, banner);
            return finish("sent", why);
        }
    }
    return finish("deferred", "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)");
}
