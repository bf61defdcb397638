/* Guest text made safe for the operator's terminal.  Everything virt-grow
 * prints for people that came from the guest (device names, types,
 * mountpoints, warnings, errors, guest-exec output) goes through here; the
 * JSON output carries the same strings exactly (JSON's own escaping). */
#ifndef VG_SAFE_TEXT_H
#define VG_SAFE_TEXT_H

#include <glib.h>

/* A copy of @len bytes of @text (-1: up to its NUL) in which nothing can
 * move the cursor, change colours, reorder or hide text:
 *   \n \t \r                  as those two characters
 *   other C0 bytes, DEL       \xNN   (ESC is \x1b)
 *   invalid UTF-8, NUL        \xNN   each byte
 *   C1 controls (U+0080-9F), format characters (Cf: bidi embeddings and
 *   isolates U+202A-202E, U+2066-2069, the marks U+200E/200F, zero-width
 *   U+200B-200D, U+2060-2064, U+FEFF, soft hyphen, tags ...), line and
 *   paragraph separators (U+2028/2029), spaces other than U+0020,
 *   unassigned, private-use and surrogate code points, and the rest of
 *   Unicode's default-ignorable code points (variation selectors, Hangul
 *   fillers, ...)       \uXXXX, or \UXXXXXXXX past U+FFFF
 * Everything else (letters of any script, marks, symbols) stays.  A
 * backslash stays as it is, so escaping twice changes nothing more (the
 * JSON output is the exact form).  NULL for NULL. */
char *vg_safe_text(const char *text, gssize len);

/* Whether vg_safe_text() would escape the character @c. */
gboolean vg_safe_text_escapes(gunichar c);

#endif
