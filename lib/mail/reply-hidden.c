/*
 * What inline styles and attributes hide; see reply-private.h.
 *
 * Only the declarations that hide text are read, each bounded: a
 * declaration is cut into property and value, values are compared
 * lowercased without blanks and "!important".  Colours are compared with
 * a small tolerance, so #fefefe text on white is white-on-white too.
 */
#include "reply-private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Channels this close count as the same colour. */
#define COLOR_NEAR 12
/* A declaration longer than this is not one that hides text. */
#define DECL_MAX 128

/* clang-format off */
static const struct {
	const char *name;
	uint32_t rgb;
} color_names[] = {
	{ "white", 0xffffff }, { "black", 0x000000 },
	{ "snow", 0xfffafa }, { "ivory", 0xfffff0 },
	{ "whitesmoke", 0xf5f5f5 }, { "ghostwhite", 0xf8f8ff },
	{ "red", 0xff0000 }, { "blue", 0x0000ff }, { "green", 0x008000 },
	{ "gray", 0x808080 }, { "grey", 0x808080 }, { "silver", 0xc0c0c0 },
	{ "yellow", 0xffff00 }, { "navy", 0x000080 },
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct html_vis
html_vis_root(void)
{
	struct html_vis v = { 0x000000, 0xffffff, 0, 0 };

	return v;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "#fff", "#ffffff", "rgb(255,255,255)", "white"; -1 when not a colour. */
static int
parse_color(const char *s, uint32_t *rgb_r)
{
	size_t n = strlen(s);

	if (strcmp(s, "transparent") == 0) {
		*rgb_r = HTML_COLOR_TRANSPARENT;
		return 0;
	}
	if (s[0] == '#' && (n == 4 || n == 7)) {
		uint32_t rgb = 0;

		for (size_t i = 1; i < n; i++) {
			int h = hexval((unsigned char)s[i]);

			if (h < 0)
				return -1;
			rgb = rgb << 4 | (uint32_t)h;
			if (n == 4)
				rgb = rgb << 4 | (uint32_t)h;
		}
		*rgb_r = rgb;
		return 0;
	}
	if (strncmp(s, "rgb(", 4) == 0 || strncmp(s, "rgba(", 5) == 0) {
		const char *p = strchr(s, '(') + 1;
		unsigned long c[4] = { 0, 0, 0, 1 };
		int k = 0;

		while (k < 4 && *p != '\0' && *p != ')') {
			char *end;
			double d = strtod(p, &end);

			if (end == p)
				return -1;
			c[k++] = d <= 0 ? 0 : d >= 255 ? 255 : (unsigned long)d;
			p = end + strspn(end, ", /%");
		}
		if (k < 3)
			return -1;
		/* rgba(..., 0): a fully transparent colour */
		*rgb_r = k == 4 && c[3] == 0 ?
			     HTML_COLOR_TRANSPARENT :
			     (uint32_t)(c[0] << 16 | c[1] << 8 | c[2]);
		return 0;
	}
	for (size_t i = 0; i < NELEM(color_names); i++) {
		if (strcmp(s, color_names[i].name) == 0) {
			*rgb_r = color_names[i].rgb;
			return 0;
		}
	}
	return -1;
}

/*
 * s[0..len) lowercased into out (cap bytes), blank runs made one space,
 * trimmed, without "!important".
 */
static void
squeeze(const char *s, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	int blank = 0;
	char *bang;

	for (size_t i = 0; i < len && n + 2 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isspace(c)) {
			blank = n > 0;
			continue;
		}
		if (blank)
			out[n++] = ' ';
		blank = 0;
		out[n++] = (char)tolower(c);
	}
	out[n] = '\0';
	bang = strchr(out, '!');
	if (bang != NULL) {
		*bang = '\0';
		n = (size_t)(bang - out);
	}
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

void
html_vis_attrs(struct html_vis *v, const char *color, const char *bg)
{
	char val[DECL_MAX];
	uint32_t rgb;

	if (color != NULL) {
		squeeze(color, strlen(color), val, sizeof(val));
		if (parse_color(val, &rgb) == 0)
			v->color = rgb;
	}
	if (bg != NULL) {
		squeeze(bg, strlen(bg), val, sizeof(val));
		if (parse_color(val, &rgb) == 0 &&
		    rgb != HTML_COLOR_TRANSPARENT)
			v->bg = rgb;
	}
}

/* A length (a bare number counts as px) in px into *px_r; -1 if none. */
static int
parse_length(const char *val, double *px_r)
{
	char *end;
	double d = strtod(val, &end);

	if (end == val)
		return -1;
	if (*end == '\0' || strcmp(end, "px") == 0)
		*px_r = d;
	else if (strcmp(end, "pt") == 0)
		*px_r = d * 4 / 3;
	else if (strcmp(end, "em") == 0 || strcmp(end, "rem") == 0)
		*px_r = d * 16;
	else if (strcmp(end, "%") == 0)
		*px_r = d * 16 / 100;
	else if (strcmp(end, "ex") == 0 || strcmp(end, "ch") == 0)
		*px_r = d * 8;
	else
		return -1;
	return 0;
}

/*
 * A font-size, or the size in a font shorthand ("font:0/0 a"): too
 * small to read below 3px; keywords ("small") are readable.
 */
static void
font_size(struct html_vis *v, const char *val)
{
	char word[DECL_MAX];
	const char *p = val;
	double px;

	while (*p != '\0') {
		size_t n = strcspn(p, " /,");

		if (n > 0 && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			if (parse_length(word, &px) == 0) {
				v->tiny = px < 3;
				return;
			}
		}
		p += n;
		p += strspn(p, " /,");
	}
	if (val[0] != '\0')
		v->tiny = 0;
}

/* The first word of a background shorthand that is a colour. */
static void
background(struct html_vis *v, const char *val)
{
	char word[DECL_MAX];
	const char *p = val;
	uint32_t rgb;

	while (*p != '\0') {
		size_t n = strcspn(p, " ");
		const char *paren = memchr(p, '(', n);

		/* "rgb(1, 2, 3)" lost its blanks in squeeze() already */
		if (paren != NULL && strchr(paren, ')') != NULL)
			n = (size_t)(strchr(paren, ')') - p) + 1;
		if (n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			if (parse_color(word, &rgb) == 0) {
				if (rgb != HTML_COLOR_TRANSPARENT)
					v->bg = rgb;
				return;
			}
		}
		p += n;
		p += strspn(p, " ");
	}
}

struct decls {
	int gone;     /* nothing below can be seen */
	int zero_box; /* height or width 0 */
	int clipped;  /* overflow hidden */
};

/* One "property: value" declaration. */
static void
declaration(struct html_vis *v, struct decls *d, const char *prop,
    const char *val)
{
	double px;

	if (strcmp(prop, "display") == 0 && strcmp(val, "none") == 0)
		d->gone = 1;
	else if (strcmp(prop, "visibility") == 0)
		v->hidden =
		    strcmp(val, "hidden") == 0 || strcmp(val, "collapse") == 0;
	/* under 0.1 or 10% (parse_length takes 100% for 16px) */
	else if (strcmp(prop, "opacity") == 0)
		d->gone |= parse_length(val, &px) == 0 &&
			   (strchr(val, '%') != NULL ? px < 1.6 : px < 0.1);
	else if (strcmp(prop, "mso-hide") == 0 && strcmp(val, "all") == 0)
		d->gone = 1;
	else if (strcmp(prop, "font-size") == 0 || strcmp(prop, "font") == 0)
		font_size(v, val);
	else if (strcmp(prop, "color") == 0)
		html_vis_attrs(v, val, NULL);
	else if (strcmp(prop, "background-color") == 0 ||
		 strcmp(prop, "background") == 0)
		background(v, val);
	else if (strcmp(prop, "height") == 0 ||
		 strcmp(prop, "max-height") == 0 ||
		 strcmp(prop, "width") == 0 || strcmp(prop, "max-width") == 0)
		d->zero_box |= parse_length(val, &px) == 0 && px < 1;
	else if (strcmp(prop, "overflow") == 0 ||
		 strcmp(prop, "overflow-x") == 0 ||
		 strcmp(prop, "overflow-y") == 0)
		d->clipped |=
		    strcmp(val, "hidden") == 0 || strcmp(val, "clip") == 0;
	else if (strcmp(prop, "text-indent") == 0 ||
		 strcmp(prop, "left") == 0 || strcmp(prop, "top") == 0 ||
		 strcmp(prop, "margin-left") == 0 ||
		 strcmp(prop, "margin-top") == 0)
		/* moved off the page: "left:-9999px" */
		d->gone |= parse_length(val, &px) == 0 && px <= -500;
	else if (strcmp(prop, "clip-path") == 0 || strcmp(prop, "clip") == 0)
		d->gone |= strstr(val, "inset(50%") != NULL ||
			   strstr(val, "rect(0") != NULL;
	else if (strcmp(prop, "line-height") == 0 && d->clipped)
		d->zero_box |= parse_length(val, &px) == 0 && px < 1;
}

int
html_vis_style(struct html_vis *v, const char *style)
{
	struct decls d = { 0, 0, 0 };
	const char *p = style;

	while (*p != '\0') {
		size_t n = strcspn(p, ";");
		const char *colon = memchr(p, ':', n);

		if (colon != NULL && n < DECL_MAX) {
			char prop[DECL_MAX], val[DECL_MAX];

			squeeze(p, (size_t)(colon - p), prop, sizeof(prop));
			squeeze(colon + 1, n - (size_t)(colon - p) - 1, val,
			    sizeof(val));
			declaration(v, &d, prop, val);
		}
		p += n;
		p += *p == ';';
	}
	return d.gone || (d.zero_box && d.clipped);
}

/* Same colour to the eye: every channel within COLOR_NEAR. */
static int
near(uint32_t a, uint32_t b)
{
	for (int shift = 0; shift < 24; shift += 8) {
		int ca = (int)(a >> shift & 0xff),
		    cb = (int)(b >> shift & 0xff);

		if (abs(ca - cb) > COLOR_NEAR)
			return 0;
	}
	return 1;
}

int
html_vis_shows(const struct html_vis *v)
{
	if (v->hidden || v->tiny || v->color == HTML_COLOR_TRANSPARENT)
		return 0;
	return !near(v->color, v->bg);
}
