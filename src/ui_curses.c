/* ui_curses.c - draws ui_view frames with curses and reads keys (L6).
 *
 * The only file that includes <curses.h>. mx_ui_curses_open() starts a
 * curses screen on the terminal (standard input and output, or /dev/tty when
 * one of them is redirected, e.g. "-r -" reading a capture from a pipe) in
 * cbreak/noecho/keypad/nodelay mode, with colour pairs for the roles of
 * ui_view.h unless NO_COLOR is set (https://no-color.org) or the terminal has
 * no colours; then roles become bold, underline, dim and reverse video.
 * Drawing is erase() + row text + role spans + glyphs (UTF-8 characters
 * over their ASCII stand-ins, only when LC_CTYPE's character set is UTF-8)
 * + wnoutrefresh() + doupdate(), so curses sends only the cells that
 * changed.
 *
 * The terminal is restored on every way out: mx_ui_curses_close(), an
 * atexit() handler, and fatal signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGABRT), whose handler puts back the terminal modes saved before curses
 * started and the "leave the alternate screen / show the cursor" strings,
 * using only async-signal-safe calls, then raises the signal again. SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT belong to the caller (main.c sets a flag).
 * ncurses handles SIGWINCH and SIGTSTP itself; the size is also checked on
 * every call to mx_ui_curses_size(), so a lost SIGWINCH costs one refresh.
 *
 * What it does not do: decide what is shown (ui_view.c) or when (main.c).
 */
#include "mxsniff/ui_curses.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <term.h>
#include <unistd.h>

#include "mxsniff/err.h"

struct mx_ui_curses {
	SCREEN *scr;
	FILE *in, *out;          /* the terminal streams curses uses */
	bool own_in, own_out;    /* opened /dev/tty (closed at the end) */
	bool colors;
	bool utf8;               /* the locale's character set is UTF-8 */
	int width, height;
	bool cursor_on;
	attr_t attr[MX_ROLE__COUNT];
	short pair[MX_ROLE__COUNT];
	short next_pair;
};

/* State the restore paths need (atexit and signal handlers). */
static struct mx_ui_curses *g_ui;
static volatile sig_atomic_t g_active;
static int g_tty_fd = -1;
static struct termios g_saved_tio;
static bool g_have_tio;
static char g_leave[128];         /* rmcup + cnorm + sgr0, for the crash path */
static size_t g_leave_len;
static bool g_atexit_done;

static const int g_fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

bool mx_ui_curses_isatty(void)
{
	return isatty(STDOUT_FILENO) == 1;
}

static void restore_now(void)
{
	if (!g_active)
		return;
	g_active = 0;
	if (g_ui != NULL && g_ui->scr != NULL) {
		curs_set(1);
		endwin();
	}
}

static void at_exit(void)
{
	restore_now();
}

/* Async-signal-safe: saved termios back, leave the alternate screen, then
 * die of the same signal. */
