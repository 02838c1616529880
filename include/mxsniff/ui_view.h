/* ui_view.h - the live view as data: snapshot + UI state -> rows of cells (L6).
 *
 * ui_view.c is the pure half of the live UI (ARCHITECTURE.md §8): it turns a
 * struct mx_snapshot and the UI's own state (view, selection, scroll, sort,
 * filter, pause, detail page) into a frame of screen rows. Each row is the
 * exact text the terminal shows (printable ASCII, padded to the width) plus
 * spans tagged with colour roles (htop's idea) and, for characters outside
 * ASCII, glyphs a UTF-8 terminal draws over their ASCII stand-ins. It
 * also turns keys into state changes. It never includes curses and never
 * draws: ui_curses.c does that, and the unit tests read the rows directly.
 *
 * Screen layout (height h):
 *   row 0        header: program, source, capture time or uptime, state
 *   row 1        header: packets, DNS msgs/s, pcap drops, decode problems, evicted
 *   row 2        tabs: 1 Findings ... 6 Live (active one highlighted)
 *   row 3        column titles (or the detail page's title)
 *   rows 4..h-2  body: list rows, a detail page or the help page
 *   row h-1      status line: key hints, filter prompt or a message
 */
#ifndef MXSNIFF_UI_VIEW_H
#define MXSNIFF_UI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxsniff/model.h"

#define MX_UI_MAX_WIDTH 512     /* wider terminals are drawn this wide */
#define MX_UI_MAX_HEIGHT 300    /* taller terminals use this many rows */
#define MX_UI_MAX_SPANS 24      /* coloured spans per row */
#define MX_UI_MIN_WIDTH 20      /* below this (or MX_UI_MIN_HEIGHT) a "too small" note */
#define MX_UI_MIN_HEIGHT 6
#define MX_UI_FILTER_MAX 64
#define MX_UI_BODY_TOP 4        /* first body row */

enum mx_ui_view {
	MX_UI_FINDINGS, MX_UI_CHAINS, MX_UI_SENDERS, MX_UI_RESOLVERS, MX_UI_DOMAINS, MX_UI_LIVE,
	MX_UI__VIEWS
};

/* Colour roles; ui_curses.c maps each to colours or, without colours, to
 * bold/underline/reverse. */
enum mx_ui_role {
	MX_ROLE_NORMAL = 0,
	MX_ROLE_TITLE,       /* header rows */
	MX_ROLE_TAB,
	MX_ROLE_TAB_ACTIVE,
	MX_ROLE_COLHEAD,     /* column titles, detail page title */
	MX_ROLE_LABEL,       /* "cause:", section names in detail pages */
	MX_ROLE_DIM,         /* secondary text, "never asked", "-" */
	MX_ROLE_OK,          /* answered, resolved */
	MX_ROLE_INFO,
	MX_ROLE_WARN,
	MX_ROLE_ERROR,
	MX_ROLE_CRIT,
	MX_ROLE_STATUS,      /* bottom line */
	MX_ROLE_PROMPT,      /* the filter prompt */
	MX_ROLE_PAUSED,      /* "PAUSED" / "END" marks in the header */
	MX_ROLE__COUNT
};

struct mx_ui_span {
	uint16_t x, w;             /* columns [x, x+w) of the row */
	uint8_t role;              /* enum mx_ui_role */
};

#define MX_UI_MAX_GLYPHS 32     /* non-ASCII characters kept per row */

/* A character outside ASCII at column x, as UTF-8 (NUL-terminated). Text
 * is laid out one column per character; the row's text holds a one-column
 * ASCII stand-in at x ('?', or a look-alike: '-' for a dash, '#' for '§'),
 * which is what a terminal without UTF-8 shows. Only characters known to
 * take one column become glyphs (Latin-1 and Latin Extended-A letters and
 * signs, dashes, quotes, bullets, arrows, a few math signs); any other
 * character, control bytes and invalid UTF-8 show as '?'. */
struct mx_ui_glyph {
	uint16_t x;
	char utf8[5];
};

struct mx_ui_row {
	char text[MX_UI_MAX_WIDTH + 1];  /* exactly frame width printable chars */
	uint8_t role;              /* role of the whole row (spans override) */
	bool selected;             /* the cursor row: drawn in reverse video */
	uint8_t n_spans;
	struct mx_ui_span spans[MX_UI_MAX_SPANS];
	uint8_t n_glyphs;          /* glyphs over the ASCII text, by column */
	struct mx_ui_glyph glyphs[MX_UI_MAX_GLYPHS];
};

struct mx_ui_frame {
	int width, height;         /* as built (clamped to the maxima) */
	struct mx_ui_row *rows;    /* height rows, owned */
	int cursor_x, cursor_y;    /* where the terminal cursor goes, -1 = hidden */
};

