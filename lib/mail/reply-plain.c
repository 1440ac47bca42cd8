/*
 * What the sender wrote now, in a plain-text body; see reply.h.
 *
 * The body is cut into lines once; each line is classified with
 * fixed-size look-ahead (an attribution may be wrapped over three lines,
 * an Outlook header block spans a few), so the whole pass is linear in
 * the input however hostile it is.
 */
#include "buf.h"
#include "reply.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* An attribution is short; longer lines are text, never attributions. */
#define ATTRIB_MAX 400
/* An Outlook header block is looked for in this many following lines. */
#define HEADER_WINDOW 10
/* A "Sent from my ..." footer is a short line. */
#define FOOTER_MAX 80

struct line {
	const char *s; /* foreign: points into the input */
	size_t len;    /* without the line end */
};

/* Words that end an attribution line ("... wrote:"), any language. */
/* clang-format off */
static const char *const wrote_words[] = {
	"wrote", "writes", "schrieb", "a écrit", "a ecrit", "escribió",
	"escribio", "schreef", "escreveu", "ha scritto", "napisał",
	"napisał(a)", "napisal", "napisała", "skrev", "kirjoitti",
	"написал", "написала", "написал(а)", "написав", "napsal",
	"napsala", "napsal(a)", "写道", "寫道", "đã viết", "書きました",
	"のメッセージ", "のメール", "yazdı", "írta", "wrote on", "geschreven",
};
/* clang-format on */

/* Words an attribution starts with ("On <date>, <name> wrote:"). */
/* clang-format off */
static const char *const intro_words[] = {
	"On ", "Am ", "Le ", "El ", "Op ", "Em ", "Il ", "W dniu ", "Den ",
	"Dne ", "Pada ", "Vào ", "在 ",
};
/* clang-format on */

/*
 * Horde/IMP-style attributions: "Quoting Jane Doe <jane@example.com>:"
 * (also localized), a line of its own ending in a colon.
 */
/* clang-format off */
static const char *const quoting_words[] = {
	"Quoting ", "Zitat von ", "Citando ", "Citation de ", "Cytuję ",
	"Citeren ", "Citerar ", "Цитата ", "Lainaus ",
};
/* clang-format on */

/*
 * Separator lines that start forwarded or original messages, compared
 * without their decoration (dashes, underscores, '=', '*') and without a
 * trailing colon, ASCII case-insensitively.
 */
/* clang-format off */
static const char *const marker_phrases[] = {
	"original message", "forwarded message", "begin forwarded message",
	"forwarded by", "message d'origine", "message transféré",
	"message transfere", "début du message réexpédié",
	"début du message transféré", "ursprüngliche nachricht",
	"weitergeleitete nachricht", "anfang der weitergeleiteten nachricht",
	"mensaje original", "mensaje reenviado",
	"inicio del mensaje reenviado", "mensagem original",
	"mensagem encaminhada", "início da mensagem reencaminhada",
	"início da mensagem encaminhada", "oorspronkelijk bericht",
	"doorgestuurd bericht", "begin doorgestuurd bericht",
	"messaggio originale", "messaggio inoltrato",
	"inizio messaggio inoltrato", "originalmeddelande",
	"vidarebefordrat meddelande", "oprindelig meddelelse",
	"videresendt meddelelse", "opprinnelig melding",
	"videresendt melding", "wiadomość oryginalna",
	"wiadomość przekazana", "исходное сообщение",
	"пересылаемое сообщение", "Исходное сообщение",
	"Пересылаемое сообщение", "Пересланное сообщение", "alkuperäinen viesti",
	"välitetty viesti", "původní zpráva", "přeposlaná zpráva",
	"元のメッセージ", "転送されたメッセージ", "原始邮件", "转发的邮件",
	"reply above this line", "reply above",
};
/* clang-format on */