static void on_fatal(int sig)
{
	if (g_active && g_tty_fd >= 0) {
		if (g_have_tio)
			tcsetattr(g_tty_fd, TCSANOW, &g_saved_tio);
		if (g_leave_len > 0) {
			ssize_t wr = write(g_tty_fd, g_leave, g_leave_len);

			(void)wr;
		}
	}
	g_active = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void add_cap(const char *name)
{
	char *s = tigetstr(name);
	size_t n;

	if (s == NULL || s == (char *)-1)
		return;
	n = strlen(s);
	if (g_leave_len + n < sizeof(g_leave)) {
		memcpy(g_leave + g_leave_len, s, n);
		g_leave_len += n;
	}
}

static void set_role(struct mx_ui_curses *u, enum mx_ui_role r, short fg, short bg, attr_t color_attr,
		     attr_t mono_attr)
{
	if (u->colors && (fg >= 0 || bg >= 0)) {
		short p = ++u->next_pair;

		if (init_pair(p, fg, bg) == OK) {
			u->pair[r] = p;
			u->attr[r] = color_attr | (attr_t)COLOR_PAIR(p);
			return;
		}
	}
	u->attr[r] = u->colors ? color_attr : mono_attr;
}

static void setup_roles(struct mx_ui_curses *u)
{
	short dfl = -1;

	if (u->colors) {
		start_color();
		if (use_default_colors() != OK)
			dfl = COLOR_BLACK;
	}
	/* role              fg            bg          colour attrs   monochrome */
	set_role(u, MX_ROLE_NORMAL, -1, -1, A_NORMAL, A_NORMAL);
	set_role(u, MX_ROLE_TITLE, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE);
	set_role(u, MX_ROLE_TAB, -1, -1, A_NORMAL, A_NORMAL);
	set_role(u, MX_ROLE_TAB_ACTIVE, COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD);
	set_role(u, MX_ROLE_COLHEAD, COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_UNDERLINE | A_BOLD);
	set_role(u, MX_ROLE_LABEL, COLOR_CYAN, dfl, A_BOLD, A_BOLD);
	set_role(u, MX_ROLE_DIM, -1, -1, A_DIM, A_DIM);
	set_role(u, MX_ROLE_OK, COLOR_GREEN, dfl, A_NORMAL, A_NORMAL);
	set_role(u, MX_ROLE_INFO, COLOR_CYAN, dfl, A_NORMAL, A_NORMAL);
	set_role(u, MX_ROLE_WARN, COLOR_YELLOW, dfl, A_BOLD, A_BOLD);
	set_role(u, MX_ROLE_ERROR, COLOR_RED, dfl, A_BOLD, A_BOLD | A_UNDERLINE);
	set_role(u, MX_ROLE_CRIT, COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD | A_REVERSE);
	set_role(u, MX_ROLE_STATUS, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE);
	set_role(u, MX_ROLE_PROMPT, COLOR_YELLOW, dfl, A_BOLD, A_BOLD);
	set_role(u, MX_ROLE_PAUSED, COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_BOLD | A_UNDERLINE);
}

static bool no_color_env(void)
{
	const char *v = getenv("NO_COLOR");

	return v != NULL && v[0] != '\0';
}

static void install_fatal(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(g_fatal) / sizeof(g_fatal[0]); i++)
		sigaction(g_fatal[i], &sa, NULL);
}

int mx_ui_curses_open(struct mx_ui_curses **out, char *err, size_t errlen)
{
	struct mx_ui_curses *u;
	const char *term = getenv("TERM");

	if (g_ui != NULL) {
		snprintf(err, errlen, "the live view is already running");
		return MX_EINVAL;
	}
	if (term == NULL || term[0] == '\0') {
		snprintf(err, errlen, "the live view needs a terminal: TERM is not set");
		return MX_EIO;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return MX_ENOMEM;
	}
	if (isatty(STDIN_FILENO)) {
		u->in = stdin;
	} else {
		u->in = fopen("/dev/tty", "r");
		u->own_in = true;
	}
	if (isatty(STDOUT_FILENO)) {
		u->out = stdout;
	} else {
		u->out = fopen("/dev/tty", "w");
		u->own_out = true;
	}
	if (u->in == NULL || u->out == NULL) {
		snprintf(err, errlen, "the live view needs a terminal: /dev/tty: %s", strerror(errno));
		goto fail;
	}
	g_tty_fd = fileno(u->out);
	g_have_tio = tcgetattr(g_tty_fd, &g_saved_tio) == 0;
	/* the terminal's character set (UTF-8 text such as "§" in findings);
	 * LC_CTYPE only, so numbers keep printing with a '.' (LC_NUMERIC "C") */
	setlocale(LC_CTYPE, "");
	/* glyphs (ui_view.h) are drawn only in a UTF-8 locale; elsewhere the
	 * rows' ASCII stand-ins are what the terminal gets */
	{
		const char *cs = nl_langinfo(CODESET);

		u->utf8 = cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	}
	u->scr = newterm(NULL, u->out, u->in);
	if (u->scr == NULL) {
		snprintf(err, errlen, "the live view cannot use the terminal type '%s'", term);
		goto fail;
	}
	set_term(u->scr);
	g_ui = u;
	g_active = 1;
	if (!g_atexit_done) {
		atexit(at_exit);
		g_atexit_done = true;
	}
	g_leave_len = 0;
	add_cap("rmcup");
	add_cap("cnorm");
	add_cap("sgr0");
	install_fatal();
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	leaveok(stdscr, FALSE);
	set_escdelay(25);
	curs_set(0);
	u->colors = has_colors() && !no_color_env();
	setup_roles(u);
	getmaxyx(stdscr, u->height, u->width);
	*out = u;
	return 0;
fail:
	if (u->own_in && u->in != NULL)
		fclose(u->in);
	if (u->own_out && u->out != NULL)
		fclose(u->out);
	free(u);
	g_tty_fd = -1;
	return MX_EIO;
}

void mx_ui_curses_close(struct mx_ui_curses *u)
{
	if (u == NULL)
		return;
	restore_now();
	if (u->scr != NULL)
		delscreen(u->scr);
	if (u->own_in && u->in != NULL)
		fclose(u->in);
	if (u->own_out && u->out != NULL)
		fclose(u->out);
	else if (u->out != NULL)
		fflush(u->out);
	g_ui = NULL;
	g_tty_fd = -1;
	free(u);
}