/* Sort orders: number of choices per view, and their names ("severity"). */
unsigned mx_ui_sort_count(enum mx_ui_view v);
const char *mx_ui_sort_name(enum mx_ui_view v, unsigned sort);
const char *mx_ui_view_name(enum mx_ui_view v);   /* "Findings", ... */

/* Everything the UI owns. Zero it (or mx_ui_state_init) to start on the
 * Findings view. The app fills the "facts" part before each build. */
struct mx_ui_state {
	enum mx_ui_view view;
	size_t sel[MX_UI__VIEWS];        /* selected row in the sorted, filtered list */
	size_t top[MX_UI__VIEWS];        /* first row shown */
	unsigned sort[MX_UI__VIEWS];     /* index into the view's sort orders */
	uint64_t sel_key[MX_UI__VIEWS];  /* item under the cursor, kept across refreshes */
	bool sel_keyed[MX_UI__VIEWS];
	bool detail;                     /* the detail page of the selected item */
	size_t detail_top;               /* detail page scroll */
	bool help;                       /* the key help page */
	char filter[MX_UI_FILTER_MAX + 1]; /* case-insensitive substring, "" = none */
	bool editing;                    /* the filter prompt is open */
	bool paused;                     /* the app stops refreshing the snapshot */
	/* results of the last build, used by the key handler */
	size_t count;                    /* rows in the current list (after filtering) */
	size_t page;                     /* body rows on screen */
	size_t detail_lines;             /* lines of the open detail page */
	/* facts from the app */
	bool live;                       /* live capture (uptime) or a file (capture time) */
	bool ended;                      /* input finished (file end, -c reached) */
	uint64_t uptime_us;              /* live: since the capture started */
	uint64_t rate_x10;               /* DNS messages per second, tenths */
	uint64_t frames_now;             /* frames read so far (shown while paused) */
	char speed[16];                  /* replay speed ("x1", "max"), "" live */
	char status[256];                /* a message for the status line, "" none */
	bool status_error;
};

void mx_ui_state_init(struct mx_ui_state *st);

/* Allocate rows for a width x height frame (clamped to the maxima, at least
 * 1x1). 0 or MX_ENOMEM. mx_ui_frame_fini(NULL) and on a zeroed frame are
 * no-ops. */
int mx_ui_frame_init(struct mx_ui_frame *f, int width, int height);
void mx_ui_frame_fini(struct mx_ui_frame *f);

/* Fill every row of f from snapshot s and state st. Clamps st's selection and
 * scroll to the data, follows the selected item by its key across refreshes,
 * closes a detail page whose item is gone (with a status message), and
 * records count/page/detail_lines in st. s may be NULL (nothing yet). Returns
 * 0 or MX_ENOMEM (f then holds whatever was built). */
int mx_ui_build(struct mx_ui_frame *f, const struct mx_snapshot *s, struct mx_ui_state *st);

/* Keys: printable ASCII as themselves, others as these codes. */
enum {
	MX_KEY_NONE = -1,
	MX_KEY_ENTER = '\n',
	MX_KEY_TAB = '\t',
	MX_KEY_ESC = 27,
	MX_KEY_BACKSPACE = 127,
	MX_KEY_UP = 0x101, MX_KEY_DOWN, MX_KEY_LEFT, MX_KEY_RIGHT,
	MX_KEY_PGUP, MX_KEY_PGDN, MX_KEY_HOME, MX_KEY_END,
	MX_KEY_BTAB,                     /* shift-tab */
	MX_KEY_RESIZE,
	MX_KEY_REDRAW,                   /* ^L */
	MX_KEY_UNKNOWN,                  /* a key the UI does not use */
};

enum mx_ui_action {
	MX_UI_ACT_NONE,      /* nothing changed */
	MX_UI_ACT_REDRAW,    /* state changed: build and draw again */
	MX_UI_ACT_PAUSE,     /* pause toggled (st->paused says which way) */
	MX_UI_ACT_WRITE,     /* the app writes the current report */
	MX_UI_ACT_QUIT,
};

/* Apply one key to the state (pure). Uses count/page from the last build. */
enum mx_ui_action mx_ui_key(struct mx_ui_state *st, int key);

/* Lines of the help page (NULL-terminated), also the manual's key list. */
extern const char *const mx_ui_help_lines[];

/* Helpers the tests use: the role of a severity, and whether row text
 * contains needle (case-insensitive). */
enum mx_ui_role mx_ui_sev_role(enum mx_sev s);
bool mx_ui_row_has(const struct mx_ui_row *r, const char *needle);
/* Role at column x of row r (the last span covering x, else the row's). */
enum mx_ui_role mx_ui_row_role_at(const struct mx_ui_row *r, int x);
/* The UTF-8 character shown at column x of row r in a UTF-8 terminal, or
 * NULL when the ASCII text's byte is what is shown. */
const char *mx_ui_row_glyph_at(const struct mx_ui_row *r, int x);
/* Columns s takes when laid out by the view (one per character). */
int mx_ui_text_cols(const char *s);

#endif
