/*
 * The DNS client of the resolver differential test (test/helpers/dns-lab.ts builds it with gcc
 * for glibc and with musl-gcc -static for musl).
 *
 *   client lookup <name>           getaddrinfo(name, AF_UNSPEC, flags 0) through the libc's own
 *                                  resolver; prints `ok <address>...` (sorted by the caller) or
 *                                  `error <EAI_NAME>`.
 *   client mark <name> <server>... sends one A query for <name> to port 53 of every server
 *                                  from its own socket and does not wait: a separator in the
 *                                  servers' query logs between two lookups.
 *
 * hints.ai_flags is 0 on purpose: AI_ADDRCONFIG (glibc's default without hints) would drop
 * the AAAA query in a namespace without IPv6 addresses.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *gai_name(int code) {
  switch (code) {
    case EAI_NONAME: return "EAI_NONAME";
#ifdef EAI_NODATA
    case EAI_NODATA: return "EAI_NODATA";
#endif
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    case EAI_MEMORY: return "EAI_MEMORY";
    default: return "EAI_OTHER";
  }
}

static int lookup(const char *name) {
  struct addrinfo hints, *result, *ai;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = 0;
  int code = getaddrinfo(name, NULL, &hints, &result);
  if (code != 0) {
    printf("error %s\n", gai_name(code));
    return 0;
  }
  printf("ok");
  for (ai = result; ai != NULL; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN];
    const void *address = ai->ai_family == AF_INET
        ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
        : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
    if (inet_ntop(ai->ai_family, address, text, sizeof text) != NULL) printf(" %s", text);
  }
  printf("\n");
  freeaddrinfo(result);
  return 0;
}

/* A DNS query (RFC 1035 4.1) for `name`, type A, class IN; returns its length or -1. */
static int build_query(const char *name, unsigned char *out, size_t size) {
  static const unsigned char header[12] = {0x4e, 0x44, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t at = sizeof header;
  memcpy(out, header, sizeof header);
  const char *label = name;
  while (*label != '\0') {
    const char *dot = strchr(label, '.');
    size_t length = dot != NULL ? (size_t)(dot - label) : strlen(label);
    if (length == 0 || length > 63 || at + length + 1 + 5 > size) return -1;
    out[at++] = (unsigned char)length;
    memcpy(out + at, label, length);
    at += length;
    if (dot == NULL) break;
    label = dot + 1;
  }
  out[at++] = 0;
  out[at++] = 0; out[at++] = 1; /* QTYPE A */
  out[at++] = 0; out[at++] = 1; /* QCLASS IN */
  return (int)at;
}

static int mark(const char *name, int count, char **servers) {
  unsigned char query[300];
  int length = build_query(name, query, sizeof query);
  if (length < 0) {
    fprintf(stderr, "bad marker name %s\n", name);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("socket");
    return 2;
  }
  for (int i = 0; i < count; i++) {
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(53);
    if (inet_pton(AF_INET, servers[i], &to.sin_addr) != 1) {
      fprintf(stderr, "bad server %s\n", servers[i]);
      return 2;
    }
    if (sendto(fd, query, (size_t)length, 0, (struct sockaddr *)&to, sizeof to) != length) {
      perror("sendto");
      return 2;
    }
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && strcmp(argv[1], "lookup") == 0) return lookup(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "mark") == 0) return mark(argv[2], argc - 3, argv + 3);
  fprintf(stderr, "usage: %s lookup <name> | mark <name> <server>...\n", argv[0]);
  return 2;
}