/* Mobile and app footers ("Sent from my iPhone"), ASCII-case-blind. */
/* clang-format off */
static const char *const footer_prefixes[] = {
	"sent from my ", "sent from ", "sent via ", "sent with ",
	"get outlook for ", "von meinem ", "gesendet von ",
	"gesendet mit ", "envoyé de mon ", "envoyé depuis ",
	"enviado desde mi ", "enviado desde ", "enviado do meu ",
	"enviado de meu ", "enviado do ", "verzonden met ",
	"verzonden vanaf ", "verstuurd vanaf ", "verstuurd met ",
	"inviato da ", "inviato dal ", "skickat från ", "sendt fra ",
	"wysłane z ", "отправлено с ", "lähetetty ", "从我的 ", "從我的 ",
};
/* clang-format on */

enum hkey {
	HK_NONE = 0,
	HK_FROM,
	HK_SENT, /* Sent: / Date: */
	HK_TO,
	HK_CC,
	HK_SUBJECT,
};

struct hkey_name {
	const char *name;
	enum hkey key;
};

/* Header names of Outlook-style header blocks, in many languages. */
/* clang-format off */
static const struct hkey_name hkey_names[] = {
	{ "From", HK_FROM }, { "Von", HK_FROM }, { "De", HK_FROM },
	{ "Van", HK_FROM }, { "Från", HK_FROM }, { "Fra", HK_FROM },
	{ "Od", HK_FROM }, { "От", HK_FROM }, { "Da", HK_FROM },
	{ "Lähettäjä", HK_FROM }, { "Afzender", HK_FROM },
	{ "Remitente", HK_FROM }, { "Kimden", HK_FROM },
	{ "Feladó", HK_FROM }, { "Від", HK_FROM }, { "发件人", HK_FROM },
	{ "寄件者", HK_FROM }, { "差出人", HK_FROM },
	{ "Sent", HK_SENT }, { "Date", HK_SENT }, { "Gesendet", HK_SENT },
	{ "Datum", HK_SENT }, { "Envoyé", HK_SENT }, { "Verzonden", HK_SENT },
	{ "Skickat", HK_SENT }, { "Sendt", HK_SENT }, { "Wysłano", HK_SENT },
	{ "Data", HK_SENT }, { "Отправлено", HK_SENT }, { "Дата", HK_SENT },
	{ "Enviado", HK_SENT }, { "Enviado el", HK_SENT },
	{ "Envoyé le", HK_SENT }, { "Gesendet am", HK_SENT }, { "Fecha", HK_SENT }, { "Inviato", HK_SENT },
	{ "Lähetetty", HK_SENT }, { "Odesláno", HK_SENT },
	{ "发送时间", HK_SENT }, { "日期", HK_SENT }, { "送信日時", HK_SENT },
	{ "日時", HK_SENT }, { "Tarih", HK_SENT },
	{ "To", HK_TO }, { "An", HK_TO }, { "À", HK_TO }, { "à", HK_TO },
	{ "A", HK_TO }, { "Aan", HK_TO }, { "Till", HK_TO }, { "Til", HK_TO },
	{ "Do", HK_TO }, { "Кому", HK_TO }, { "Para", HK_TO },
	{ "Vastaanottaja", HK_TO }, { "Komu", HK_TO }, { "收件人", HK_TO },
	{ "宛先", HK_TO }, { "Kime", HK_TO },
	{ "Cc", HK_CC }, { "Kopie", HK_CC }, { "Копия", HK_CC },
	{ "Kopia", HK_CC }, { "Kopio", HK_CC }, { "抄送", HK_CC },
	{ "Subject", HK_SUBJECT }, { "Betreff", HK_SUBJECT },
	{ "Objet", HK_SUBJECT }, { "Onderwerp", HK_SUBJECT },
	{ "Ämne", HK_SUBJECT }, { "ämne", HK_SUBJECT }, { "Emne", HK_SUBJECT },
	{ "Temat", HK_SUBJECT }, { "Тема", HK_SUBJECT },
	{ "Asunto", HK_SUBJECT }, { "Assunto", HK_SUBJECT },
	{ "Oggetto", HK_SUBJECT }, { "Aihe", HK_SUBJECT },
	{ "Předmět", HK_SUBJECT }, { "主题", HK_SUBJECT },
	{ "件名", HK_SUBJECT }, { "Konu", HK_SUBJECT },
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Length of the whitespace (ASCII or U+00A0) at the start of s[0..len). */
static size_t
ws_len(const char *s, size_t len)
{
	size_t i = 0;

	for (;;) {
		if (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		else if (i + 1 < len && (unsigned char)s[i] == 0xc2 &&
			 (unsigned char)s[i + 1] == 0xa0)
			i += 2;
		else
			return i;
	}
}

/* The line without surrounding whitespace. */
static struct line
trim(struct line l)
{
	size_t n = ws_len(l.s, l.len);

	l.s += n;
	l.len -= n;
	while (l.len > 0) {
		unsigned char c = (unsigned char)l.s[l.len - 1];

		if (c == ' ' || c == '\t' || c == '\r')
			l.len--;
		else if (c == 0xa0 && l.len >= 2 &&
			 (unsigned char)l.s[l.len - 2] == 0xc2)
			l.len -= 2;
		else
			break;
	}
	return l;
}

static int
starts_ci(struct line l, const char *p)
{
	size_t n = strlen(p);

	return l.len >= n && strncasecmp(l.s, p, n) == 0;
}

static int
ends_ci(struct line l, const char *p)
{
	size_t n = strlen(p);

	return l.len >= n && strncasecmp(l.s + l.len - n, p, n) == 0;
}

static int
reply_is_blank(struct line l)
{
	return trim(l).len == 0;
}

/* Quoted at any depth: the first non-blank character is '>'. */
static int
is_quote(struct line l)
{
	l = trim(l);
	return l.len > 0 && l.s[0] == '>';
}

static int
has_byte(struct line l, char c)
{
	return l.len > 0 && memchr(l.s, c, l.len) != NULL;
}

/*
 * Cut the lines of text[0..len).  Returns an owned array; *n_r is the
 * count.  A final line without a newline counts; CR before LF is kept in
 * the line and removed by trim().
 */
static struct line *
split_lines(const char *text, size_t len, size_t *n_r)
{
	struct line *v = NULL;
	size_t n = 0, alloc = 0, start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if (n == alloc) {
			alloc = alloc != 0 ? alloc * 2 : 64;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		v[n].s = text + start;
		v[n].len = i - start;
		if (v[n].len > 0 && v[n].s[v[n].len - 1] == '\r')
			v[n].len--;
		n++;
		start = i + 1;
	}
	*n_r = n;
	return v;
}

/* Strip decoration characters (- _ = * ~) from both ends. */
static struct line
undecorate(struct line l, size_t *stripped_r)
{
	size_t stripped = 0;

	l = trim(l);
	while (l.len > 0 && strchr("-_=*~", l.s[0]) != NULL) {
		l.s++;
		l.len--;
		stripped++;
	}
	while (l.len > 0 && strchr("-_=*~", l.s[l.len - 1]) != NULL) {
		l.len--;
		stripped++;
	}
	*stripped_r = stripped;
	return trim(l);
}

/* Remove a trailing ':' or full-width '：'; *had_r says whether one was. */
static struct line
strip_colon(struct line l, int *had_r)
{
	l = trim(l);
	*had_r = 0;
	if (l.len >= 1 && l.s[l.len - 1] == ':') {
		l.len--;
		*had_r = 1;
	} else if (l.len >= 3 &&
		   memcmp(l.s + l.len - 3, "\xef\xbc\x9a", 3) == 0) {
		l.len -= 3;
		*had_r = 1;
	}
	return trim(l);
}

/* "-----Original Message-----", "Begin forwarded message:" ... */
static int
is_marker(struct line l)
{
	size_t deco;
	int colon;
	struct line u = undecorate(l, &deco);

	u = strip_colon(u, &colon);
	if (u.len == 0 || u.len > 64)
		return 0;
	for (size_t i = 0; i < NELEM(marker_phrases); i++) {
		size_t n = strlen(marker_phrases[i]);

		if (deco < 2 && !colon &&
		    strncmp(marker_phrases[i], "begin", 5))
			continue;
		if (u.len == n && strncasecmp(u.s, marker_phrases[i], n) == 0)
			return 1;
		/* "Forwarded by Jane Doe on ..." (Lotus Notes) */
		if (deco >= 2 && u.len > n &&
		    strncasecmp(u.s, marker_phrases[i], n) == 0 &&
		    u.s[n] == ' ')
			return 1;
	}
	return 0;
}

/*
 * A signature or rule line: "-- ", "--", "—", or the same one of
 * - _ = * ~ + repeated (reply trimmers treat these as "history below").
 */
static int
is_rule(struct line l)
{
	l = trim(l);
	/* Gmail's U+1427 tracking mark; em or en dashes ("—————") */
	if (l.len == 3 && memcmp(l.s, "\xe1\x90\xa7", 3) == 0)
		return 1;
	if (l.len >= 3 && l.len % 3 == 0 &&
	    (memcmp(l.s, "\xe2\x80\x94", 3) == 0 ||
		memcmp(l.s, "\xe2\x80\x93", 3) == 0)) {
		size_t i = 3;

		while (i < l.len && memcmp(l.s + i, l.s, 3) == 0)
			i += 3;
		if (i == l.len)
			return 1;
	}
	if (l.len < 2 || strchr("-_=*~+", l.s[0]) == NULL)
		return 0;
	for (size_t i = 1; i < l.len; i++) {
		if (l.s[i] != l.s[0])
			return 0;
	}
	return 1;
}

/* Count the words of l (runs of non-blanks). */
static size_t
count_words(struct line l)
{
	size_t n = 0;
	int in = 0;

	for (size_t i = 0; i < l.len; i++) {
		int sp = l.s[i] == ' ' || l.s[i] == '\t';

		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

/*
 * "Sent from my iPhone", "Von meinem iPad gesendet", "Get Outlook for
 * iOS".  Short lines only, and at most a few words after the prefix, so
 * "Sent from my desk, which is easier" stays text.
 */
static int
is_footer(struct line l)
{
	l = trim(l);
	if (l.len == 0 || l.len > FOOTER_MAX)
		return 0;
	if (l.s[0] == '(' || l.s[0] == '<') {
		l.s++;
		l.len--;
	}
	for (size_t i = 0; i < NELEM(footer_prefixes); i++) {
		size_t n = strlen(footer_prefixes[i]);
		struct line rest;

		if (!starts_ci(l, footer_prefixes[i]))
			continue;
		rest.s = l.s + n;
		rest.len = l.len - n;
		if (count_words(rest) <= 5 && !has_byte(rest, ','))
			return 1;
	}
	return 0;
}

/* Which Outlook header name starts l ("From:", "*Von:*", "De :"). */
static enum hkey
header_key(struct line l)
{
	l = trim(l);
	while (l.len > 0 && l.s[0] == '*') {
		l.s++;
		l.len--;
	}
	/* names are short: no colon near the start, no header line */
	if (memchr(l.s, ':', l.len < 24 ? l.len : 24) == NULL &&
	    memmem(l.s, l.len < 24 ? l.len : 24, "\xef\xbc\x9a", 3) == NULL)
		return HK_NONE;
	for (size_t i = 0; i < NELEM(hkey_names); i++) {
		size_t n = strlen(hkey_names[i].name), j;

		if (l.len <= n || strncasecmp(l.s, hkey_names[i].name, n) != 0)
			continue;
		j = n;
		while (j < l.len && (l.s[j] == '*' || l.s[j] == ' '))
			j++;
		if (j < l.len && l.s[j] == ':')
			return hkey_names[i].key;
		if (j + 3 <= l.len && memcmp(l.s + j, "\xef\xbc\x9a", 3) == 0)
			return hkey_names[i].key;
	}
	return HK_NONE;
}

/*
 * An Outlook-style header block starts at v[i]: header lines (wrapped
 * values may continue on up to two lines) that name the sender and a
 * date, or at least three different headers including the sender.
 */
static int
is_header_block(const struct line *v, size_t n, size_t i)
{
	unsigned seen = 0;
	size_t other = 0;

	if (header_key(v[i]) == HK_NONE)
		return 0;
	for (size_t j = i; j < n && j < i + HEADER_WINDOW; j++) {
		enum hkey k = header_key(v[j]);

		if (k == HK_NONE) {
			if (reply_is_blank(v[j]) && j == i + 1)
				continue;
			if (++other > 2)
				break;
			continue;
		}
		other = 0;
		seen |= 1u << k;
	}
	/* "Date: ... To: ..." with the sender's line lost */
	if (header_key(v[i]) == HK_SENT && __builtin_popcount(seen) >= 2)
		return 1;
	if (!(seen & (1u << HK_FROM)))
		return 0;
	if (seen & (1u << HK_SENT))
		return 1;
	/* a short "From:/Subject:" block without its date (some clients) */
	if (header_key(v[i]) == HK_FROM && i + 1 < n &&
	    (header_key(v[i + 1]) == HK_SUBJECT ||
		header_key(v[i + 1]) == HK_TO))
		return 1;
	return __builtin_popcount(seen) >= 3;
}

/* Does s (len bytes) contain an intro word at a word start? Where? */
static int
find_intro(struct line l, size_t *pos_r)
{
	for (size_t i = 0; i < NELEM(intro_words); i++) {
		size_t n = strlen(intro_words[i]);

		if (l.len >= n && memcmp(l.s, intro_words[i], n) == 0) {
			*pos_r = 0;
			return 1;
		}
	}
	/* "reply On Wed, ... wrote:": text and attribution on one line */
	for (size_t p = 1; p + 3 < l.len; p++) {
		if (l.s[p - 1] == ' ' && memcmp(l.s + p, "On ", 3) == 0) {
			*pos_r = p;
			return 1;
		}
	}
	return 0;
}

static int
ends_with_wrote(struct line l)
{
	for (size_t i = 0; i < NELEM(wrote_words); i++) {
		if (ends_ci(l, wrote_words[i]))
			return 1;
	}
	return 0;
}

/* A wrote-word anywhere ("Name schrieb am Fr., 28. Apr. 2017:"). */
static int
has_wrote(struct line l)
{
	for (size_t i = 0; i < NELEM(wrote_words); i++) {
		size_t n = strlen(wrote_words[i]);

		for (size_t p = 0; p + n <= l.len; p++) {
			if (p > 0 && l.s[p - 1] != ' ')
				continue;
			if (tolower((unsigned char)l.s[p]) !=
			    tolower((unsigned char)wrote_words[i][0]))
				continue;
			if (strncasecmp(l.s + p, wrote_words[i], n) == 0)
				return 1;
		}
	}
	return 0;
}

/* "2016-03-03 17:21 GMT+01:00 Name <a@b>", Gmail in some locales. */
static int
date_first(struct line l)
{
	struct line rest = l;

	if (l.len < 8)
		return 0;
	for (size_t i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)l.s[i]))
			return 0;
	}
	if (l.s[4] != '-' && l.s[4] != '/' && l.s[4] != '.' &&
	    memcmp(l.s + 4, "\xe5\xb9\xb4", 3) != 0) /* 年 */
		return 0;
	rest.s += 4;
	rest.len -= 4;
	return has_byte(rest, '@') || memmem(l.s, l.len, "GMT", 3) != NULL;
}

/* "Jane wrote on Mon, 3 Feb 2025:" carries a date: some digit. */
static int
has_digit(struct line l)
{
	for (size_t i = 0; i < l.len; i++) {
		if (isdigit((unsigned char)l.s[i]))
			return 1;
	}
	return 0;
}

/* "14:00" somewhere: attributions carry the time of the quoted mail. */
static int
has_time(struct line l)
{
	for (size_t i = 0; i + 5 <= l.len; i++) {
		if (isdigit((unsigned char)l.s[i]) &&
		    isdigit((unsigned char)l.s[i + 1]) && l.s[i + 2] == ':' &&
		    isdigit((unsigned char)l.s[i + 3]) &&
		    isdigit((unsigned char)l.s[i + 4]))
			return 1;
	}
	return 0;
}

/*
 * May an attribution wrapped over several lines start at l?  Only when
 * the first line looks like one already, so a sentence above it is not
 * swallowed: an intro word, a leading date, or a wrote-word.
 */
static int
wrap_start(struct line l)
{
	size_t pos;

	l = trim(l);
	if (l.len == 0)
		return 0;
	return (find_intro(l, &pos) && pos == 0) ||
	       isdigit((unsigned char)l.s[0]) || has_wrote(l);
}

/*
 * Is there an attribution at v[i], over 1-3 lines?  Sets *span_r to its
 * line count and *prefix_r to the length of new text before it on v[i].
 * A wrote-word anywhere counts when the line is surely an attribution
 * (starts "On ...", carries an address or a date); otherwise the
 * wrote-word must end it ("Name wrote:").
 */
static int
is_attribution(const struct line *v, size_t n, size_t i, size_t *span_r,
    size_t *prefix_r)
{
	char joined[ATTRIB_MAX + 8];
	size_t jlen = 0;

	for (size_t k = 0; k < 3 && i + k < n; k++) {
		struct line t = trim(v[i + k]), c;
		size_t deco, pos = 0;
		int colon, intro, strong, dated;

		if (t.len == 0 || jlen + 1 + t.len > ATTRIB_MAX)
			return 0;
		/* a wrapped address may leave ">:" on a line of its own */
		if (k > 0 && is_quote(t) &&
		    (t.len > 24 || t.s[t.len - 1] != ':'))
			return 0;
		if (k > 0)
			joined[jlen++] = ' ';
		memcpy(joined + jlen, t.s, t.len);
		jlen += t.len;
		c.s = joined;
		c.len = jlen;
		c = undecorate(c, &deco);
		c = strip_colon(c, &colon);
		if (c.len == 0)
			return 0;
		dated = k == 0 && date_first(c);
		if (!colon && deco < 2 && !dated)
			continue;
		/* checked only now: wrap_start() is the costly test */
		if (k > 0 && !wrap_start(v[i]))
			return 0;
		intro = find_intro(c, &pos);
		strong = (intro && pos == 0) || has_byte(c, '@') ||
			 isdigit((unsigned char)c.s[0]);
		if (ends_with_wrote(c) || (strong && has_wrote(c)) ||
		    (colon && has_wrote(c) && has_digit(c)) ||
		    (intro && pos == 0 && ends_ci(c, " sent")) ||
		    (isdigit((unsigned char)c.s[0]) && has_byte(c, '@') &&
			colon) ||
		    dated ||
		    (colon && has_byte(c, '@') && has_byte(c, '<') &&
			has_time(c))) {
			struct line first = trim(v[i]);

			*span_r = k + 1;
			*prefix_r = 0;
			if (intro && pos > 0 && pos < first.len)
				*prefix_r = (size_t)(first.s - v[i].s) + pos;
			return 1;
		}
	}
	return 0;
}

/*
 * "On <date> <name>" whose address and "wrote:" come several lines
 * later, blank lines and a lone "<" between (Polymail, some webmails).
 */
static int
is_loose_attribution(const struct line *v, size_t n, size_t i, size_t *span_r)
{
	struct line first = trim(v[i]);
	size_t pos;

	if (first.len > ATTRIB_MAX || !find_intro(first, &pos) || pos != 0)
		return 0;
	for (size_t j = i + 1; j < n && j <= i + 5; j++) {
		struct line t = trim(v[j]);
		int colon;

		while (t.len > 0 && (t.s[0] == '>' || t.s[0] == ' ')) {
			t.s++;
			t.len--;
		}
		t = strip_colon(t, &colon);
		if (colon && t.len <= 40 && ends_with_wrote(t)) {
			*span_r = j - i + 1;
			return 1;
		}
	}
	return 0;
}

/* "Quoting Jane Doe <jane@example.com>:" (Horde/IMP), localized. */
static int
is_quoting(struct line l)
{
	l = trim(l);
	if (l.len == 0 || l.len > ATTRIB_MAX || l.s[l.len - 1] != ':')
		return 0;
	for (size_t i = 0; i < NELEM(quoting_words); i++) {
		if (starts_ci(l, quoting_words[i]))
			return 1;
	}
	return 0;
}

/* The next non-blank line at or after j, or n. */
static size_t
next_nonblank(const struct line *v, size_t n, size_t j)
{
	while (j < n && reply_is_blank(v[j]))
		j++;
	return j;
}

struct keep {
	unsigned char *keep; /* owned: 1 keeps line i */
	size_t *prefix;	     /* owned: keep only this many bytes, or 0 */
	size_t end;	     /* lines from here on are history */
	size_t zone;	     /* lines before this one precede any quote */
};

/* Decide, for each line, whether it is new text. */
static void
classify(const struct line *v, size_t n, struct keep *k)
{
	size_t i = 0;

	k->end = n;
	k->zone = n;
	while (i < n) {
		size_t span, prefix;

		k->keep[i] = 1;
		if (is_quote(v[i])) {
			k->keep[i] = 0;
			k->zone = k->zone < i ? k->zone : i;
			i++;
			continue;
		}
		if (reply_is_blank(v[i])) {
			i++;
			continue;
		}
		prefix = 0;
		span = 1;
		if (is_attribution(v, n, i, &span, &prefix) ||
		    is_loose_attribution(v, n, i, &span) || is_quoting(v[i])) {
			size_t j = next_nonblank(v, n, i + span);

			/* "reply On ... wrote:": the reply is above the quote */
			k->zone = k->zone < i ? k->zone : i + (prefix > 0);
			k->keep[i] = prefix > 0;
			k->prefix[i] = prefix;
			if (j < n && is_quote(v[j])) {
				/* a quote header: drop it, answers may follow
				 */
				for (size_t m = i + 1; m < i + span; m++)
					k->keep[m] = 0;
				i += span;
				continue;
			}
			/* history follows unquoted (forward-like): stop */
			k->end = i + 1;
			return;
		}
		if (is_marker(v[i]) || is_rule(v[i]) || is_footer(v[i]) ||
		    is_header_block(v, n, i)) {
			k->keep[i] = 0;
			k->end = i;
			k->zone = k->zone < i ? k->zone : i;
			return;
		}
		i++;
	}
}

/* Append the kept lines, collapsing blank runs and trimming the ends. */
static char *
emit(const struct line *v, const struct keep *k, size_t from, size_t to,
    size_t total)
{
	struct buf b;
	int pending_blank = 0, any = 0;

	buf_init(&b, total + 1);
	for (size_t i = from; i < to && i < k->end; i++) {
		struct line l = v[i];

		if (!k->keep[i])
			continue;
		if (k->prefix[i] > 0) {
			/* "reply--- On ... wrote:": the decoration goes too */
			l.len = k->prefix[i];
			while (l.len > 0 && strchr(" \t-_=*~", l.s[l.len - 1]))
				l.len--;
		}
		if (reply_is_blank(l)) {
			pending_blank = any;
			continue;
		}
		/* strip trailing blanks; the cap is the input size */
		while (l.len > 0 &&
		       (l.s[l.len - 1] == ' ' || l.s[l.len - 1] == '\t'))
			l.len--;
		if (any)
			(void)buf_add(&b, pending_blank ? "\n\n" : "\n",
			    pending_blank ? 2 : 1);
		(void)buf_add(&b, l.s, l.len);
		pending_blank = 0;
		any = 1;
	}
	return buf_steal(&b);
}

/*
 * Read text[0..len) once; set *new_r (when not NULL) to the whole new
 * text, *zone_r and *below_r (when not NULL) to the new text above the
 * first quoted line and the new text after it.
 */
static void
read_plain(const char *text, size_t len, char **new_r, char **zone_r,
    char **below_r)
{
	struct line *v;
	struct keep k;
	size_t n;

	if (text == NULL)
		len = 0;
	v = split_lines(text != NULL ? text : "", len, &n);
	k.keep = xcalloc(n + 1, 1);
	k.prefix = xcalloc(n + 1, sizeof(*k.prefix));
	classify(v, n, &k);
	/* output never exceeds the input plus one separator per line */
	if (new_r != NULL)
		*new_r = emit(v, &k, 0, n, len + n + 1);
	if (zone_r != NULL)
		*zone_r = emit(v, &k, 0, k.zone, len + n + 1);
	if (below_r != NULL)
		*below_r = emit(v, &k, k.zone, n, len + n + 1);
	free(k.keep);
	free(k.prefix);
	free(v);
}

char *
reply_new_text_plain(const char *text, size_t len)
{
	char *out;

	read_plain(text, len, &out, NULL, NULL);
	return out;
}

void
reply_zone_plain(const char *text, size_t len, char **zone_r, char **below_r)
{
	read_plain(text, len, NULL, zone_r, below_r);
}
