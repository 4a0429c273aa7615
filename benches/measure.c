/* benches/measure.c: runs a command and writes its
 * wall time, CPU time and peak RSS, measured as `/usr/bin/time -f %M` does
 * but with microsecond resolution:
 *
 *     measure OUT_FILE COMMAND [ARG...]
 *
 * writes "wall_seconds user_seconds system_seconds maxrss_kib exit_status"
 * to OUT_FILE. benches/run compiles it (cc -O2) and runs every timed command
 * under it: the command is forked from this small process, so its peak RSS
 * does not include the pages of the Python harness (a child forked or
 * vforked from Python starts with Python's resident set, which `ru_maxrss`
 * keeps across exec). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: measure OUT_FILE COMMAND [ARG...]\n");
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 2;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(out, "%.6f %ld.%06ld %ld.%06ld %ld %d\n", wall, (long)usage.ru_utime.tv_sec, (long)usage.ru_utime.tv_usec,
            (long)usage.ru_stime.tv_sec, (long)usage.ru_stime.tv_usec, usage.ru_maxrss, code);
    fclose(out);
    return code;
}
