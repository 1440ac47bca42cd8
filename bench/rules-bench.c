/*
 * Rules throughput: classify synthetic messages with ~8 KB bodies using
 * the default rule set, and the default set plus generated rules up to
 * 500 (caseless word alternations, the kind a rule writer adds), with the
 * prefilter and with PCRE2 alone.  Prints messages/s and MB/s of text
 * per core (thread CPU time, so other load on the machine does not
 * count), and the time to load the rule set.
 *
 * usage: rules-bench RULES_DIR [TOTAL_RULES [MESSAGES [HIT_EVERY]]]
 *
 * One generated rule in HIT_EVERY (default 50) names a word the message
 * bodies use, so it fires on some messages and PCRE2 must confirm it;
 * the others name words no body has, and the prefilter rules them out.
 * The hits/msg column says how much confirming each run did.
 *
 * With RULES_BENCH_CORPUS=DIR the bodies are real mail instead: the text
 * of every .eml under DIR (mime_parse()), concatenated to ~8 KB.
 */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mime.h"
#include "rules.h"
#include "xalloc.h"

#define BODY_SIZE 8192

static unsigned long long rng = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* CPU time of this thread: the machine is shared, per-core is the unit. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A pronounceable pseudo-word, so generated rules rarely collide. */
static void
pseudo_word(char *w, size_t len)
{
	static const char cons[] = "bcdfghjklmnprstvwz", vow[] = "aeiou";

	for (size_t i = 0; i < len; i++)
		w[i] = i % 2 ? vow[rnd(5)] : cons[rnd(18)];
	w[len] = '\0';
}

static const char *const english[] = { "the", "we", "are", "looking", "for",
	"a", "team", "plan", "our", "developers", "use", "pipeline",
	"repository", "with", "please", "thanks", "and", "to", "of", "in", "it",
	"is", "that", "on", "this", "project", "deploy", "build", "review",
	"merge", "branch", "question", "help", "would", "like", "know", "about",
	"your", "product", "runner", "cache", "docker", "kubernetes", "cluster",
	"settings", "group", "users", "access" };

#define NVOCAB 3000
static char vocab[NVOCAB][12];

static void
make_body(char *body)
{
	size_t len = 0;

	while (len < BODY_SIZE - 16) {
		const char *w =
		    rnd(3) == 0 ?
			vocab[rnd(NVOCAB)] :
			english[rnd(sizeof(english) / sizeof(english[0]))];
		size_t n = strlen(w);

		memcpy(body + len, w, n);
		len += n;
		body[len++] = rnd(12) == 0 ? '\n' : ' ';
	}
	body[len] = '\0';
}

static size_t hit_every = 50;

/* Texts of real mail, for RULES_BENCH_CORPUS. */
static char **corpus;
static size_t n_corpus;

static int
corpus_add(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	struct mime_limits lim;
	struct error err;
	struct msg *m = NULL;
	size_t n = strlen(path), len;
	char *raw;
	FILE *fp;

	(void)ftw;
	if (type != FTW_F || n < 4 || strcmp(path + n - 4, ".eml") != 0 ||
	    sb->st_size > 1 << 20 || n_corpus >= 2000)
		return 0;
	fp = fopen(path, "rb");
	if (fp == NULL)
		return 0;
	raw = xmalloc((size_t)sb->st_size + 1);
	len = fread(raw, 1, (size_t)sb->st_size, fp);
	fclose(fp);
	mime_limits_default(&lim);
	if (mime_parse(raw, len, &lim, 0, &m, &err) == 0 &&
	    strlen(m->text) > 40) {
		corpus = xreallocarray(corpus, n_corpus + 1, sizeof(*corpus));
		corpus[n_corpus++] = xstrdup(m->text);
	}
	msg_free(&m);
	free(raw);
	return 0;
}

/* ~8 KB of real text: whole corpus texts, cut at a character. */
static void
make_corpus_body(char *body)
{
	size_t len = 0, n;

	while (len < BODY_SIZE - 1) {
		const char *t = corpus[rnd((unsigned)n_corpus)];

		n = strlen(t);
		if (n > BODY_SIZE - 1 - len) {
			n = BODY_SIZE - 1 - len;
			while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(body + len, t, n);
		len += n;
		if (n == 0)
			break;
	}
	body[len] = '\0';
}

static void
write_generated(const char *dir, size_t n)
{
	char path[4096], w[12];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/99-generated.rules", dir);
	fp = fopen(path, "w");
	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(fp, "rule gen-%04zu\n  body /\\b(?:", i);
		for (int k = 0; k < 5; k++) {
			/* One rule in ten can hit the body vocabulary. */
			if (i % hit_every == 0 && k == 0)
				fputs(vocab[rnd(NVOCAB)], fp);
			else {
				pseudo_word(w, 6 + rnd(4));
				fputs(w, fp);
			}
			fputs(k < 4 ? "|" : ")\\b/i\n", fp);
		}
		fprintf(fp, "  tag gen-%zu\n", i % 50);
	}
	fclose(fp);
}

