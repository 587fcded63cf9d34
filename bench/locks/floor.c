// The floor of a replicated write on this machine, for bench/locks: three server processes and one
// client over loopback TCP, each server appending to its own log (written ahead with zeros, as a
// segment is) with pwrite + fdatasync. No consensus logic, no batching, no runtime, one request in
// flight: only the messages and flushes of one write through a leader of three voters. A lock cycle
// is two writes (create, delete), so it prints cycles/s = writes/s / 2, comparable with LockBench.
//
//   gcc -O2 -o floor bench/locks/floor.c
//   ./floor DIR SECONDS leader|follower [lazy]
//
// leader: the client talks to the leader. follower: to a follower, which forwards the request, and
// answers once the leader's commit notice arrives. lazy: the leader commits on both followers'
// acknowledgements and flushes its own log only after it has answered.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { REQ = 1, FWD, APP, ACK, COMMIT, REPLY };
typedef struct { uint32_t type, origin; uint64_t index; } msg;
static const int entry_size = 128;
static int lazy;

static void die(const char *what) { perror(what); exit(1); }
static void put(int fd, uint32_t type, uint32_t origin, uint64_t index) {
  msg m = { type, origin, index };
  if (send(fd, &m, sizeof m, 0) != sizeof m) die("send");
}
static msg get(int fd) {
  msg m; size_t got = 0;
  while (got < sizeof m) { ssize_t n = recv(fd, (char *)&m + got, sizeof m - got, 0); if (n <= 0) exit(0); got += n; }
  return m;
}
static int nodelay(int fd) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); return fd; }
static int listen_on(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0); struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 8) || getsockname(fd, (struct sockaddr *)&a, &len)) die("listen");
  *port = ntohs(a.sin_port); return fd;
}
static int dial(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0); struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (connect(fd, (struct sockaddr *)&a, sizeof a)) die("connect");
  return nodelay(fd);
}
static int open_log(const char *dir, int id) {
  char path[4096]; snprintf(path, sizeof path, "%s/log-%d", dir, id);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600); if (fd < 0) die("open");
  // Written ahead with zeros and flushed, as a log segment is, so a flush writes data, not metadata.
  static char zeros[1 << 20];
  for (int i = 0; i < 64; i++) if (write(fd, zeros, sizeof zeros) != sizeof zeros) die("write");
  fsync(fd); return fd;
}
static void append(int log, uint64_t index) {
  char entry[entry_size]; memset(entry, (int)index, sizeof entry);
  if (pwrite(log, entry, sizeof entry, (off_t)(index % 500000) * entry_size) != entry_size) die("pwrite");
  if (fdatasync(log)) die("fdatasync");
}

// The leader: takes requests from its client or forwarded by a follower, sends the entry to both
// followers, appends it, and commits on its own flush plus the first follower's ack.
static void leader(int log, int client, int followers[2]) {
  uint64_t index = 0; uint64_t acked[2] = { 0, 0 };
  struct pollfd in[3] = { { client, POLLIN, 0 }, { followers[0], POLLIN, 0 }, { followers[1], POLLIN, 0 } };
  for (;;) {
    if (poll(in, 3, -1) < 0) die("poll");
    for (int i = 0; i < 3; i++) {
      if (!(in[i].revents & POLLIN)) continue;
      msg m = get(in[i].fd);
      if (m.type == ACK) { acked[i - 1] = m.index; continue; }
      uint32_t origin = m.type == REQ ? 0 : (uint32_t)i;
      index++;
      put(followers[0], APP, origin, index); put(followers[1], APP, origin, index);
      if (!lazy) append(log, index);
      while (lazy ? (acked[0] < index || acked[1] < index) : (acked[0] < index && acked[1] < index)) {
        int from = -1;
        if (poll(in + 1, 2, -1) < 0) die("poll");
        for (int f = 0; f < 2; f++) if (in[1 + f].revents & POLLIN) { from = f; msg a = get(followers[f]); if (a.type == ACK) acked[f] = a.index; }
        if (from < 0) die("ack");
      }
      put(followers[0], COMMIT, origin, index); put(followers[1], COMMIT, origin, index);
      if (origin == 0) put(client, REPLY, 0, index);
      if (lazy) append(log, index);
      break; // the ack wait consumed the other sockets' readiness: poll again
    }
  }
}

// A follower: forwards its client's requests, appends and acks what the leader sends, and answers
// its client when the leader says the client's entry is committed.
static void follower(int self, int log, int client, int to_leader) {
  uint64_t mine = 0;
  struct pollfd in[2] = { { client, POLLIN, 0 }, { to_leader, POLLIN, 0 } };
  int count = client < 0 ? 1 : 2;
  struct pollfd *watch = client < 0 ? in + 1 : in;
  for (;;) {
    if (poll(watch, count, -1) < 0) die("poll");
    for (int i = 0; i < count; i++) {
      if (!(watch[i].revents & POLLIN)) continue;
      msg m = get(watch[i].fd);
      if (m.type == REQ) put(to_leader, FWD, 0, 0);
      else if (m.type == APP) { if (m.origin == (uint32_t)self) mine = m.index; append(log, m.index); put(to_leader, ACK, 0, m.index); }
      else if (m.type == COMMIT && mine && m.index >= mine) { put(client, REPLY, 0, mine); mine = 0; }
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: floor DIR SECONDS leader|follower [lazy]\n"); return 2; }
  lazy = argc > 4;
  double seconds = atof(argv[2]); int via_leader = strcmp(argv[3], "leader") == 0;
  int peer_port, client_port;
  int peers = listen_on(&peer_port), clients = listen_on(&client_port);
  pid_t pids[3];
  for (int f = 1; f <= 2; f++) {
    if ((pids[f] = fork()) == 0) {
      int log = open_log(argv[1], f);
      int to_leader = dial(peer_port); uint32_t id = f; send(to_leader, &id, sizeof id, 0);
      int client = -1;
      if (!via_leader && f == 1) client = nodelay(accept(clients, NULL, NULL));
      follower(f, log, client, to_leader);
    }
  }
  if ((pids[0] = fork()) == 0) {
    int log = open_log(argv[1], 0); int followers[2];
    for (int i = 0; i < 2; i++) { int fd = nodelay(accept(peers, NULL, NULL)); uint32_t id; recv(fd, &id, sizeof id, MSG_WAITALL); followers[id - 1] = fd; }
    int client = via_leader ? nodelay(accept(clients, NULL, NULL)) : -1;
    leader(log, client, followers);
  }
  sleep(1); // the servers write their logs ahead before the client starts
  int server = dial(client_port);
  struct timespec start, now; clock_gettime(CLOCK_MONOTONIC, &start);
  long writes = 0; double elapsed = 0;
  while (elapsed < seconds) {
    put(server, REQ, 0, 0); get(server); writes++;
    clock_gettime(CLOCK_MONOTONIC, &now); elapsed = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
  }
  printf("path=%s%s writes=%ld seconds=%.1f write_us=%.0f cycles_per_s=%.0f\n", argv[3], lazy ? " lazy" : "", writes, elapsed, 1e6 * elapsed / writes, writes / elapsed / 2);
  for (int i = 0; i < 3; i++) kill(pids[i], SIGKILL);
  for (int i = 0; i < 3; i++) waitpid(pids[i], NULL, 0);
  return 0;
}
