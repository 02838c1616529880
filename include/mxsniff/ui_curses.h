/* ui_curses.h - the terminal half of the live view (L6).
 *
 * ui_curses.c is the only file that includes <curses.h>. It starts curses on
 * the terminal (standard input/output, or /dev/tty when they are redirected),
 * draws frames built by ui_view.c, and turns keys into MX_KEY_* codes. The
 * terminal is restored by mx_ui_curses_close(), by an atexit() handler, and
 * on fatal signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT: the saved
 * terminal modes are put back and the signal is raised again). SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT are the caller's: it should set a flag and
 * return from its loop, then close the UI.
 *
 * Colours follow the roles of ui_view.h; without colours (NO_COLOR set and
 * not empty, or a terminal without colours) roles map to bold, underline,
 * dim and reverse video. Drawing uses erase() + wnoutrefresh() + doupdate(),
 * so only changed cells reach the terminal (no flicker).
 */
#ifndef MXSNIFF_UI_CURSES_H
#define MXSNIFF_UI_CURSES_H

#include <stdbool.h>
#include <stddef.h>

#include "mxsniff/ui_view.h"

struct mx_ui_curses;

/* True when standard output is a terminal (the live view's default). */
bool mx_ui_curses_isatty(void);

/* Start curses. 0, or MX_EIO with a one-line message in err (no terminal,
 * unknown TERM). Call before dropping privileges (it may open /dev/tty). */
int mx_ui_curses_open(struct mx_ui_curses **out, char *err, size_t errlen);
/* Restore the terminal and free; NULL is a no-op. */
void mx_ui_curses_close(struct mx_ui_curses *u);
/* The input descriptor to poll() for keys. */
int mx_ui_curses_fd(const struct mx_ui_curses *u);
/* Current terminal size; true when it changed since the last call (the
 * screen has then been resized to it). */
bool mx_ui_curses_size(struct mx_ui_curses *u, int *width, int *height);
bool mx_ui_curses_has_colors(const struct mx_ui_curses *u);
/* Draw a frame (its size should be the current terminal size). */
void mx_ui_curses_draw(struct mx_ui_curses *u, const struct mx_ui_frame *f);
/* Next key without waiting: printable ASCII, an MX_KEY_* code, or
 * MX_KEY_NONE when no key is waiting. */
int mx_ui_curses_key(struct mx_ui_curses *u);

#endif
