/*
 * parse-bench DIR [PASSES]: load every file of DIR into memory, then run
 * mime_parse() + msg_free() over all of them PASSES times.  Prints raw
 * MB/s and messages/s (parse + text extraction, one core) by wall clock
 * and by CPU time, peak RSS, and the RSS after the first and the last
 * pass, to show memory does not grow with the number of messages parsed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "mime.h"
#include "xalloc.h"

struct file {
	char *data;
	size_t len;
};

static long
rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int
load(const char *dir, struct file **files_r, size_t *n_r, size_t *bytes_r)
{
	struct file *files = NULL;
	size_t n = 0, alloc = 0, bytes = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char path[4096], chunk[65536];
		struct buf b;
		size_t got;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		buf_init(&b, 256 * 1024 * 1024);
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_add(&b, chunk, got);
		fclose(f);
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			files = xreallocarray(files, alloc, sizeof(*files));
		}
		files[n].len = b.len;
		files[n].data = buf_steal(&b);
		bytes += files[n].len;
		n++;
	}
	closedir(d);
	*files_r = files;
	*n_r = n;
	*bytes_r = bytes;
	return 0;
}

int
main(int argc, char **argv)
{
	struct mime_limits lim;
	struct file *files;
	struct timespec t0, t1, c0, c1;
	struct rusage ru;
	size_t n, bytes, texts = 0;
	long rss_first = 0;
	int passes = argc > 2 ? atoi(argv[2]) : 5;
	double secs, cpu;

	if (argc < 2 || passes < 1) {
		fprintf(stderr, "usage: parse-bench DIR [PASSES]\n");
		return 2;
	}
	if (load(argv[1], &files, &n, &bytes) < 0 || n == 0) {
		fprintf(stderr, "parse-bench: no files in %s\n", argv[1]);
		return 2;
	}
	mime_init();
	mime_limits_default(&lim);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (int p = 0; p < passes; p++) {
		for (size_t i = 0; i < n; i++) {
			struct error err = { 0 };
			struct msg *m = NULL;

			if (mime_parse(files[i].data, files[i].len, &lim, 0, &m,
				&err) < 0) {
				fprintf(stderr, "parse failed: %s\n", err.msg);
				return 1;
			}
			texts += strlen(m->text);
			msg_free(&m);
		}
		if (p == 0)
			rss_first = rss_kb();
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = (double)(c1.tv_sec - c0.tv_sec) +
	      (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	getrusage(RUSAGE_SELF, &ru);
	printf("messages:      %zu x %d passes (%.1f MB raw per pass)\n", n,
	    passes, (double)bytes / 1e6);
	printf("throughput:    %.1f MB/s raw, %.0f messages/s (wall clock)\n",
	    (double)bytes * passes / 1e6 / secs, (double)n * passes / secs);
	/* CPU time: the per-core figure, whatever else shares the box. */
	printf("per CPU-second: %.1f MB/s raw, %.0f messages/s\n",
	    (double)bytes * passes / 1e6 / cpu, (double)n * passes / cpu);
	printf("text out:      %.1f MB per pass\n",
	    (double)texts / passes / 1e6);
	printf("peak RSS:      %ld KB (corpus held in memory: %zu KB)\n",
	    ru.ru_maxrss, bytes / 1024);
	printf("RSS after pass 1: %ld KB, after pass %d: %ld KB\n", rss_first,
	    passes, rss_kb());
	for (size_t i = 0; i < n; i++)
		free(files[i].data);
	free(files);
	mime_shutdown();
	return 0;
}