int mx_ui_curses_fd(const struct mx_ui_curses *u)
{
	return fileno(u->in);
}

bool mx_ui_curses_has_colors(const struct mx_ui_curses *u)
{
	return u->colors;
}

bool mx_ui_curses_size(struct mx_ui_curses *u, int *width, int *height)
{
	struct winsize ws;
	int w, h;
	bool changed;

	/* ask the terminal too: a SIGWINCH that curses did not see */
	if (ioctl(fileno(u->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0 &&
	    (ws.ws_col != COLS || ws.ws_row != LINES))
		resizeterm(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, h, w);
	changed = w != u->width || h != u->height;
	u->width = w;
	u->height = h;
	*width = w;
	*height = h;
	return changed;
}

static attr_t role_attr(const struct mx_ui_curses *u, unsigned role)
{
	return role < MX_ROLE__COUNT ? u->attr[role] : A_NORMAL;
}

void mx_ui_curses_draw(struct mx_ui_curses *u, const struct mx_ui_frame *f)
{
	int y, rows = f->height < LINES ? f->height : LINES;
	int cols = f->width < COLS ? f->width : COLS;
	bool want_cursor;

	erase();
	for (y = 0; y < rows; y++) {
		const struct mx_ui_row *r = &f->rows[y];
		attr_t sel = r->selected ? A_REVERSE : A_NORMAL;
		unsigned i;

		attrset(role_attr(u, r->role) | sel);
		/* the bottom-right cell cannot be written without scrolling */
		mvaddnstr(y, 0, r->text, y == LINES - 1 ? cols - 1 : cols);
		for (i = 0; i < r->n_spans; i++) {
			const struct mx_ui_span *sp = &r->spans[i];
			int w = sp->w;

			if (sp->x >= cols)
				continue;
			if (sp->x + w > cols)
				w = cols - sp->x;
			if (y == LINES - 1 && sp->x + w >= COLS)
				w = COLS - 1 - sp->x;
			if (w <= 0)
				continue;
			attrset(role_attr(u, sp->role) | sel);
			mvaddnstr(y, sp->x, r->text + sp->x, w);
		}
		/* characters outside ASCII over their stand-ins, in the role of
		 * their column */
		for (i = 0; u->utf8 && i < r->n_glyphs; i++) {
			const struct mx_ui_glyph *g = &r->glyphs[i];

			if (g->x >= cols || (y == LINES - 1 && g->x >= COLS - 1))
				continue;
			attrset(role_attr(u, mx_ui_row_role_at(r, g->x)) | sel);
			mvaddstr(y, g->x, g->utf8);
		}
	}
	attrset(A_NORMAL);
	want_cursor = f->cursor_x >= 0 && f->cursor_y >= 0 && f->cursor_y < LINES && f->cursor_x < COLS;
	if (want_cursor != u->cursor_on) {
		curs_set(want_cursor ? 1 : 0);
		u->cursor_on = want_cursor;
	}
	if (want_cursor)
		move(f->cursor_y, f->cursor_x);
	wnoutrefresh(stdscr);
	doupdate();
}

int mx_ui_curses_key(struct mx_ui_curses *u)
{
	int ch = getch();

	(void)u;
	switch (ch) {
	case ERR: return MX_KEY_NONE;
	case KEY_UP: return MX_KEY_UP;
	case KEY_DOWN: return MX_KEY_DOWN;
	case KEY_LEFT: return MX_KEY_LEFT;
	case KEY_RIGHT: return MX_KEY_RIGHT;
	case KEY_PPAGE: return MX_KEY_PGUP;
	case KEY_NPAGE: return MX_KEY_PGDN;
	case KEY_HOME: case KEY_A1: return MX_KEY_HOME;
	case KEY_END: case KEY_C1: return MX_KEY_END;
	case KEY_BTAB: return MX_KEY_BTAB;
	case KEY_RESIZE: return MX_KEY_RESIZE;
	case KEY_ENTER: case '\r': case '\n': return MX_KEY_ENTER;
	case KEY_BACKSPACE: case 8: case 127: return MX_KEY_BACKSPACE;
	case 12: /* ^L: repaint everything */
		clearok(curscr, TRUE);
		return MX_KEY_REDRAW;
	default:
		break;
	}
	if (ch >= 0 && ch < 0x100)
		return ch;
	return MX_KEY_UNKNOWN;
}