static void
copy_dir(const char *from, const char *to)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "cp %s/*.rules %s/", from, to);
	if (system(cmd) != 0) {
		fprintf(stderr, "copy failed\n");
		exit(1);
	}
}

static struct rules *
load(const char *dir, int no_prefilter, double *secs_r)
{
	struct rules_options opts = { NULL, no_prefilter };
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;
	double t0 = now();

	if (rules_load(dir, &opts, &rs, &probs) < 0) {
		for (size_t i = 0; i < probs.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", probs.v[i].file,
			    probs.v[i].line, probs.v[i].col, probs.v[i].msg);
		exit(1);
	}
	*secs_r = now() - t0;
	return rs;
}

static void
run(const char *label, struct rules *rs, struct msg *msgs, size_t n)
{
	struct rules_ctx ctx = { .mailbox = "sales" };
	size_t bytes = 0, hits = 0;
	double t0 = now(), secs;

	for (size_t i = 0; i < n; i++) {
		struct verdict v;

		verdict_init(&v);
		rules_classify(rs, &msgs[i], &ctx, &v);
		hits += v.n_hits;
		bytes += strlen(msgs[i].text) + strlen(msgs[i].subject);
		verdict_clear(&v);
	}
	secs = now() - t0;
	printf("%-34s %5zu rules %7zu msgs %9.0f msg/s %8.1f MB/s "
	       "(%.2f hits/msg)\n",
	    label, rules_count(rs), n, (double)n / secs,
	    (double)bytes / secs / 1e6, (double)hits / (double)n);
}

static struct msg_header hdrs[] = {
	{ "Received", "from mail.buyer.example by mx.acme.example" },
	{ "Received", "from laptop by mail.buyer.example" },
	{ "Content-Type", "text/plain; charset=utf-8" },
	{ "User-Agent", "Thunderbird" },
	{ "X-Mailer", "none" },
};

static struct msg_addr to_addr = { "", "sales@acme.example" };

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "rules";
	size_t total = argc > 2 ? strtoul(argv[2], NULL, 10) : 500;
	size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 20000;

	if (argc > 4)
		hit_every = strtoul(argv[4], NULL, 10);
	if (hit_every == 0)
		hit_every = 1;
	char tmp[] = "/tmp/rules-bench-XXXXXX", cmd[4096];
	struct rules *def, *big, *def_pcre, *big_pcre;
	struct msg *msgs;
	double t_def, t_big, t;

	for (size_t i = 0; i < NVOCAB; i++)
		pseudo_word(vocab[i], 4 + rnd(6));
	if (getenv("RULES_BENCH_CORPUS") != NULL) {
		mime_init();
		(void)nftw(getenv("RULES_BENCH_CORPUS"), corpus_add, 16,
		    FTW_PHYS);
		printf("corpus: %zu texts from %s\n", n_corpus,
		    getenv("RULES_BENCH_CORPUS"));
		if (n_corpus == 0)
			return 1;
	}
	msgs = xcalloc(n, sizeof(*msgs));
	for (size_t i = 0; i < n; i++) {
		char *body = xmalloc(BODY_SIZE + 1);

		if (n_corpus > 0)
			make_corpus_body(body);
		else
			make_body(body);
		msgs[i].text = body;
		msgs[i].subject = xstrdup(i % 7 == 0 ? "Question about the "
						       "team plan" :
						       "Re: our pipeline");
		msgs[i].from.name = "Pat Buyer";
		msgs[i].from.addr = "pat@buyer.example";
		msgs[i].from_domain = "buyer.example";
		msgs[i].to.v = &to_addr;
		msgs[i].to.n = 1;
		msgs[i].headers = hdrs;
		msgs[i].n_headers = sizeof(hdrs) / sizeof(hdrs[0]);
		msgs[i].forwarded = "";
		msgs[i].html = "";
	}
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	copy_dir(dir, tmp);
	def = load(dir, 0, &t_def);
	if (total > rules_count(def))
		write_generated(tmp, total - rules_count(def));
	big = load(tmp, 0, &t_big);
	def_pcre = load(dir, 1, &t);
	big_pcre = load(tmp, 1, &t);
	printf("bodies %d bytes; one generated rule in %zu can fire\n",
	    BODY_SIZE, hit_every);
	printf("load: default set %zu rules in %.3f s; %zu rules in %.3f s "
	       "(%zu patterns PCRE2-only)\n",
	    rules_count(def), t_def, rules_count(big), t_big,
	    rules_unfiltered(big));
	run("default, prefilter + PCRE2", def, msgs, n);
	if (getenv("RULES_BENCH_NO_PCRE_ONLY") == NULL)
		run("default, PCRE2 only", def_pcre, msgs, n / 10);
	run("big set, prefilter + PCRE2", big, msgs, n);
	if (getenv("RULES_BENCH_NO_PCRE_ONLY") == NULL)
		run("big set, PCRE2 only", big_pcre, msgs, n / 100 + 1);
	rules_free(&def);
	rules_free(&big);
	rules_free(&def_pcre);
	rules_free(&big_pcre);
	for (size_t i = 0; i < n; i++) {
		free(msgs[i].text);
		free(msgs[i].subject);
	}
	free(msgs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : 1;
}
