/*
 * The standalone driver: feed every file named (or found below a
 * directory named, as libFuzzer reads a corpus) on the command line to LLVMFuzzerTestOneInput once, so the
 * regression and seed inputs replay in any build, without clang.  Each
 * input sits in a buffer of exactly its size, so a sanitizer sees any
 * read past its end.  Exits 1 when nothing at all was read.
 */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	data = malloc(size > 0 ? (size_t)size : 1);
	if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
		perror(path);
		exit(1);
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	return 1;
}

static int replay_path(const char *path);

static int
replay_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL) {
		perror(path);
		exit(1);
	}
	while ((e = readdir(d)) != NULL) {
		char *file;

		if (e->d_name[0] == '.')
			continue;
		file = malloc(strlen(path) + strlen(e->d_name) + 2);
		if (file == NULL)
			abort();
		sprintf(file, "%s/%s", path, e->d_name);
		n += replay_path(file);
		free(file);
	}
	closedir(d);
	return n;
}

static int
replay_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		perror(path);
		exit(1);
	}
	if (S_ISDIR(st.st_mode))
		return replay_dir(path);
	return S_ISREG(st.st_mode) ? replay_file(path) : 0;
}

int
main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++)
		n += replay_path(argv[i]);
	printf("%s: %d inputs replayed\n", argv[0], n);
	return n > 0 ? 0 : 1;
}
